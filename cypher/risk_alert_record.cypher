// risk_alert_record: upsert the synthetic-data risk findings of evaluated artifacts as alerts,
// each linked (:RiskAlert)-[:CONCERNS]->(:Artifact) and found from its artifact (id
// constraint, one hop). One never seen, or seen and resolved, is (re)opened (`opened` true,
// `opened_at` moves); an open one only has `last_seen` moved. Run under alert_lock ('alerts:risk').
// Params: $alerts: list of {fingerprint, node, props: {rule, severity, node, origin,
//   explanation, remedy}}; $now.
// Returns: one row per alert: fingerprint, opened (bool), alert (map of its properties).
UNWIND $alerts AS a
MATCH (artifact:Artifact {id: a.node})
MERGE (artifact)<-[:CONCERNS]-(x:RiskAlert {fingerprint: a.fingerprint})
  ON CREATE SET x.first_seen = $now
WITH x, a, coalesce(x.status, 'resolved') = 'resolved' AS opened
SET x += a.props,
    x.status = 'open',
    x.last_seen = $now,
    x.opened_at = CASE WHEN opened THEN $now ELSE x.opened_at END,
    x.resolved_at = null
RETURN x.fingerprint AS fingerprint, opened, x {.*} AS alert
