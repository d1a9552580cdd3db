// webhook_create: register a webhook that receives new conflict alerts.
// Params: $id; $url; $secret (HMAC key, never returned); $min_severity ('warning'|'error');
//   $events (list of 'conflict.opened', 'risk.opened'); $now.
// Returns: one row: webhook (map without the secret, with has_secret).
CREATE (w:Webhook {id: $id, url: $url, secret: $secret, min_severity: $min_severity, events: $events, created_at: $now})
RETURN w {.id, .url, .min_severity, .created_at, events: w.events, has_secret: w.secret IS NOT NULL} AS webhook
