// conflict_resolve: mark `resolved` the open conflicts (of one policy) of the evaluated artifacts
// that the latest evaluation no longer finds.
// Params: $nodes: evaluated artifact ids; $keep: fingerprints found now; $policy; $now.
// Returns: one row per conflict resolved: conflict (map of its properties).
MATCH (artifact:Artifact) WHERE artifact.id IN $nodes
MATCH (artifact)<-[:CONCERNS]-(x:Conflict)
WHERE x.status = 'open' AND x.policy = $policy AND NOT x.fingerprint IN $keep
SET x.status = 'resolved', x.resolved_at = $now
RETURN x {.*} AS conflict
