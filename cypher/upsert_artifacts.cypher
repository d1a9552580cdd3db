// upsert_artifacts: create or update artifacts (datasets, models, sources) in one batch.
// Params: $rows: list of {id, label ('Dataset'|'Model'|'Source'), props: map}; $now: datetime.
// Properties in props are merged into the node (fields not given are kept); updated_at moves
// only when a value actually changes, so re-loading a file leaves every artifact as it was.
// Returns: nothing (read the counters).
UNWIND $rows AS row
MERGE (a:Artifact {id: row.id})
  ON CREATE SET a.created_at = $now
WITH a, row, any(key IN keys(row.props) WHERE a[key] IS NULL OR a[key] <> row.props[key]) AS changed
SET a:$(row.label)
SET a += row.props
SET a.updated_at = CASE WHEN changed OR a.updated_at IS NULL THEN $now ELSE a.updated_at END
