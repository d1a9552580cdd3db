// conflict_scan_page: one page of artifact ids in id order, for a full (or prefix) conflict scan.
// Params: $prefix: only ids starting with it ('' for all); $after: the last id of the previous
//   page ('' for the first); $limit.
// Returns: one row per artifact: id.
MATCH (artifact:Artifact)
WHERE artifact.id STARTS WITH $prefix AND artifact.id > $after
RETURN artifact.id AS id
ORDER BY artifact.id
LIMIT $limit
