// token_list: every API token, oldest first, without salts or hashes.
// Params: none.
// Returns: one row per token: token (map of id, name, scopes, created_at, revoked_at).
MATCH (t:ApiToken)
RETURN t {.id, .name, .scopes, .created_at, .revoked_at} AS token
ORDER BY t.created_at, t.id
