// audit_record: record (once per $id) who wrote, and link the event to the artifacts written.
// Runs inside each write transaction of an ingest, so data and audit commit together.
// Params: $id; $at; $action; $source; $via ('api'|'cli'|'sdk'|'local'); $actor; $token_id;
//         $run; $ids (artifact ids created or changed by this transaction).
// Returns: nothing.
MERGE (e:AuditEvent {id: $id})
  ON CREATE SET e.at = $at, e.action = $action, e.source = $source, e.via = $via,
                e.actor = $actor, e.token_id = $token_id, e.run = $run
WITH e
UNWIND $ids AS artifact_id
MATCH (a:Artifact {id: artifact_id})
MERGE (e)-[:WROTE]->(a)
