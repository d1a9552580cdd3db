// check_get: one recorded check by id, with its full report.
// Params: $id.
// Returns: report (JSON string), dataset (id). No row when absent.
MATCH (check:Check {id: $id})-[:CHECKED]->(dataset:Artifact)
RETURN check.report AS report, dataset.id AS dataset
