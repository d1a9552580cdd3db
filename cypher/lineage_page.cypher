// lineage_page: one page of a closure the lineage index computed: the page's artifacts (in
// the order given) and the lineage edges out of $children that are valid at $as_of. The
// caller keeps the edges whose parent lies in the closure.
// Params: $ids: page ids, in order; $children: ids whose out-edges to return (the page, and
//         the root on the first upstream page); $edge_kinds; $as_of: datetime.
// Returns one row: nodes (list of maps with kind, in $ids order), edges.
CALL () {
  UNWIND $ids AS id
  MATCH (n:Artifact {id: id})
  RETURN collect(n {.*, kind: CASE WHEN n:Dataset THEN 'dataset' WHEN n:Model THEN 'model' ELSE 'source' END}) AS nodes
}
CALL () {
  UNWIND $children AS id
  MATCH (child:Artifact {id: id})-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
  RETURN collect({from: child.id, to: parent.id, type: type(e), properties: properties(e)}) AS edges
}
RETURN nodes, edges
