// schema: uniqueness constraints (and their backing indexes) for every keyed label.
// Idempotent (IF NOT EXISTS); applied at start by provgraph. Statements end with semicolons.
// Also creates the node that lock_lineage locks.
// Params: none. Returns: nothing.
CREATE CONSTRAINT artifact_id IF NOT EXISTS FOR (a:Artifact) REQUIRE a.id IS UNIQUE;
CREATE CONSTRAINT license_id IF NOT EXISTS FOR (l:License) REQUIRE l.id IS UNIQUE;
CREATE CONSTRAINT run_id IF NOT EXISTS FOR (r:Run) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT agent_id IF NOT EXISTS FOR (g:Agent) REQUIRE g.id IS UNIQUE;
CREATE CONSTRAINT check_id IF NOT EXISTS FOR (c:Check) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT lock_id IF NOT EXISTS FOR (l:ProvgraphLock) REQUIRE l.id IS UNIQUE;
CREATE CONSTRAINT conflict_fingerprint IF NOT EXISTS FOR (c:Conflict) REQUIRE c.fingerprint IS UNIQUE;
CREATE CONSTRAINT risk_alert_fingerprint IF NOT EXISTS FOR (r:RiskAlert) REQUIRE r.fingerprint IS UNIQUE;
CREATE CONSTRAINT webhook_id IF NOT EXISTS FOR (w:Webhook) REQUIRE w.id IS UNIQUE;
CREATE CONSTRAINT delivery_id IF NOT EXISTS FOR (d:Delivery) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT api_token_id IF NOT EXISTS FOR (t:ApiToken) REQUIRE t.id IS UNIQUE;
CREATE CONSTRAINT audit_event_id IF NOT EXISTS FOR (e:AuditEvent) REQUIRE e.id IS UNIQUE;
CREATE INDEX conflict_node IF NOT EXISTS FOR (c:Conflict) ON (c.node);
CREATE INDEX risk_alert_node IF NOT EXISTS FOR (r:RiskAlert) ON (r.node);
CREATE INDEX delivery_due IF NOT EXISTS FOR (d:Delivery) ON (d.status, d.next_attempt_at);
CREATE INDEX delivery_webhook IF NOT EXISTS FOR (d:Delivery) ON (d.webhook_id);
MERGE (:ProvgraphLock {id: 'lineage'})
