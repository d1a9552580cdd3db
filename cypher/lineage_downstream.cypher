// lineage_downstream: impact of one artifact (everything derived, generated, trained or
// fine-tuned from it), one page at a time. Same shape as lineage_upstream, edges reversed:
// distinct descendants first (pruning BFS), then one hop for the edges among them.
// Params: $id; $edge_kinds; $as_of; $after; $limit; $depth_bounded (see lineage_upstream).
// Returns one row (none if $id is unknown): root (map), total, nodes (list of maps),
//   remaining (closure nodes from this page on), edges, beyond_depth.
MATCH (root:Artifact {id: $id})
OPTIONAL MATCH (root)<-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1../*max_depth*/]-(descendant:Artifact)
WHERE all(h IN hops WHERE type(h) IN $edge_kinds AND (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH root, collect(DISTINCT descendant) AS closure
CALL (closure) {
  UNWIND closure AS node
  WITH node WHERE $after IS NULL OR node.id > $after
  ORDER BY node.id
  WITH collect(node) AS rest
  RETURN rest[0..$limit] AS page, size(rest) AS remaining
}
CALL (root, closure, page) {
  // Every edge lies on the page of its child end; its parent is the root or another descendant.
  UNWIND page AS child
  MATCH (child)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
    AND (parent = root OR parent IN closure)
  RETURN collect({from: child.id, to: parent.id, type: type(e), properties: properties(e)}) AS edges
}
CALL (closure) {
  // Only with a depth bound: any child of a descendant is a descendant, so one outside the
  // closure lies beyond the bound.
  UNWIND (CASE WHEN $depth_bounded THEN closure ELSE [] END) AS node
  MATCH (node)<-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]-(child:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
    AND NOT child IN closure
  RETURN count(e) > 0 AS beyond_depth
}
RETURN root {.*, kind: CASE WHEN root:Dataset THEN 'dataset' WHEN root:Model THEN 'model' ELSE 'source' END} AS root,
       size(closure) AS total,
       [n IN page | n {.*, kind: CASE WHEN n:Dataset THEN 'dataset' WHEN n:Model THEN 'model' ELSE 'source' END}] AS nodes,
       remaining,
       edges,
       beyond_depth
