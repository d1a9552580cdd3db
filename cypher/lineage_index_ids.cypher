// lineage_index_ids: one batch of artifact ids in id order, for building the lineage index
// (an index range seek on the artifact_id constraint, read in order: no sort).
// Params: $after: the last id of the previous batch ('' for the first); $limit: batch size.
// Returns one row: ids (list, ascending).
MATCH (a:Artifact)
WHERE a.id > $after
WITH a.id AS id
ORDER BY id
LIMIT $limit
RETURN collect(id) AS ids
