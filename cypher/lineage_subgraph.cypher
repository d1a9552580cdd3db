// lineage_subgraph: the neighbourhood of one artifact for drawing: its ancestors and its
// descendants (distinct sets via pruning BFS), the root itself, and every lineage edge among them.
// Params: $id; $edge_kinds; $as_of; $limit: cap on nodes (the answer says when it is hit).
// Returns one row (none if $id is unknown): total, nodes (list of maps, root first), edges.
MATCH (root:Artifact {id: $id})
OPTIONAL MATCH (root)-[up:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(ancestor:Artifact)
WHERE all(h IN up WHERE type(h) IN $edge_kinds AND (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH root, collect(DISTINCT ancestor) AS ancestors
OPTIONAL MATCH (root)<-[down:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]-(descendant:Artifact)
WHERE all(h IN down WHERE type(h) IN $edge_kinds AND (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH root, ancestors, collect(DISTINCT descendant) AS descendants
WITH root, [root] + ancestors + descendants AS everything
WITH root, everything, everything[0..$limit] AS kept
CALL (kept) {
  UNWIND kept AS child
  MATCH (child)-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
  WHERE type(e) IN $edge_kinds AND (e.valid_from IS NULL OR e.valid_from <= $as_of) AND (e.valid_to IS NULL OR e.valid_to > $as_of)
    AND parent IN kept
  RETURN collect({from: child.id, to: parent.id, type: type(e), properties: properties(e)}) AS edges
}
RETURN size(everything) AS total,
       [n IN kept | n {.*, kind: CASE WHEN n:Dataset THEN 'dataset' WHEN n:Model THEN 'model' ELSE 'source' END}] AS nodes,
       edges
