// artifact_kinds: which of the given ids already exist, and as what kind.
// Params: $ids: list of artifact ids.
// Returns: id, kind ('dataset'|'model'|'source').
UNWIND $ids AS artifact_id
MATCH (a:Artifact {id: artifact_id})
RETURN a.id AS id,
       CASE WHEN a:Dataset THEN 'dataset' WHEN a:Model THEN 'model' WHEN a:Source THEN 'source' END AS kind
