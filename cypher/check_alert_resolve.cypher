// check_alert_resolve: resolve the open check alerts of a dataset that its latest check no
// longer raises: dataset-wide ones, and per-reference ones for the references it checked again.
// Params: $dataset; $references (ids checked against); $keep (fingerprints raised now); $now.
// Returns: one row per alert resolved: conflict (map of its properties).
MATCH (:Artifact {id: $dataset})<-[:CONCERNS]-(x:Conflict)
WHERE x.status = 'open' AND x.rule STARTS WITH 'check-' AND NOT x.fingerprint IN $keep
  AND (x.check_reference IS NULL OR x.check_reference IN $references)
SET x.status = 'resolved', x.resolved_at = $now
RETURN x {.*} AS conflict
