// import_precheck: is the database empty enough for a bulk import (neo4j-admin import replaces
// it)? Lock nodes (ProvgraphLock, created by the schema and by writers) are bookkeeping, not
// data; anything else (artifacts, runs, tokens, webhooks, alerts, audit events) makes it non-empty.
// Params: none.
// Returns one row: nodes (count of nodes that are not lock nodes), labels (their labels, up to
//         10 distinct), epoch (the lineage lock's epoch, 0 if none: the import moves it on).
OPTIONAL MATCH (lock:ProvgraphLock {id: 'lineage'})
WITH coalesce(lock.epoch, 0) AS epoch
CALL () {
  MATCH (n) WHERE NOT n:ProvgraphLock
  RETURN count(n) AS nodes
}
CALL () {
  MATCH (n) WHERE NOT n:ProvgraphLock
  WITH n LIMIT 1000
  UNWIND labels(n) AS label
  RETURN collect(DISTINCT label)[..10] AS labels
}
RETURN nodes, labels, epoch
