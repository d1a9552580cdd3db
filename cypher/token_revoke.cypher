// token_revoke: mark an API token revoked (kept, so audit records still name it); idempotent.
// Params: $id; $now.
// Returns: one row: token (map without salt and hash); no row for an unknown id.
MATCH (t:ApiToken {id: $id})
SET t.revoked_at = coalesce(t.revoked_at, $now)
RETURN t {.id, .name, .scopes, .created_at, .revoked_at} AS token
