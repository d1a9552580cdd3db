// webhook_deliveries: the delivery log, newest first, optionally for one webhook or status.
// Params: $webhook_id (or null); $status ('pending'|'delivered'|'failed'|null); $limit.
// Returns: one row per delivery: delivery (map of its properties).
MATCH (d:Delivery)
WHERE ($webhook_id IS NULL OR d.webhook_id = $webhook_id)
  AND ($status IS NULL OR d.status = $status)
RETURN d {.*} AS delivery
ORDER BY d.created_at DESC, d.id
LIMIT $limit
