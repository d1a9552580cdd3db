// license_ancestry: what license propagation needs about one artifact, in one lean read:
// the artifact and its distinct ancestors (pruning BFS, never paths), each with the few facts
// propagation reads (id, kind, declared expression, licenses declared at $as_of, family, name)
// and its lineage edges (one hop) as [parent id, type, waivers]; every property only for the
// artifact itself (the rules read them there). Every valid parent of an ancestor is itself an
// ancestor, so no membership test is needed.
// Params: $id; $as_of: datetime; $limit: cap on ancestors (the answer says when it is hit).
// Returns one row per node, the artifact first (none if $id is unknown): total (ancestors),
//   id, kind, license, family, name, licenses (ids declared at $as_of), edges (list of
//   [to, type, waivers]), props (map of every property, the artifact's row only).
MATCH (root:Artifact {id: $id})
OPTIONAL MATCH (root)-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(ancestor:Artifact)
WHERE all(h IN hops WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH root, collect(DISTINCT ancestor) AS ancestors
WITH root, size(ancestors) AS total, [root] + ancestors[0..$limit] AS closure
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
       CASE WHEN node = root THEN properties(node) END AS props
