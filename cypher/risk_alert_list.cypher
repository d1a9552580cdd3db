// risk_alert_list: recorded synthetic-data risk alerts, newest opened first, optionally filtered.
// Params: $status ('open'|'resolved'|null); $artifact (artifact id or null); $limit.
// Returns: one row per alert: alert (map of its properties).
MATCH (x:RiskAlert)
WHERE ($status IS NULL OR x.status = $status)
  AND ($artifact IS NULL OR x.node = $artifact)
RETURN x {.*} AS alert
ORDER BY x.opened_at DESC, x.fingerprint
LIMIT $limit
