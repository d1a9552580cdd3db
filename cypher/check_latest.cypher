// check_latest: the latest checks that involve one artifact, as the checked dataset or as a
// reference, newest first (anchored on the artifact, then one hop).
// Params: $id; $limit.
// Returns: one row per check: check (map of its figures, without the report), role
//   ('checked' | 'reference'), dataset (id), references (ids).
MATCH (:Artifact {id: $id})<-[rel:CHECKED|AGAINST]-(check:Check)
WITH check, CASE type(rel) WHEN 'CHECKED' THEN 'checked' ELSE 'reference' END AS role
ORDER BY check.finished_at DESC, check.id
LIMIT $limit
MATCH (check)-[:CHECKED]->(dataset:Artifact)
OPTIONAL MATCH (check)-[:AGAINST]->(reference:Artifact)
WITH check, role, dataset, collect(reference.id) AS references
RETURN check {.*, report: null} AS check, role, dataset.id AS dataset, references
ORDER BY check.finished_at DESC, check.id
