// conflict_affected: the artifacts whose conflicts a write may change: the touched artifacts and
// everything downstream of them (distinct nodes by pruning BFS, never paths), through lineage
// edges valid at $as_of. Unknown ids are ignored.
// A touched artifact whose parent was touched too is reached from that parent, so the BFS
// starts only from touched artifacts without a touched parent: a bulk load of a long chain
// expands once, not once per node (which would be quadratic).
// Counting stops at $limit + 1 distinct artifacts: the caller only needs to know that there are
// more than $limit, and several large roots would otherwise each expand their whole closure.
// Params: $ids: touched artifact ids; $as_of: datetime; $limit: most ids to return.
// Returns: one row: total (distinct affected artifacts, at most $limit + 1), ids (at most $limit).
MATCH (root:Artifact) WHERE root.id IN $ids
  AND NOT EXISTS {
    MATCH (root)-[h:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
    WHERE parent.id IN $ids
      AND (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of)
  }
MATCH (root)<-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*0..]-(node:Artifact)
WHERE all(h IN hops WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH DISTINCT node LIMIT $limit + 1
WITH collect(node.id) AS affected
RETURN size(affected) AS total, affected[0..$limit] AS ids
