// upsert_artifacts: create or update artifacts (datasets, models, sources) in one batch.
// Params: $rows: list of {id, label ('Dataset'|'Model'|'Source'), props: map}; $now: datetime.
// Properties in props are merged into the node (fields not given are kept).
// Returns: nothing (read the counters).
UNWIND $rows AS row
MERGE (a:Artifact {id: row.id})
  ON CREATE SET a.created_at = $now
SET a:$(row.label)
SET a += row.props
SET a.updated_at = $now
