// dataset_manifests: the record manifests of one dataset: those of the runs that produced it
// (anchored on the id constraint, then one hop over PRODUCED_BY).
// Params: $id: dataset id.
// Returns one row (none if $id is unknown): manifests (list of {run, uri, sha256}; uri null
//   for runs that wrote none).
MATCH (d:Artifact {id: $id})
OPTIONAL MATCH (d)-[:PRODUCED_BY]->(r:Run)
RETURN [x IN collect(r) | {run: x.id, uri: x.manifest, sha256: x.manifest_sha256}] AS manifests
