// lineage_upstream: ancestry of one artifact, one page at a time.
// Distinct ancestors first (VarLengthExpand(Pruning,BFS): linear in nodes, never paths),
// then one hop for the edges among them. /*max_depth*/ is where provgraph puts a validated
// depth bound; without it the expansion is unbounded.
// Params: $id; $edge_kinds: lineage types to follow; $as_of: datetime (edges valid then);
//         $after: id of the last node of the previous page, or null; $limit: page size;
//         $depth_bounded: true when a depth bound was set (then look for nodes beyond it).
// Returns one row (none if $id is unknown): root (map), total, nodes (list of maps),
//   remaining (closure nodes from this page on), edges, beyond_depth.
MATCH (root:Artifact {id: $id})
OPTIONAL MATCH (root)-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1../*max_depth*/]->(ancestor:Artifact)
WHERE all(h IN hops WHERE type(h) IN $edge_kinds AND (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH root, collect(DISTINCT ancestor) AS closure
CALL (closure) {
  UNWIND closure AS node
  WITH node WHERE $after IS NULL OR node.id > $after
  ORDER BY node.id
  WITH collect(node) AS rest
  RETURN rest[0..$limit] AS page, size(rest) AS remaining
}
CALL (root, closure, page) {
  UNWIND (CASE WHEN $after IS NULL THEN [root] ELSE [] END) + page AS child
  MATCH (child)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
    AND parent IN closure
  RETURN collect({from: child.id, to: parent.id, type: type(e), properties: properties(e)}) AS edges
}
CALL (closure) {
  // Only with a depth bound: an ancestor with a parent outside the closure lies at the bound.
  UNWIND (CASE WHEN $depth_bounded THEN closure ELSE [] END) AS node
  MATCH (node)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
    AND NOT parent IN closure
  RETURN count(e) > 0 AS beyond_depth
}
RETURN root {.*, kind: CASE WHEN root:Dataset THEN 'dataset' WHEN root:Model THEN 'model' ELSE 'source' END} AS root,
       size(closure) AS total,
       [n IN page | n {.*, kind: CASE WHEN n:Dataset THEN 'dataset' WHEN n:Model THEN 'model' ELSE 'source' END}] AS nodes,
       remaining,
       edges,
       beyond_depth
