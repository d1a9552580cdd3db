// risk_enqueue_deliveries: queue one pending delivery per new risk alert and per webhook that
// takes 'risk.opened' events and whose minimum severity the alert meets, in the transaction
// that records the alert. Links (:Delivery)-[:ABOUT]->(:RiskAlert) and (:Delivery)-[:SENT_TO]->(:Webhook).
// Params: $alerts: list of {fingerprint, node, severities (the min_severity values the alert
//   meets), payload (JSON string)}; $now.
// Returns: one row per delivery queued: id, webhook_id, fingerprint.
MATCH (w:Webhook) WHERE 'risk.opened' IN coalesce(w.events, [])
WITH collect(w) AS webhooks
UNWIND $alerts AS alert
UNWIND [w IN webhooks WHERE w.min_severity IN alert.severities] AS w
MATCH (:Artifact {id: alert.node})<-[:CONCERNS]-(x:RiskAlert {fingerprint: alert.fingerprint})
CREATE (d:Delivery {
  id: randomUUID(), webhook_id: w.id, fingerprint: x.fingerprint, event: 'risk.opened',
  node: x.node, rule: x.rule, severity: x.severity, conflict: alert.payload,
  status: 'pending', attempts: 0, created_at: $now, next_attempt_at: $now, log: []
})
CREATE (d)-[:ABOUT]->(x)
CREATE (d)-[:SENT_TO]->(w)
RETURN d.id AS id, w.id AS webhook_id, x.fingerprint AS fingerprint
