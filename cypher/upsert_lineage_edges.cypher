// upsert_lineage_edges: create or update lineage relationships in one batch (both ends must exist).
// One MERGE per static type, so each plans as Expand(Into) between the two anchored nodes.
// Params: $rows: list of {from, to, type, props: map, valid_from: datetime|null, valid_to: datetime|null};
//         $now: datetime (valid_from of new edges that give none).
// Returns: nothing (read the counters).
UNWIND $rows AS row
MATCH (child:Artifact {id: row.from})
MATCH (parent:Artifact {id: row.to})
CALL (child, parent, row) {
  WITH * WHERE row.type = 'DERIVED_FROM'
  MERGE (child)-[r:DERIVED_FROM]->(parent)
    ON CREATE SET r.valid_from = coalesce(row.valid_from, $now)
  SET r += row.props
  SET r.valid_from = coalesce(row.valid_from, r.valid_from), r.valid_to = coalesce(row.valid_to, r.valid_to)
}
CALL (child, parent, row) {
  WITH * WHERE row.type = 'GENERATED_BY'
  MERGE (child)-[r:GENERATED_BY]->(parent)
    ON CREATE SET r.valid_from = coalesce(row.valid_from, $now)
  SET r += row.props
  SET r.valid_from = coalesce(row.valid_from, r.valid_from), r.valid_to = coalesce(row.valid_to, r.valid_to)
}
CALL (child, parent, row) {
  WITH * WHERE row.type = 'TRAINED_ON'
  MERGE (child)-[r:TRAINED_ON]->(parent)
    ON CREATE SET r.valid_from = coalesce(row.valid_from, $now)
  SET r += row.props
  SET r.valid_from = coalesce(row.valid_from, r.valid_from), r.valid_to = coalesce(row.valid_to, r.valid_to)
}
CALL (child, parent, row) {
  WITH * WHERE row.type = 'FINE_TUNED_FROM'
  MERGE (child)-[r:FINE_TUNED_FROM]->(parent)
    ON CREATE SET r.valid_from = coalesce(row.valid_from, $now)
  SET r += row.props
  SET r.valid_from = coalesce(row.valid_from, r.valid_from), r.valid_to = coalesce(row.valid_to, r.valid_to)
}
