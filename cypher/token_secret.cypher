// token_secret: what verifying a presented token needs: the salt and hash of one token id.
// Params: $id.
// Returns: one row: token (public map), salt, hash; no row for an unknown id.
MATCH (t:ApiToken {id: $id})
RETURN t {.id, .name, .scopes, .created_at, .revoked_at} AS token, t.salt AS salt, t.hash AS hash
