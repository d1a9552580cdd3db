// lineage_index_edges: the lineage edges out of one batch of artifacts that are valid at
// $now, as parallel lists (cheap to decode), plus the next instant at which the validity of
// one of their edges changes (the index built from them expires then).
// Params: $ids: artifact ids of the batch; $now: datetime.
// Returns one row: children (positions in $ids), parents (ids), types, next_change (datetime or null).
UNWIND range(0, size($ids) - 1) AS i
MATCH (child:Artifact {id: $ids[i]})-[e:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM]->(parent:Artifact)
WITH i, e, parent,
     (e.valid_from IS NULL OR e.valid_from <= $now) AND (e.valid_to IS NULL OR e.valid_to > $now) AS valid
WITH collect(CASE WHEN valid THEN i END) AS children,
     collect(CASE WHEN valid THEN parent.id END) AS parents,
     collect(CASE WHEN valid THEN type(e) END) AS types,
     min(CASE WHEN e.valid_from > $now THEN e.valid_from END) AS next_from,
     min(CASE WHEN e.valid_to > $now THEN e.valid_to END) AS next_to
RETURN children, parents, types,
       CASE WHEN next_from IS NULL THEN next_to
            WHEN next_to IS NULL OR next_from < next_to THEN next_from
            ELSE next_to END AS next_change
