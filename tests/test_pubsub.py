"""Pub/sub across loop threads, pattern and shard channels, introspection, keyspace
notifications; replies compared with redis-server 7.0 where they are deterministic."""

import threading
import time

import pytest
import redis

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


# Keyspace events of 90 writes, in order, against redis-server (cache invalidation
# listens to these).
_EVENT_COMMANDS = [
    ["SET", "a", "1"], ["SET", "a", "1", "EX", "100"], ["SETEX", "a", "100", "v"],
    ["SET", "z", "y", "EX", "100", "GET"], ["SET", "k", "v", "KEEPTTL"],
    ["GETEX", "k", "EX", "5"], ["GETEX", "k", "PERSIST"], ["COPY", "a", "cp"],
    ["RENAME", "cp", "rn"], ["RENAMENX", "rn", "rn2"], ["MOVE", "rn2", "1"],
    ["MSET", "m1", "1", "m2", "2"], ["DEL", "m1", "m2", "nope"], ["UNLINK", "z"],
    ["RESTORE", "r", "0", "<dump>"], ["HSET", "h", "a", "1", "b", "2"],
    ["HDEL", "h", "a", "b"], ["HINCRBY", "h", "n", "1"], ["HINCRBYFLOAT", "h", "f", "1.5"],
    ["HSETNX", "h", "q", "1"], ["LPUSH", "l", "1", "2", "3"], ["RPUSH", "l", "4"],
    ["LPOP", "l"], ["RPOP", "l", "2"], ["LSET", "l", "0", "x"],
    ["LINSERT", "l", "BEFORE", "x", "y"], ["LREM", "l", "0", "y"], ["LTRIM", "l", "0", "0"],
    ["RPOPLPUSH", "l", "l2"], ["LMOVE", "l2", "l3", "LEFT", "RIGHT"],
    ["LMPOP", "1", "l3", "LEFT"], ["SADD", "s", "a", "b", "c"], ["SREM", "s", "a"],
    ["SADD", "sm", "c"], ["SMOVE", "sm", "s2", "c"], ["SMOVE", "s", "s2", "zz"],
    ["SADD", "s", "x"], ["SINTERSTORE", "s3", "s", "s2"], ["SUNIONSTORE", "s4", "s", "s2"],
    ["SDIFFSTORE", "s5", "s", "nope"], ["ZADD", "z1", "1", "a", "2", "b"],
    ["ZINCRBY", "z1", "1", "a"], ["ZREM", "z1", "a"], ["ZPOPMIN", "z1"],
    ["ZADD", "z2", "1", "a", "2", "b"], ["ZREMRANGEBYSCORE", "z2", "0", "1"],
    ["ZUNIONSTORE", "z3", "1", "z2"], ["ZRANGESTORE", "z4", "z2", "0", "-1"],
    ["ZINTERSTORE", "z5", "1", "nope"], ["INCR", "i"], ["INCRBYFLOAT", "fl", "1.5"],
    ["DECRBY", "i", "3"], ["APPEND", "ap", "x"], ["SETRANGE", "sr", "5", "x"],
    ["SETBIT", "bt", "7", "1"], ["BITFIELD", "bf", "SET", "u8", "0", "1"],
    ["BITOP", "AND", "bo", "bt", "bt"], ["PFADD", "hl", "a"], ["PFMERGE", "hl2", "hl"],
    ["PFCOUNT", "hl", "hl2"], ["XADD", "x", "1-1", "f", "v"], ["XDEL", "x", "1-1"],
    ["XADD", "x", "2-1", "f", "v"], ["XTRIM", "x", "MAXLEN", "0"],
    ["XGROUP", "CREATE", "x", "g", "$"], ["XGROUP", "CREATECONSUMER", "x", "g", "c1"],
    ["XGROUP", "DELCONSUMER", "x", "g", "c1"], ["XGROUP", "DESTROY", "x", "g"],
    ["XSETID", "x", "5-0"], ["EXPIRE", "i", "100"], ["PEXPIRE", "i", "-1"],
    ["PERSIST", "ap"], ["EXPIRE", "ap", "100"], ["PERSIST", "ap"], ["GETDEL", "fl"],
    ["GETSET", "ap", "z"], ["SORT", "l", "ALPHA", "STORE", "ls"],
    ["GEOADD", "g", "13.36", "38.11", "P"],
    ["GEOSEARCHSTORE", "g2", "g", "FROMLONLAT", "13", "38", "BYRADIUS", "500", "km"],
    ["SWAPDB", "0", "1"], ["SWAPDB", "0", "1"], ["FLUSHDB"], ["SET", "t", "v", "PX", "1"],
]


def _drain(listener):
    """(channel, data) of every pattern message until none comes for half a second."""
    events = []
    while (message := listener.get_message(timeout=0.5)) is not None:
        if message["type"] == "pmessage":
            events.append((message["channel"], message["data"]))
    return events


def _events(client, classes):
    client.config_set("notify-keyspace-events", classes)
    client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    listener = client.pubsub()
    try:
        listener.psubscribe("__key*__:*")
        listener.get_message(timeout=5)
        client.set("src", "v", ex=100)
        dump = client.dump("src")
        for args in _EVENT_COMMANDS:
            args = [dump if a == "<dump>" else a for a in args]
            try:
                client.execute_command(*args)
            except redis.ResponseError:
                pass
        time.sleep(0.05)
        client.get("t")                       # expired on access
        return _drain(listener)
    finally:
        listener.close()
        client.config_set("notify-keyspace-events", "")
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize("classes", ["KEA", "KEAn"])
def test_keyspace_events_match_redis(r, real, classes):
    """Every event of every command, in order; with n also each key's "new" event,
    which comes before the event of the command that made the key."""
    ours, theirs = _events(r, classes), _events(real, classes)
    assert ours == theirs
    assert len(ours) > 180
    assert (b"__keyevent@0__:new" in dict(ours)) == ("n" in classes)


def _pushes_with_replies_off(srv, resp):
    """What a subscriber under CLIENT REPLY OFF / SKIP receives, byte for byte."""
    from test_blocking import RawClient
    sub = RawClient(srv.port, resp3=resp == 3)
    pub = srv.client()
    try:
        sub.send("CLIENT", "REPLY", "OFF")
        sub.send("SUBSCRIBE", "ch")
        sub.send("PSUBSCRIBE", "c*")
        got = [sub.reply(), sub.reply()]
        assert pub.publish("ch", "hello") == 2
        got += [sub.reply(), sub.reply()]
        sub.send("UNSUBSCRIBE")
        sub.send("PUNSUBSCRIBE", "c*")
        sub.send("UNSUBSCRIBE")
        got += [sub.reply(), sub.reply(), sub.reply()]
        sub.send("CLIENT", "REPLY", "ON")
        got.append(sub.reply())
        sub.send("CLIENT", "REPLY", "SKIP")
        sub.send("SUBSCRIBE", "x")
        sub.send("PING")
        got += [sub.reply(), sub.reply()]
        assert not sub.pending(0.1)
        return got
    finally:
        sub.close()
        pub.close()


@pytest.mark.parametrize("resp", [2, 3])
def test_pubsub_pushes_ignore_client_reply_off(server, real_redis, resp):
    ours = _pushes_with_replies_off(server, resp)
    assert ours == _pushes_with_replies_off(real_redis, resp)
    assert ours[-3] == b"+OK\r\n"


def _new_key_events_pipelined(client):
    client.config_set("notify-keyspace-events", "En$")
    listener = client.pubsub()
    try:
        listener.psubscribe("__keyevent*")
        listener.get_message(timeout=5)
        with client.pipeline(transaction=False) as pipe:   # one read: the SET lanes
            for round_ in range(2):
                for i in range(10):
                    pipe.set(f"k{i}", round_)
            pipe.execute()
        return _drain(listener)
    finally:
        listener.close()
        client.config_set("notify-keyspace-events", "")


def test_new_key_events_of_pipelined_sets_match_redis(r, real):
    ours = _new_key_events_pipelined(r)
    assert ours == _new_key_events_pipelined(real)
    assert [e for e in ours if e[0].endswith(b":new")] == \
        [(b"__keyevent@0__:new", b"k%d" % i) for i in range(10)]
