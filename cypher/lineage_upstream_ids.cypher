// lineage_upstream_ids: the ids of the ancestry of one artifact, in id order, one page at a
// time, without properties or edges (lineage_ids when the in-memory index cannot answer).
// Distinct ancestors first (VarLengthExpand(Pruning,BFS)), as lineage_upstream.
// Params: $id; $edge_kinds; $as_of; $after: last id of the previous page, or null;
//         $limit: page size; $depth_bounded (see lineage_upstream).
// Returns one row (none if $id is unknown): total, ids (list of strings), remaining
//   (closure nodes from this page on), beyond_depth.
MATCH (root:Artifact {id: $id})
OPTIONAL MATCH (root)-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1../*max_depth*/]->(ancestor:Artifact)
WHERE all(h IN hops WHERE type(h) IN $edge_kinds AND (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH root, collect(DISTINCT ancestor) AS closure  // root: no row for an unknown id
CALL (closure) {
  UNWIND closure AS node
  WITH node.id AS id WHERE $after IS NULL OR id > $after
  ORDER BY id
  WITH collect(id) AS rest
  RETURN rest[0..$limit] AS ids, size(rest) AS remaining
}
CALL (closure) {
  // Only with a depth bound: an ancestor with a parent outside the closure lies at the bound.
  UNWIND (CASE WHEN $depth_bounded THEN closure ELSE [] END) AS node
  MATCH (node)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
    AND NOT parent IN closure
  RETURN count(e) > 0 AS beyond_depth
}
RETURN size(closure) AS total, ids, remaining, beyond_depth
