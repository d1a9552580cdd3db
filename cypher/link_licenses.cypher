// link_licenses: point artifacts at the License nodes their declared expression names.
// A license no longer declared is retracted (valid_to = $now), not deleted, so "as of" answers stay true.
// Params: $rows: list of {id, licenses: [license id]}; $now: datetime.
// Returns: nothing (read the counters).
UNWIND $rows AS row
MATCH (a:Artifact {id: row.id})
CALL (a, row) {
  UNWIND row.licenses AS license_id
  MERGE (l:License {id: license_id})
  MERGE (a)-[r:LICENSED_UNDER]->(l)
    ON CREATE SET r.valid_from = $now, r.declared_by = 'ingest'
  SET r.valid_to = null
}
CALL (a, row) {
  MATCH (a)-[r:LICENSED_UNDER]->(l:License)
  WHERE r.valid_to IS NULL AND NOT l.id IN row.licenses
  SET r.valid_to = $now
}
