// graph_census: how many nodes and relationships the graph holds, and which labels and types
// are in use (lists unsorted). A restored backup is checked against it; tests check with it
// that writes touched nothing outside their own artifacts.
// Params: $prefix (artifacts and runs whose id starts with it are left out, with the conflict
//         and risk alerts recorded about them and the relationships of all, and the lock nodes
//         writers create on first use; null counts all);
//         $with_audit (false leaves out the audit trail: AuditEvent nodes, WROTE relationships).
// Returns: one row: nodes, relationships, labels, types.
CALL () {
  MATCH (n)
  WHERE ($with_audit OR NOT n:AuditEvent)
    AND ($prefix IS NULL OR NOT (n:ProvgraphLock
                               OR ((n:Artifact OR n:Run) AND n.id STARTS WITH $prefix)
                               OR ((n:Conflict OR n:RiskAlert) AND n.node STARTS WITH $prefix)))
  RETURN count(n) AS nodes
}
CALL () {
  MATCH (a)-[r]->()
  WHERE ($with_audit OR type(r) <> 'WROTE')
    AND ($prefix IS NULL OR NOT (((a:Artifact OR a:Run) AND a.id STARTS WITH $prefix)
                               OR ((a:Conflict OR a:RiskAlert) AND a.node STARTS WITH $prefix)))
  RETURN count(r) AS relationships
}
CALL () {
  CALL db.labels() YIELD label
  RETURN collect(label) AS labels
}
CALL () {
  CALL db.relationshipTypes() YIELD relationshipType
  RETURN collect(relationshipType) AS types
}
RETURN nodes, relationships, labels, types
