// conflict_list: recorded conflicts (alerts), newest opened first, optionally filtered.
// Params: $status ('open'|'resolved'|null); $severities (the severities to show, or null for
//   all); $artifact (artifact id or null); $limit.
// Returns: one row per conflict: conflict (map of its properties).
MATCH (x:Conflict)
WHERE ($status IS NULL OR x.status = $status)
  AND ($severities IS NULL OR x.severity IN $severities)
  AND ($artifact IS NULL OR x.node = $artifact)
RETURN x {.*} AS conflict
ORDER BY x.opened_at DESC, x.fingerprint
LIMIT $limit
