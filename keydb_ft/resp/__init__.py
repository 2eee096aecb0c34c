"""Sans-IO RESP: the request parser and the reply encoder. Knows nothing of the keyspace."""
