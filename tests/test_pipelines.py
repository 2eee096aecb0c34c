"""Pipelines that change the connection's state half-way (MULTI, SELECT, CLIENT REPLY,
HELLO, SUBSCRIBE, a blocking pop, errors): the dispatcher checks the client once per run
of plain commands, so each of these must take effect for the very next request of the
same read. The bytes keydb-ft sends back must be the bytes redis-server 7.0 sends."""

import re
import time

import pytest

from test_protocol import exchange as raw_exchange
from zset_wire import encode


def exchange(port, requests):
    """Send every request in one write; what comes back within half a second."""
    return raw_exchange(port, b"".join(encode(r) for r in requests), wait=0.5)[0]


PIPELINES = {
    "multi": [("DEL", "p:a", "p:b"), ("SET", "p:a", "1"), ("MULTI",), ("SET", "p:b", "2"),
              ("GET", "p:a"), ("INCR", "p:a"), ("EXEC",), ("GET", "p:b"), ("GET", "p:a")],
    "multi-error": [("MULTI",), ("SET", "p:c"), ("SET", "p:c", "1"), ("EXEC",),
                    ("EXISTS", "p:c")],
    "select": [("SELECT", "1"), ("SET", "p:d", "4"), ("SELECT", "0"), ("GET", "p:d"),
               ("SELECT", "1"), ("GET", "p:d"), ("DEL", "p:d")],
    "client-reply": [("SET", "p:e", "1"), ("CLIENT", "REPLY", "SKIP"), ("SET", "p:e", "2"),
                     ("GET", "p:e"), ("CLIENT", "REPLY", "OFF"), ("INCR", "p:e"),
                     ("GET", "p:e"), ("CLIENT", "REPLY", "ON"), ("GET", "p:e")],
    "hello": [("SET", "p:f", "1"), ("HELLO", "3", "SETNAME", "x"), ("GET", "p:f"),
              ("HGETALL", "p:nohash"), ("HELLO", "2"), ("HGETALL", "p:nohash")],
    "errors": [("SET", "p:g", "v"), ("NOSUCH", "x"), ("GET",), ("LPUSH", "p:g", "x"),
               ("GET", "p:g"), ("INCR", "p:g"), ("OBJECT", "NOPE"), ("GET", "p:g")],
    "blocking": [("DEL", "p:list"), ("RPUSH", "p:list", "a"), ("BLPOP", "p:list", "1"),
                 ("BLPOP", "p:list", "0.2"), ("SET", "p:h", "after"), ("GET", "p:h")],
    "subscribe": [("SET", "p:i", "1"), ("SUBSCRIBE", "p:chan"), ("GET", "p:i"),
                  ("PING",), ("UNSUBSCRIBE",), ("GET", "p:i")],
    "quit": [("SET", "p:j", "1"), ("QUIT",), ("SET", "p:j", "2")],
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_pipeline_state_changes_match_redis(server, real_redis, name):
    requests = PIPELINES[name]
    ours = exchange(server.port, requests)
    theirs = exchange(real_redis.port, requests)
    client_id = re.compile(rb"\$2\r\nid\r\n:\d+\r\n")      # HELLO's reply names the client
    assert client_id.sub(b"<id>", ours) == client_id.sub(b"<id>", theirs)
    assert ours                      # every pipeline above answers something


def test_pipeline_after_quit_was_not_run(server):
    exchange(server.port, PIPELINES["quit"])
    time.sleep(0.1)
    assert server.client().get("p:j") == b"1"
