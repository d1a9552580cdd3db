// license_facts: every property of a few artifacts the license rules are evaluated at
// besides the roots (the models a root is fine-tuned from), by id.
// Params: $ids: artifact ids.
// Returns one row per known id: id, props (map of every property).
UNWIND $ids AS id
MATCH (node:Artifact {id: id})
RETURN node.id AS id, properties(node) AS props
