// conflict_affected: the artifacts whose conflicts a write may change: the touched artifacts and
// everything downstream of them (distinct nodes by pruning BFS, never paths), through lineage
// edges valid at $as_of. Unknown ids are ignored.
// A touched artifact whose parent was touched too is reached from that parent, so the BFS
// starts only from touched artifacts without a touched parent: a bulk load of a long chain
// expands once, not once per node (which would be quadratic).
// Params: $ids: touched artifact ids; $as_of: datetime; $limit: most ids to return.
// Returns: one row: total (distinct affected artifacts), ids (at most $limit of them).
MATCH (root:Artifact) WHERE root.id IN $ids
  AND NOT EXISTS {
    MATCH (root)-[h:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
    WHERE parent.id IN $ids
      AND (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of)
  }
OPTIONAL MATCH (root)<-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*0..]-(node:Artifact)
WHERE all(h IN hops WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
WITH collect(DISTINCT node) AS affected
RETURN size(affected) AS total, [n IN affected[0..$limit] | n.id] AS ids
