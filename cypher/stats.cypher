// stats: node counts per provgraph label and relationship counts per type, from the count store.
// Each COUNT {} over one label or type plans as a count-store lookup (no scan).
// Params: none. Returns one row: nodes (map label -> count), relationships (map type -> count).
RETURN {
  Artifact: COUNT { MATCH (:Artifact) },
  Dataset: COUNT { MATCH (:Dataset) },
  Model: COUNT { MATCH (:Model) },
  Source: COUNT { MATCH (:Source) },
  License: COUNT { MATCH (:License) },
  Run: COUNT { MATCH (:Run) },
  Agent: COUNT { MATCH (:Agent) },
  Check: COUNT { MATCH (:Check) }
} AS nodes, {
  DERIVED_FROM: COUNT { MATCH ()-[:DERIVED_FROM]->() },
  GENERATED_BY: COUNT { MATCH ()-[:GENERATED_BY]->() },
  TRAINED_ON: COUNT { MATCH ()-[:TRAINED_ON]->() },
  FINE_TUNED_FROM: COUNT { MATCH ()-[:FINE_TUNED_FROM]->() },
  LICENSED_UNDER: COUNT { MATCH ()-[:LICENSED_UNDER]->() },
  PRODUCED_BY: COUNT { MATCH ()-[:PRODUCED_BY]->() },
  USED: COUNT { MATCH ()-[:USED]->() },
  ATTRIBUTED_TO: COUNT { MATCH ()-[:ATTRIBUTED_TO]->() },
  CHECKED: COUNT { MATCH ()-[:CHECKED]->() },
  AGAINST: COUNT { MATCH ()-[:AGAINST]->() }
} AS relationships
