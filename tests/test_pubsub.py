"""Pub/sub across loop threads, pattern and shard channels, introspection, keyspace
notifications; replies compared with redis-server 7.0 where they are deterministic."""

import threading
import time

from conftest import normalize


def _messages(p, n, timeout=10):
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        m = p.get_message(timeout=0.2)
        if m and m["type"] in ("message", "pmessage", "smessage"):
            out.append(m)
    return out


def test_subscribe_publish_across_loops(server, r):
    subs, clients = [], []
    for i in range(4):          # consecutive connections land on different loops
        c = server.client()
        clients.append(c)       # a collected client closes its pool's connections
        p = c.pubsub()
        p.subscribe("news")
        assert p.get_message(timeout=5)["type"] == "subscribe"
        subs.append(p)
    assert r.publish("news", "hello") == 4
    for p in subs:
        [m] = _messages(p, 1)
        assert m["data"] == b"hello" and m["channel"] == b"news"


def test_pattern_and_order(server, r):
    client = server.client()
    p = client.pubsub()
    p.psubscribe("ev:*")
    assert p.get_message(timeout=5)["type"] == "psubscribe"
    for i in range(200):
        assert r.publish(f"ev:{i % 3}", str(i)) == 1
    got = _messages(p, 200)
    assert [int(m["data"]) for m in got] == list(range(200))
    assert all(m["pattern"] == b"ev:*" for m in got)


def test_subscribe_replies_match_redis(server, real_redis):
    import socket

    def talk(port, payload):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(payload)
            time.sleep(0.3)
            s.settimeout(1)
            return s.recv(65536)
    script = (b"SUBSCRIBE a\r\nSUBSCRIBE b\r\nUNSUBSCRIBE b\r\nPSUBSCRIBE p*\r\nGET x\r\nPING\r\nUNSUBSCRIBE\r\n"
              b"PUNSUBSCRIBE\r\nUNSUBSCRIBE\r\nPING\r\n")
    assert talk(server.port, script) == talk(real_redis.port, script)


def test_pubsub_introspection(server, r, real):
    from conftest import raw_reply
    client = server.client()
    ours = client.pubsub()
    ours.subscribe("c1", "c2")
    ours.psubscribe("x*")
    time.sleep(0.2)
    assert sorted(raw_reply(r, "PUBSUB", "CHANNELS")) == [b"c1", b"c2"]
    assert raw_reply(r, "PUBSUB", "CHANNELS", "c1") == [b"c1"]
    assert raw_reply(r, "PUBSUB", "NUMSUB", "c1", "zz") == [b"c1", 1, b"zz", 0]
    assert raw_reply(r, "PUBSUB", "NUMPAT") == 1
    ours.close()
    time.sleep(0.3)
    assert raw_reply(r, "PUBSUB", "NUMPAT") == 0
    assert normalize(raw_reply(r, "PUBSUB", "NOPE")) == normalize(raw_reply(real, "PUBSUB", "NOPE"))


def test_resp3_push_messages(server, r):
    c = server.client(protocol=3)
    p = c.pubsub()
    p.subscribe("r3")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    r.publish("r3", "push!")
    [m] = _messages(p, 1)
    assert m["data"] == b"push!"


def test_keyspace_notifications(server, r):
    r.config_set("notify-keyspace-events", "KEA")
    try:
        client = server.client()
        p = client.pubsub()
        p.psubscribe("__key*__:*")
        p.get_message(timeout=5)
        r.set("watched", "1")
        r.expire("watched", 100)
        r.delete("watched")
        got = [(m["channel"], m["data"]) for m in _messages(p, 6)]
        assert (b"__keyspace@0__:watched", b"set") in got
        assert (b"__keyevent@0__:expire", b"watched") in got
        assert (b"__keyevent@0__:del", b"watched") in got
    finally:
        r.config_set("notify-keyspace-events", "")


def test_many_publishers(server, r):
    client = server.client()
    p = client.pubsub()
    p.subscribe("load")
    p.get_message(timeout=5)

    def pub(i):
        c = server.client()
        for j in range(100):
            c.publish("load", f"{i}:{j}")

    threads = [threading.Thread(target=pub, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    got = _messages(p, 600, timeout=20)
    assert len(got) == 600
    for i in range(6):           # each publisher's messages arrive in its order
        seq = [int(m["data"].split(b":")[1]) for m in got if m["data"].startswith(b"%d:" % i)]
        assert seq == list(range(100))
