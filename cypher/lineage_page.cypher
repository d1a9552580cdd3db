// lineage_page: one page of a closure the lineage index computed: the page's artifacts (in
// the order given) and the lineage edges out of $children that are valid at $as_of. The
// caller keeps the edges whose parent lies in the closure.
// The datetimes every artifact and edge carries (created_at, updated_at; valid_from,
// valid_to) come as strings (toString) with the list of those keys that held a zoned
// datetime: decoding them into driver objects cost more than the rest of the answer
// (docs/benchmarks.md). The properties come as one map (`.*`): reading each key by name
// through keys() cost Neo4j a third more. Any other datetime comes as a driver value; a
// missing one of the four keys comes as null.
// The graph epoch comes in the same read, so the caller knows the page and the snapshot
// describe one graph (no separate lineage_epoch round trip per page).
// Params: $ids: page ids, in order; $children: ids whose out-edges to return (the page, and
//         the root on the first upstream page); $edge_kinds; $as_of: datetime.
// Returns one row: epoch (integer, as lineage_epoch), nodes (list of {props: map, zoned: [key],
//   kind}, in $ids order), edges (list of {from, to, type, props, zoned}).
CALL () {
  UNWIND $ids AS id
  MATCH (n:Artifact {id: id})
  RETURN collect({
    props: n {.*,
      created_at: CASE WHEN n.created_at IS :: ZONED DATETIME THEN toString(n.created_at) ELSE n.created_at END,
      updated_at: CASE WHEN n.updated_at IS :: ZONED DATETIME THEN toString(n.updated_at) ELSE n.updated_at END},
    zoned: [k IN ['created_at', 'updated_at'] WHERE n[k] IS :: ZONED DATETIME NOT NULL],
    kind: CASE WHEN n:Dataset THEN 'dataset' WHEN n:Model THEN 'model' ELSE 'source' END
  }) AS nodes
}
CALL () {
  UNWIND $children AS id
  MATCH (child:Artifact {id: id})-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
  RETURN collect({
    from: child.id, to: parent.id, type: type(e),
    props: e {.*,
      valid_from: CASE WHEN e.valid_from IS :: ZONED DATETIME THEN toString(e.valid_from) ELSE e.valid_from END,
      valid_to: CASE WHEN e.valid_to IS :: ZONED DATETIME THEN toString(e.valid_to) ELSE e.valid_to END},
    zoned: [k IN ['valid_from', 'valid_to'] WHERE e[k] IS :: ZONED DATETIME NOT NULL]
  }) AS edges
}
OPTIONAL MATCH (lock:ProvgraphLock {id: 'lineage'})
RETURN coalesce(lock.epoch, 0) AS epoch, nodes, edges
