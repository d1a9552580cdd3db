// audit_for_artifact: the recorded writes of one artifact, newest first.
// Params: $id (artifact id); $limit.
// Returns: one row per write: event (map: id, at, action, source, via, actor, token_id, run).
MATCH (:Artifact {id: $id})<-[:WROTE]-(e:AuditEvent)
RETURN e {.id, .at, .action, .source, .via, .actor, .token_id, .run} AS event
ORDER BY e.at DESC, e.id
LIMIT $limit
