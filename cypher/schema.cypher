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
MERGE (:ProvgraphLock {id: 'lineage'})
