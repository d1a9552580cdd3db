// webhook_next_due: when the earliest pending delivery that no other sender holds falls due
// (deliveries under a live lease are that sender's business until the lease expires).
// Params: $now; $webhooks: webhook ids, or null for all.
// Returns: one row: next_due (datetime, null when nothing is waiting), pending (count, leased
//   ones included).
MATCH (d:Delivery {status: 'pending'})-[:SENT_TO]->(:Webhook)
WHERE $webhooks IS NULL OR d.webhook_id IN $webhooks
RETURN min(CASE WHEN d.claimed_until IS NULL OR d.claimed_until <= $now THEN d.next_attempt_at END) AS next_due,
       count(d) AS pending
