// webhook_claim_deliveries: lease up to $limit pending deliveries that are due and not leased by
// another sender, oldest first. Run after alert_lock ('alerts:deliveries') in the same
// transaction, so two senders never claim the same delivery.
// Params: $now; $lease_until: datetime; $webhooks: webhook ids, or null for all; $limit.
// Returns: one row per claimed delivery: delivery (map), url, secret (for signing only).
MATCH (d:Delivery {status: 'pending'})
WHERE d.next_attempt_at <= $now
  AND (d.claimed_until IS NULL OR d.claimed_until <= $now)
  AND ($webhooks IS NULL OR d.webhook_id IN $webhooks)
WITH d ORDER BY d.next_attempt_at, d.id LIMIT $limit
MATCH (d)-[:SENT_TO]->(w:Webhook)
SET d.claimed_until = $lease_until
RETURN d {.*} AS delivery, w.url AS url, w.secret AS secret
