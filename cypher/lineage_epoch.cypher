// lineage_epoch: the graph epoch (bumped by every lineage write, see lock_lineage) and the
// number of lineage relationships (from the count store, O(1)). The in-memory lineage index
// is valid for one epoch only.
// Params: none. Returns one row: epoch (integer, 0 before the first write), edges.
OPTIONAL MATCH (lock:ProvgraphLock {id: 'lineage'})
RETURN coalesce(lock.epoch, 0) AS epoch,
       COUNT { ()-[:DERIVED_FROM]->() } + COUNT { ()-[:GENERATED_BY]->() }
         + COUNT { ()-[:TRAINED_ON]->() } + COUNT { ()-[:FINE_TUNED_FROM]->() } AS edges
