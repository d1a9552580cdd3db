// reachable_pairs: for cycle checks, which targets each start node already reaches upstream.
// Distinct end nodes only (pruning BFS), never paths.
// Params: $starts: ids to expand from; $targets: ids of interest.
// Returns: from, to (from reaches to through existing lineage edges, at any depth).
UNWIND $starts AS start_id
MATCH (start:Artifact {id: start_id})-[:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(reached:Artifact)
WHERE reached.id IN $targets
RETURN DISTINCT start.id AS from, reached.id AS to
