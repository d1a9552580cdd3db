// risk_generators: whose model outputs lie upstream of each of the given artifacts, answered
// in Cypher over distinct nodes (pruning BFS, then one hop; never paths): the vendors of the
// models in its ancestry, and, for the artifact and each model among its ancestors, the
// generator models whose outputs that model was trained on, directly or through derived data.
// A model's families are its own `family` and those of the models it is fine-tuned from.
// Params: $ids: artifact ids; $as_of: datetime (edges valid then).
// Returns one row per known id: id, vendors (sorted distinct vendors of ancestor models),
//   models (list of {model, vendor, families, generators: [{id, vendor, family}]}).
UNWIND $ids AS id
MATCH (root:Artifact {id: id})
CALL (root) {
  OPTIONAL MATCH (root)-[hops:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(ancestor:Artifact)
  WHERE all(h IN hops WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
  RETURN collect(DISTINCT ancestor) AS ancestors
}
CALL (ancestors) {
  UNWIND ancestors AS m
  WITH m WHERE m:Model AND m.vendor IS NOT NULL
  WITH DISTINCT m.vendor AS vendor ORDER BY vendor
  RETURN collect(vendor) AS vendors
}
CALL (root, ancestors) {
  UNWIND [n IN [root] + ancestors WHERE n:Model] AS model
  CALL (model) {
    OPTIONAL MATCH (model)-[up:DERIVED_FROM|GENERATED_BY|TRAINED_ON|FINE_TUNED_FROM*1..]->(d:Dataset)
    WHERE all(h IN up WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
    WITH collect(DISTINCT d) AS upstream
    UNWIND upstream AS d
    MATCH (d)-[g:GENERATED_BY]->(generator:Model)
    WHERE (g.valid_from IS NULL OR g.valid_from <= $as_of) AND (g.valid_to IS NULL OR g.valid_to > $as_of)
    WITH DISTINCT generator ORDER BY generator.id
    RETURN collect({id: generator.id, vendor: generator.vendor, family: generator.family}) AS generators
  }
  CALL (model) {
    OPTIONAL MATCH (model)-[base:FINE_TUNED_FROM*1..]->(b:Model)
    WHERE all(h IN base WHERE (h.valid_from IS NULL OR h.valid_from <= $as_of) AND (h.valid_to IS NULL OR h.valid_to > $as_of))
    WITH collect(DISTINCT b) AS bases
    RETURN [f IN [model.family] + [b IN bases | b.family] WHERE f IS NOT NULL] AS families
  }
  WITH model, generators, families ORDER BY model.id
  RETURN collect({model: model.id, vendor: model.vendor, families: families, generators: generators}) AS models
}
RETURN root.id AS id, vendors, models
