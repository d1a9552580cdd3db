// webhook_delete: remove a webhook and its delivery log (pending deliveries are dropped).
// Params: $id. Returns: one row if the webhook existed: deliveries (how many were removed).
MATCH (w:Webhook {id: $id})
OPTIONAL MATCH (w)<-[:SENT_TO]-(d:Delivery)
WITH w, collect(d) AS deliveries
FOREACH (d IN deliveries | DETACH DELETE d)
DETACH DELETE w
RETURN size(deliveries) AS deliveries
