// witness_path: one shortest lineage path from $from up to its ancestor $to (not all paths).
// Params: $from, $to: artifact ids; $edge_kinds; $as_of (null: every edge, retracted ones too).
// Returns: at most one row: ids (node ids along the path), edges (list of {from, to, type, properties}).
MATCH (source:Artifact {id: $from}), (target:Artifact {id: $to})
MATCH p = shortestPath((source)-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(target))
WHERE all(h IN hops WHERE type(h) IN $edge_kinds
          AND ($as_of IS NULL OR ((h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))))
RETURN [n IN nodes(p) | n.id] AS ids,
       [r IN relationships(p) | {from: startNode(r).id, to: endNode(r).id, type: type(r), properties: properties(r)}] AS edges
