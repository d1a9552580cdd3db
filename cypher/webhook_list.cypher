// webhook_list: registered webhooks, oldest first; never their secrets.
// Params: $id (one webhook id, or null for all).
// Returns: one row per webhook: webhook (map without the secret, with has_secret and events;
//   webhooks registered before events existed receive conflict alerts).
MATCH (w:Webhook)
WHERE $id IS NULL OR w.id = $id
RETURN w {.id, .url, .min_severity, .created_at, events: coalesce(w.events, ['conflict.opened']),
          has_secret: w.secret IS NOT NULL} AS webhook
ORDER BY w.created_at, w.id
