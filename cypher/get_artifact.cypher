// get_artifact: one artifact with its properties and its currently declared licenses.
// Params: $id.
// Returns: artifact (map of properties), kind, licenses (list of License ids). No row when absent.
MATCH (a:Artifact {id: $id})
OPTIONAL MATCH (a)-[r:LICENSED_UNDER]->(l:License)
WHERE r.valid_to IS NULL
RETURN properties(a) AS artifact,
       CASE WHEN a:Dataset THEN 'dataset' WHEN a:Model THEN 'model' WHEN a:Source THEN 'source' END AS kind,
       collect(l.id) AS licenses
