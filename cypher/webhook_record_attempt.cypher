// webhook_record_attempt: log one delivery attempt and its outcome, and release the lease.
// Params: $id; $webhook_id (anchors the lookup on the webhook's deliveries); $status
//   ('pending'|'delivered'|'failed'); $attempts; $last_status (HTTP status or null);
//   $last_error (or null); $at; $next_attempt_at (null unless retrying); $delivered_at (or
//   null); $entry (JSON string appended to the log).
// Returns: nothing.
MATCH (w:Webhook {id: $webhook_id})
CALL (w) {
  MATCH (w)<-[:SENT_TO]-(d:Delivery {id: $id})
  RETURN d
}
SET d.status = $status,
    d.attempts = $attempts,
    d.last_status = $last_status,
    d.last_error = $last_error,
    d.last_attempt_at = $at,
    d.next_attempt_at = $next_attempt_at,
    d.delivered_at = $delivered_at,
    d.claimed_until = null,
    d.log = coalesce(d.log, []) + [$entry]
