// license_ancestry_many: license_ancestry for many artifacts at once: the union of their
// distinct ancestor sets (one pruning BFS per root, never paths) with the same lean facts,
// licenses declared at $as_of and lineage edges, so one propagation pass answers for every
// root; every property only for the roots (the rules are evaluated there).
// Params: $ids: artifact ids; $as_of: datetime; $limit: cap on nodes.
// Returns one row per node, the roots first: total (nodes before the cap), id, kind, license,
//   family, name, licenses, edges (list of [to, type, waivers]), props (roots only, else null).
MATCH (root:Artifact) WHERE root.id IN $ids
OPTIONAL MATCH (root)-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(ancestor:Artifact)
WHERE all(h IN hops WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH collect(DISTINCT root) AS roots, collect(DISTINCT ancestor) AS ancestors
WITH roots, roots + [a IN ancestors WHERE NOT a IN roots] AS everything
WITH roots, size(everything) AS total, everything[0..$limit] AS closure
UNWIND closure AS node
CALL (node) {
  OPTIONAL MATCH (node)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
  RETURN collect(CASE WHEN parent IS NOT NULL THEN [parent.id, type(e), e.waivers] END) AS edges
}
CALL (node) {
  OPTIONAL MATCH (node)-[l:LICENSED_UNDER]->(license:License)
  WHERE (l.valid_from IS NULL OR l.valid_from <= $as_of) AND (l.valid_to IS NULL OR l.valid_to > $as_of)
  RETURN collect(license.id) AS licenses
}
RETURN total,
       node.id AS id,
       CASE WHEN node:Dataset THEN 'dataset' WHEN node:Model THEN 'model' ELSE 'source' END AS kind,
       node.license AS license,
       node.family AS family,
       node.name AS name,
       licenses,
       edges,
       CASE WHEN node IN roots THEN properties(node) END AS props
