// bench_naive_upstream: the naive ancestry query provgraph never runs, kept as the benchmark's
// baseline: it binds every path (p) from the artifact up its lineage, so Neo4j must enumerate
// all of them (VarLengthExpand(All), not the pruning BFS): 2^40 paths on a 40-diamond ladder.
// The benchmark runs it under a transaction time limit to show the explosion.
// Params: $id. Returns one row: closure (distinct ancestors), paths (paths enumerated).
MATCH p = (root:Artifact {id: $id})-[:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(ancestor:Artifact)
RETURN count(DISTINCT ancestor) AS closure, count(p) AS paths
