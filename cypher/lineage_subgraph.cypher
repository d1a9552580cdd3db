// lineage_subgraph: the neighbourhood of one artifact for drawing: its ancestors and its
// descendants (distinct sets via pruning BFS), the root itself, and every lineage edge among them.
// With $as_text, zoned datetimes come as strings (toString) with the list of the keys that held
// one, as in lineage_page: the driver's decoding of 6,000 datetimes took 0.6 s of a 0.7 s
// answer (3,000 nodes). Without it (the fallback for a text the caller cannot read), as values.
// Params: $id; $edge_kinds; $as_of; $limit: cap on nodes (the answer says when it is hit);
//         $as_text: boolean.
// Returns one row (none if $id is unknown): total, nodes (list of {props: map, zoned: [key], kind},
//   root first), edges (list of {from, to, type, props, zoned}): every valid edge out of a node;
//   the caller keeps those whose parent is among the nodes (`parent IN kept` here compares
//   with every kept node: quadratic, 0.3 s at 3,000 nodes).
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
  RETURN collect({
    from: child.id, to: parent.id, type: type(e),
    props: e {.*,
      valid_from: CASE WHEN $as_text AND e.valid_from IS :: ZONED DATETIME THEN toString(e.valid_from) ELSE e.valid_from END,
      valid_to: CASE WHEN $as_text AND e.valid_to IS :: ZONED DATETIME THEN toString(e.valid_to) ELSE e.valid_to END},
    zoned: [k IN ['valid_from', 'valid_to'] WHERE $as_text AND e[k] IS :: ZONED DATETIME NOT NULL]
  }) AS edges
}
RETURN size(everything) AS total,
       [n IN kept | {
         props: n {.*,
           created_at: CASE WHEN $as_text AND n.created_at IS :: ZONED DATETIME THEN toString(n.created_at) ELSE n.created_at END,
           updated_at: CASE WHEN $as_text AND n.updated_at IS :: ZONED DATETIME THEN toString(n.updated_at) ELSE n.updated_at END},
         zoned: [k IN ['created_at', 'updated_at'] WHERE $as_text AND n[k] IS :: ZONED DATETIME NOT NULL],
         kind: CASE WHEN n:Dataset THEN 'dataset' WHEN n:Model THEN 'model' ELSE 'source' END
       }] AS nodes,
       edges
