// conflict_record: upsert the conflicts found at evaluated artifacts, each linked
// (:Conflict)-[:CONCERNS]->(:Artifact). A conflict is found from its artifact (anchored on the
// id constraint, then one hop), so the cost does not grow with the number of conflicts in the
// graph. One never seen, or seen and resolved, is (re)opened: `opened` is true and `opened_at`
// moves; an open one only has `last_seen` moved. Run under alert_lock ('alerts:conflicts').
// Params: $conflicts: list of {fingerprint, node, props: {rule, severity, node, origin, path,
//   explanation, remedy, citation, policy}} (origin, path, citation as JSON strings); $now.
// Returns: one row per conflict: fingerprint, opened (bool), conflict (map of its properties,
//   only when opened: the others need no transfer).
UNWIND $conflicts AS c
MATCH (artifact:Artifact {id: c.node})
MERGE (artifact)<-[:CONCERNS]-(x:Conflict {fingerprint: c.fingerprint})
  ON CREATE SET x.first_seen = $now
WITH x, c, coalesce(x.status, 'resolved') = 'resolved' AS opened
SET x += c.props,
    x.status = 'open',
    x.last_seen = $now,
    x.opened_at = CASE WHEN opened THEN $now ELSE x.opened_at END,
    x.resolved_at = null
RETURN x.fingerprint AS fingerprint, opened, CASE WHEN opened THEN x {.*} END AS conflict
