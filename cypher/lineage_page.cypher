// lineage_page: one page of a closure the lineage index computed: the page's artifacts (in
// the order given) and the lineage edges out of $children that are valid at $as_of. The
// caller keeps the edges whose parent lies in the closure.
// Zoned datetimes come as strings (toString) with the list of keys that held one: decoding
// them into driver objects cost more than the rest of the answer (docs/benchmarks.md).
// The graph epoch comes in the same read, so the caller knows the page and the snapshot
// describe one graph (no separate lineage_epoch round trip per page).
// Params: $ids: page ids, in order; $children: ids whose out-edges to return (the page, and
//         the root on the first upstream page); $edge_kinds; $as_of: datetime.
// Returns one row: epoch (integer, as lineage_epoch), nodes (list of {props: [[key, value]],
//   zoned: [key], kind}, in $ids order), edges (list of {from, to, type, props, zoned}).
CALL () {
  UNWIND $ids AS id
  MATCH (n:Artifact {id: id})
  RETURN collect({
    props: [k IN keys(n) | [k, CASE WHEN valueType(n[k]) STARTS WITH 'ZONED DATETIME' THEN toString(n[k]) ELSE n[k] END]],
    zoned: [k IN keys(n) WHERE valueType(n[k]) STARTS WITH 'ZONED DATETIME'],
    kind: CASE WHEN n:Dataset THEN 'dataset' WHEN n:Model THEN 'model' ELSE 'source' END
  }) AS nodes
}
CALL () {
  UNWIND $children AS id
  MATCH (child:Artifact {id: id})-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
  RETURN collect({
    from: child.id, to: parent.id, type: type(e),
    props: [k IN keys(e) | [k, CASE WHEN valueType(e[k]) STARTS WITH 'ZONED DATETIME' THEN toString(e[k]) ELSE e[k] END]],
    zoned: [k IN keys(e) WHERE valueType(e[k]) STARTS WITH 'ZONED DATETIME']
  }) AS edges
}
OPTIONAL MATCH (lock:ProvgraphLock {id: 'lineage'})
RETURN coalesce(lock.epoch, 0) AS epoch, nodes, edges
