// run_ids: which of the given ids are stored runs (ingest checks that run edges do not dangle).
// Params: $ids: list of run ids.
// Returns: id of each stored run.
MATCH (r:Run) WHERE r.id IN $ids
RETURN r.id AS id
