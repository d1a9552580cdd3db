// check_record: write one check run as a (:Check) node with its figures, linked to the checked
// dataset (CHECKED) and to each reference (AGAINST, with the per-reference figures). Keyed on
// the check id, so writing the same run again changes nothing.
// Params: $id; $dataset (artifact id, must exist); $props (map of figures: numbers, strings,
//   finished_at datetime, report as a JSON string); $references: list of {id, props}.
// Returns: id, linked (references linked; a reference id that is absent links nothing). No row
//   when the dataset is absent.
MATCH (dataset:Artifact {id: $dataset})
MERGE (check:Check {id: $id})
SET check += $props
MERGE (check)-[:CHECKED]->(dataset)
WITH check
CALL (check) {
  UNWIND $references AS ref
  MATCH (reference:Artifact {id: ref.id})
  MERGE (check)-[against:AGAINST]->(reference)
  SET against += ref.props
  RETURN count(reference) AS linked
}
RETURN check.id AS id, linked
