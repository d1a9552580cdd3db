// graph_contents: the whole graph as plain values, to compare two loads of the same input
// (the bulk import against the transactional ingest, tests/test_bulk_ingest.py). Small graphs
// only: it returns every node and relationship.
// Params: none.
// Returns rows: labels and props of each node (start, end and type null); type, props, start and
//         end of each relationship, ends named by [labels, id or fingerprint].
MATCH (n)
RETURN labels(n) AS labels, properties(n) AS props, null AS type, null AS start, null AS end
UNION ALL
MATCH (a)-[r]->(b)
RETURN null AS labels, properties(r) AS props, type(r) AS type,
       [labels(a), coalesce(a.id, a.fingerprint)] AS start,
       [labels(b), coalesce(b.id, b.fingerprint)] AS end
