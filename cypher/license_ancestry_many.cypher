// license_ancestry_many: license_ancestry for many artifacts at once: the union of their
// distinct ancestor sets (one pruning BFS per root, never paths) with facts, licenses declared
// at $as_of and lineage edges, so one propagation pass answers for every root.
// Params: $ids: artifact ids; $as_of: datetime; $limit: cap on nodes.
// Returns one row per node: total (nodes before the cap), node (map with kind), licenses, edges.
MATCH (root:Artifact) WHERE root.id IN $ids
OPTIONAL MATCH (root)-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(ancestor:Artifact)
WHERE all(h IN hops WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH collect(DISTINCT root) AS roots, collect(DISTINCT ancestor) AS ancestors
WITH roots + [a IN ancestors WHERE NOT a IN roots] AS everything
WITH size(everything) AS total, everything[0..$limit] AS closure
UNWIND closure AS node
CALL (node) {
  OPTIONAL MATCH (node)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
  RETURN collect(CASE WHEN parent IS NOT NULL THEN {to: parent.id, type: type(e), properties: properties(e)} END) AS edges
}
CALL (node) {
  OPTIONAL MATCH (node)-[l:LICENSED_UNDER]->(license:License)
  WHERE (l.valid_from IS NULL OR l.valid_from <= $as_of) AND (l.valid_to IS NULL OR l.valid_to > $as_of)
  RETURN collect(license.id) AS licenses
}
RETURN total,
       node {.*, kind: CASE WHEN node:Dataset THEN 'dataset' WHEN node:Model THEN 'model' ELSE 'source' END} AS node,
       licenses,
       edges
