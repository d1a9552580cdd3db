// upsert_runs: create or update runs (:Run nodes, PROV activities; not artifacts) in one batch.
// Properties are merged; a finished run (succeeded or failed) never goes back to running, and
// started_at keeps the earliest value, so replayed or late events cannot undo a run's end.
// Params: $rows: list of {id, props: map (status, kind, started_at, ended_at, params...)}; $now.
// Returns: nothing (read the counters).
UNWIND $rows AS row
MERGE (r:Run {id: row.id})
  ON CREATE SET r.created_at = $now
WITH r, row, r.status IN ['succeeded', 'failed'] AND row.props.status = 'running' AS stale
SET r += CASE WHEN stale THEN {} ELSE row.props END
SET r.started_at = CASE
      WHEN r.started_at IS NULL OR row.props.started_at < r.started_at THEN coalesce(row.props.started_at, r.started_at)
      ELSE r.started_at END,
    r.updated_at = $now
