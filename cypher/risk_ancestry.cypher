// risk_ancestry: the weighted lineage DAG behind the synthetic-data figures of one or more
// artifacts: the roots and the union of their distinct ancestors (pruning BFS, never paths),
// each with the facts the figures need and its lineage edges (one hop) with record counts.
// Flat columns and edges as lists (not maps): the driver decodes no key per value.
// Params: $ids: artifact ids; $as_of: datetime (edges valid then); $limit: cap on nodes.
// Returns one row per node (none if no id is known): total (nodes before the cap), id, kind,
//   human, records, vendor, family, edges (list of [to, type, records]).
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
  RETURN collect(CASE WHEN parent IS NOT NULL THEN [parent.id, type(e), e.records] END) AS edges
}
RETURN total,
       node.id AS id,
       CASE WHEN node:Dataset THEN 'dataset' WHEN node:Model THEN 'model' ELSE 'source' END AS kind,
       node.human AS human, node.records AS records, node.vendor AS vendor, node.family AS family,
       edges
