// license_nodes: the per-node part of license_ancestry for ids the caller already knows are
// the closure (the lineage index found it): each artifact with the few facts propagation
// reads, the licenses declared at $as_of and its lineage edges (one hop, valid at $as_of) as
// [parent id, type, waivers]; every property only for the $roots. No expansion: one row per
// id, looked up by the unique id index. Read in batches of ids inside one transaction.
// Params: $ids: artifact ids; $roots: ids whose every property is returned; $as_of: datetime.
// Returns one row per known id: id, kind, license, family, name, licenses (ids declared at
//   $as_of), edges (list of [to, type, waivers]), props (map of every property, roots only).
UNWIND $ids AS wanted
MATCH (node:Artifact {id: wanted})
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
RETURN node.id AS id,
       CASE WHEN node:Dataset THEN 'dataset' WHEN node:Model THEN 'model' ELSE 'source' END AS kind,
       node.license AS license,
       node.family AS family,
       node.name AS name,
       licenses,
       edges,
       CASE WHEN node.id IN $roots THEN properties(node) END AS props
