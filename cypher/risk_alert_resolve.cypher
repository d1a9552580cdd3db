// risk_alert_resolve: mark `resolved` the open risk alerts of the evaluated artifacts that the
// latest evaluation no longer finds (e.g. human data was added, or a threshold changed).
// Params: $nodes: evaluated artifact ids; $keep: fingerprints found now; $now.
// Returns: one row per alert resolved: alert (map of its properties).
MATCH (artifact:Artifact) WHERE artifact.id IN $nodes
MATCH (artifact)<-[:CONCERNS]-(x:RiskAlert)
WHERE x.status = 'open' AND NOT x.fingerprint IN $keep
SET x.status = 'resolved', x.resolved_at = $now
RETURN x {.*} AS alert
