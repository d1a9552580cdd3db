// lock_lineage: serialise lineage writers. Taking a write lock on one well-known node at the
// start of a write transaction makes the cycle check and the write atomic with respect to
// other writers (the lock is held until commit or rollback). It also moves the graph epoch
// on, which retires the in-memory lineage index of every reader (lineage_epoch).
// Params: $now: datetime. Returns: nothing.
MERGE (lock:ProvgraphLock {id: 'lineage'})
SET lock.held_at = $now, lock.epoch = coalesce(lock.epoch, 0) + 1
