// ping: the database answers queries. Params: none. Returns: ok = 1.
RETURN 1 AS ok
