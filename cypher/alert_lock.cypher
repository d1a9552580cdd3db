// alert_lock: serialise alert writers on one well-known lock node, first in their transaction:
// conflict refreshes (so two never record the same new conflict, or queue its deliveries, twice)
// and delivery claims (so two senders never take the same delivery). Held until commit.
// Params: $name: 'alerts:conflicts' or 'alerts:deliveries'; $now: datetime. Returns: nothing.
MERGE (lock:ProvgraphLock {id: $name})
SET lock.held_at = $now
