// existing_lineage_edges: which of the given lineage edges are already in the graph.
// Ingest skips these in its cycle check: the stored graph is a DAG already.
// Params: $edges: list of {from, to, type}.
// Returns: from, to, type of each edge that exists.
UNWIND $edges AS edge
MATCH (child:Artifact {id: edge.from})-[r]->(parent:Artifact {id: edge.to})
WHERE type(r) = edge.type
RETURN DISTINCT edge.from AS from, edge.to AS to, edge.type AS type
