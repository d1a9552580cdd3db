// webhook_enqueue_deliveries: queue one pending delivery per new alert and per webhook whose
// minimum severity the alert meets and that takes $event, in the transaction that records the alert, before anything
// is sent (so nothing is lost if the process dies). Links (:Delivery)-[:ABOUT]->(:Conflict) and
// (:Delivery)-[:SENT_TO]->(:Webhook).
// Params: $alerts: list of {fingerprint, node (its artifact id), severities (the min_severity
//   values the alert meets), conflict (JSON string: the payload's conflict object)}; $event; $now.
// Returns: one row per delivery queued: id, webhook_id, fingerprint.
MATCH (w:Webhook)
WITH collect(w) AS webhooks
UNWIND $alerts AS alert
UNWIND [w IN webhooks WHERE w.min_severity IN alert.severities AND $event IN coalesce(w.events, ['conflict.opened'])] AS w
MATCH (:Artifact {id: alert.node})<-[:CONCERNS]-(x:Conflict {fingerprint: alert.fingerprint})
CREATE (d:Delivery {
  id: randomUUID(), webhook_id: w.id, fingerprint: x.fingerprint, event: $event,
  node: x.node, rule: x.rule, severity: x.severity, conflict: alert.conflict,
  status: 'pending', attempts: 0, created_at: $now, next_attempt_at: $now, log: []
})
CREATE (d)-[:ABOUT]->(x)
CREATE (d)-[:SENT_TO]->(w)
RETURN d.id AS id, w.id AS webhook_id, x.fingerprint AS fingerprint
