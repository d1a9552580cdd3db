// upsert_run_edges: create or update PRODUCED_BY (artifact -> run) and USED (run -> artifact)
// relationships in one batch; both ends must exist. One MERGE per static type (Expand(Into)).
// Params: $rows: list of {from, to, type ('PRODUCED_BY'|'USED'), props: map (role, records)};
//         $now: datetime (valid_from of new relationships).
// Returns: nothing (read the counters).
UNWIND $rows AS row
CALL (row) {
  WITH row WHERE row.type = 'PRODUCED_BY'
  MATCH (artifact:Artifact {id: row.from})
  MATCH (run:Run {id: row.to})
  MERGE (artifact)-[r:PRODUCED_BY]->(run)
    ON CREATE SET r.valid_from = $now
  SET r += row.props
}
CALL (row) {
  WITH row WHERE row.type = 'USED'
  MATCH (run:Run {id: row.from})
  MATCH (artifact:Artifact {id: row.to})
  MERGE (run)-[r:USED]->(artifact)
    ON CREATE SET r.valid_from = $now
  SET r += row.props
}
