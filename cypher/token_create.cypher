// token_create: store a new API token: its public id, name, scopes and salted hash (never the value).
// Params: $id; $name; $scopes (list of 'read'|'write'|'admin'); $salt (hex); $hash (hex HMAC-SHA256); $now.
// Returns: one row: token (map without salt and hash).
CREATE (t:ApiToken {id: $id, name: $name, scopes: $scopes, salt: $salt, hash: $hash, created_at: $now})
RETURN t {.id, .name, .scopes, .created_at, .revoked_at} AS token
