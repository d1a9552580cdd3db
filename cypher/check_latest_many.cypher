// check_latest_many: for each of several artifacts, its latest check as the checked dataset
// (for lineage views: one anchored lookup per id, then one hop).
// Params: $ids.
// Returns: one row per artifact that has a check: id, check (map of figures, without the
//   report), references (ids).
UNWIND $ids AS id
MATCH (:Artifact {id: id})<-[:CHECKED]-(check:Check)
WITH id, check ORDER BY check.finished_at DESC, check.id
WITH id, collect(check)[0] AS check
OPTIONAL MATCH (check)-[:AGAINST]->(reference:Artifact)
RETURN id, check {.*, report: null} AS check, collect(reference.id) AS references
