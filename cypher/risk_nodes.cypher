// risk_nodes: the per-node part of risk_ancestry for ids the caller already knows are the
// closure (the lineage index found it): each artifact with the facts the figures need and
// its lineage edges (one hop, valid at $as_of) with record counts. No expansion: one row per
// id, looked up by the unique id index. Read in batches of ids inside one transaction.
// Params: $ids: artifact ids; $as_of: datetime (edges valid then).
// Returns one row per known id: id, kind, human, records, vendor, family, edges (list of
//   [to, type, records]).
UNWIND $ids AS wanted
MATCH (node:Artifact {id: wanted})
CALL (node) {
  OPTIONAL MATCH (node)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
  RETURN collect(CASE WHEN parent IS NOT NULL THEN [parent.id, type(e), e.records] END) AS edges
}
RETURN node.id AS id,
       CASE WHEN node:Dataset THEN 'dataset' WHEN node:Model THEN 'model' ELSE 'source' END AS kind,
       node.human AS human, node.records AS records, node.vendor AS vendor, node.family AS family,
       edges
