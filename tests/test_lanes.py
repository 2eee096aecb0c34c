"""GET and SET run written out in dispatch.run_batch (Command.lane), beside their handlers.
These tests hold the lanes to redis-server's replies and to every side effect the
handlers have: keyspace events, hit / miss / expiry counters, commandstats, the slowlog,
WATCH, blocked clients, MONITOR and the AOF."""

import glob
import os
import socket
import threading
import time

import redis

from conftest import ServerProcess, send_until


def _info(client, section, field):
    return client.info(section)[field]


def _listen(client):
    """A connection subscribed to every keyspace event."""
    listener = client.pubsub()
    listener.psubscribe("__key*__:*")
    assert listener.get_message(timeout=5)["type"] == "psubscribe"
    return listener


def _drain(listener):
    """The events a listener got, in order, until none comes for 0.5 s; closes it."""
    events = []
    while (message := listener.get_message(timeout=0.5)) is not None:
        events.append((message["channel"], message["data"]))
    listener.close()
    return events


def _pipeline_and_events(client):
    """A pipelined run of lane commands (and a few the lanes hand back to the handlers);
    returns the replies, the keyspace events it caused and the counters after it."""
    client.config_set("notify-keyspace-events", "KEA")
    client.config_set("slowlog-log-slower-than", "0")
    client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")   # "ttl" expires on access
    client.slowlog_reset()
    client.config_resetstat()
    listener = _listen(client)
    client.set("ttl", "t", px=30)
    changes = _info(client, "persistence", "rdb_changes_since_last_save")
    time.sleep(0.1)
    pipe = client.pipeline(transaction=False)
    pipe.set("a", "1").get("a").get("missing").set("a", "2").get("a")
    pipe.rpush("list", "x").get("list").set("list", "now a string").get("list")
    pipe.get("ttl")                                   # expired: the handler deletes it
    pipe.set("big", "b" * 20000).get("big")
    pipe.set("k", "v").expire("k", 100).set("k", "v2").ttl("k").get("k")
    pipe.sadd("s", "m").set("s", "x").type("s")
    replies = pipe.execute(raise_on_error=False)
    events = _drain(listener)
    slow = [entry["command"] for entry in reversed(client.slowlog_get(128))]
    counters = {name: _info(client, "stats", name)
                for name in ("keyspace_hits", "keyspace_misses", "expired_keys")}
    stats = client.info("commandstats")
    counters["calls"] = {name: stats[f"cmdstat_{name}"]["calls"] for name in ("get", "set")}
    counters["changes"] = _info(client, "persistence", "rdb_changes_since_last_save") - changes
    client.config_set("slowlog-log-slower-than", "10000")
    client.config_set("notify-keyspace-events", "")
    client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    return [repr(x) if isinstance(x, Exception) else x for x in replies], events, slow, counters


def test_pipelined_lanes_match_redis(r, real):
    ours = _pipeline_and_events(r)
    theirs = _pipeline_and_events(real)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]                       # keyspace events, in order
    ours_slow = [c for c in ours[2] if c.split()[0].lower() in (b"get", b"set")]
    theirs_slow = [c for c in theirs[2] if c.split()[0].lower() in (b"get", b"set")]
    assert ours_slow == theirs_slow and len(ours_slow) == 16
    assert ours[3] == theirs[3]


def test_wire_replies_in_both_protocols(server, real_redis):
    value = b"v" * 16383 + b"\r\n"                     # past the inline bulk's largest
    for resp, hello in ((2, b""), (3, b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")):
        requests = (b"*3\r\n$3\r\nSET\r\n$4\r\nwire\r\n$%d\r\n%s\r\n" % (len(value), value)
                    + b"*2\r\n$3\r\nGET\r\n$4\r\nwire\r\n"
                    + b"*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n"
                    + b"*2\r\n$3\r\nDEL\r\n$4\r\nwire\r\n")
        expect = (b"+OK\r\n" + b"$%d\r\n%s\r\n" % (len(value), value)
                  + (b"_\r\n" if resp == 3 else b"$-1\r\n") + b":1\r\n")
        for port in (server.port, real_redis.port):
            got, _closed = send_until(port, hello + requests, expect)
            assert got.endswith(expect), (resp, port, got[-60:])
            assert resp == 3 or got == expect


def test_lane_set_breaks_watch(server):
    watcher = server.client()
    writer = server.client()
    watcher.delete("w")
    with watcher.pipeline() as pipe:
        pipe.watch("w")
        writer.set("w", "from another client")
        pipe.multi()
        pipe.set("w", "from the watcher")
        try:
            pipe.execute()
            aborted = False
        except redis.WatchError:
            aborted = True
    assert aborted
    assert watcher.get("w") == b"from another client"


def _blocked_then_set(srv):
    """BLPOP on a key that a SET then makes a string: what the blocked client gets."""
    client = srv.client()
    client.delete("blocked")
    result = {}

    def block():
        try:
            result["reply"] = srv.client().blpop("blocked", timeout=1)
        except redis.ResponseError as exc:
            result["reply"] = str(exc)
    thread = threading.Thread(target=block)
    thread.start()
    deadline = time.time() + 5
    while _info(client, "clients", "blocked_clients") == 0 and time.time() < deadline:
        time.sleep(0.01)
    client.set("blocked", "a string")
    thread.join(10)
    return result["reply"], _info(client, "clients", "blocked_clients")


def test_lane_set_on_a_waited_key_matches_redis(server, real_redis):
    assert _blocked_then_set(server) == _blocked_then_set(real_redis)


def _monitored(srv):
    """What MONITOR shows of a feeder's SET and GET (and a CONFIG GET, which as an admin
    command it does not show); plain RESP2 clients, so no HELLO or CLIENT SETINFO."""
    plain = dict(protocol=2, driver_info=None)
    lines = []
    watcher = srv.client(**plain)
    with watcher.monitor() as mon:
        feeder = srv.client(**plain)
        feeder.config_get("maxmemory")
        feeder.set("m", "1")
        feeder.get("m")
        feeder.ping()
        while not lines or lines[-1] != "PING":
            lines.append(mon.next_command()["command"])
    watcher.connection_pool.disconnect()     # else the server feeds it for the session
    feeder.close()
    return lines


def test_lane_commands_reach_monitor(server, real_redis):
    assert _monitored(server) == _monitored(real_redis) == ["SET m 1", "GET m", "PING"]


def test_lane_writes_reach_the_aof(tmp_path):
    srv = ServerProcess(tmp_path, threads=2, args=["--appendonly", "yes"])
    try:
        client = srv.client()
        client.set("m", "1")
        pipe = client.pipeline(transaction=False)
        for i in range(50):
            pipe.set(f"aof:{i}", f"v{i}")
        pipe.execute()
        client.close()
    finally:
        srv.stop()
    written = b"".join(open(path, "rb").read()
                       for path in glob.glob(os.path.join(srv.dir, "appendonlydir", "*.aof")))
    assert b"$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n" in written
    assert all(b"$%d\r\naof:%d\r\n$%d\r\nv%d\r\n" % (len(f"aof:{i}"), i, len(f"v{i}"), i)
               in written for i in range(50))
    restarted = ServerProcess(tmp_path, threads=2, args=["--appendonly", "yes"])
    try:
        client = restarted.client()
        assert client.mget([f"aof:{i}" for i in range(50)]) == [b"v%d" % i for i in range(50)]
        assert client.get("m") == b"1"
    finally:
        restarted.stop()


def _uniform_pipelines(client):
    """Pipelines of one command each (a read of same-length requests: dispatch.run_columns),
    over every case the GET and SET loops hand back or must not miss: an expired key,
    another type, a big value, a key with a TTL, a new key. Returns the replies, the
    keyspace events and the counters after them."""
    client.config_set("notify-keyspace-events", "KEA")
    client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")   # "ttl" expires on access
    client.set("a", "1")
    client.set("k", "v", ex=100)
    client.rpush("list", "x")
    client.set("big", "b" * 20000)
    client.set("ttl", "t", px=30)
    client.config_resetstat()
    listener = _listen(client)
    changes = _info(client, "persistence", "rdb_changes_since_last_save")
    time.sleep(0.1)
    replies = []
    for calls in ([("get", key) for key in ("a", "missing", "list", "ttl", "big", "a", "k")],
                  [("set", key, value) for key, value in
                   (("a", "2"), ("list", "now a string"), ("k", "v2"), ("new", "n"), ("a", "3"))],
                  [("get", key) for key in ("a", "list", "new", "k")]):
        pipe = client.pipeline(transaction=False)
        for name, *args in calls:
            getattr(pipe, name)(*args)
        replies += pipe.execute(raise_on_error=False)
    replies.append(client.ttl("k"))
    events = _drain(listener)
    counters = {name: _info(client, "stats", name)
                for name in ("keyspace_hits", "keyspace_misses", "expired_keys")}
    stats = client.info("commandstats")
    counters["calls"] = {name: stats[f"cmdstat_{name}"]["calls"] for name in ("get", "set")}
    counters["changes"] = _info(client, "persistence", "rdb_changes_since_last_save") - changes
    histogram = client.execute_command("LATENCY", "HISTOGRAM", "get", "set")
    histogram = client.execute_command("LATENCY", "HISTOGRAM", "get", "set")
    counters["histogram_calls"] = {name.decode(): fields[b"calls"]
                                   for name, fields in histogram.items()}
    # the buckets count every call too (cumulative: the last holds them all)
    counters["histogram_counted"] = {name.decode(): max(fields[b"histogram_usec"].values())
                                     for name, fields in histogram.items()}
    client.config_set("notify-keyspace-events", "")
    client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    return [repr(x) if isinstance(x, Exception) else x for x in replies], events, counters


def test_uniform_pipelines_match_redis(r, real):
    ours = _uniform_pipelines(r)
    assert ours == _uniform_pipelines(real)           # replies, events in order, counters
    assert ours[2]["calls"] == ours[2]["histogram_calls"] == {"get": 11, "set": 5}
    assert ours[2]["histogram_counted"] == ours[2]["calls"]


def _uniform_reads(port, hello, reads):
    """Each read sent whole on one connection (after HELLO if given); the bytes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        if hello:
            sock.sendall(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
            got = b""
            while not got.endswith(b"modules\r\n*0\r\n"):
                got += sock.recv(65536)
        replies = []
        for data, size in reads:
            sock.sendall(data)
            got = b""
            while len(got) < size:
                got += sock.recv(65536)
            replies.append(got)
        return replies


def test_uniform_wire_replies_in_both_protocols(server, real_redis):
    value = b"v" * 16383 + b"\r\n"                     # past the inline bulk's largest
    sets = b"".join(b"*3\r\n$3\r\nSET\r\n$2\r\nu%d\r\n$%d\r\n%s\r\n" % (i, len(value), value)
                    for i in range(3))
    gets = b"".join(b"*2\r\n$3\r\nGET\r\n$2\r\n%s\r\n" % key for key in (b"u0", b"u9", b"u2"))
    for hello in (False, True):
        null = b"_\r\n" if hello else b"$-1\r\n"
        bulk = b"$%d\r\n%s\r\n" % (len(value), value)
        expect = [b"+OK\r\n" * 3, bulk + null + bulk]
        reads = [(sets, len(expect[0])), (gets, len(expect[1]))]
        assert _uniform_reads(server.port, hello, reads) == expect
        assert _uniform_reads(real_redis.port, hello, reads) == expect


def test_reads_of_one_shape_on_the_wire(server, real_redis):
    """A connection's third read of one request shape is split by the shape's matcher
    (RequestParser.take): arguments holding CRLF and headers, then a read of the same
    size that is not that shape, get redis-server's replies byte for byte."""
    def sets(keys, value):
        return b"".join(b"*3\r\n$3\r\nSET\r\n$3\r\n%s\r\n$8\r\n%s\r\n" % (k, value)
                        for k in keys)

    def gets(keys):
        return b"".join(b"*2\r\n$3\r\nGET\r\n$3\r\n%s\r\n" % k for k in keys)

    odd = b"*1\r\n$1\r\n"                                     # 8 bytes, like the values
    plain = b"$8\r\nplainval\r\n"
    for hello in (False, True):
        null = b"_\r\n" if hello else b"$-1\r\n"
        expect = [b"+OK\r\n" * 2] * 3 + [
            plain * 2, plain + null, b"$8\r\n%s\r\n" % odd * 2 + null, b":-1\r\n" + plain]
        reads = [sets([b"k:1", b"k:2"], b"plainval"), sets([b"k:3", b"k:4"], b"plainval"),
                 sets([b"\r\n*", b"k:5"], odd), gets([b"k:1", b"k:2"]), gets([b"k:3", b"k:9"]),
                 gets([b"\r\n*", b"k:5", b"k:7"]),
                 gets([b"k:1"]).replace(b"GET", b"TTL") + gets([b"k:2"])]
        reads = list(zip(reads, map(len, expect)))
        assert _uniform_reads(server.port, hello, reads) == expect
        assert _uniform_reads(real_redis.port, hello, reads) == expect


def _uniform_handler_pipelines(client):
    """Pipelines of one plain command other than GET and SET (run_columns calls the
    handler): errors among them, a command given too few arguments, SET with options.
    Returns the replies, keyspace events, commandstats and errorstats."""
    client.config_set("notify-keyspace-events", "KEA")
    client.set("text", "not a number")
    client.rpush("list", "x")
    listener = _listen(client)
    client.config_resetstat()      # after the connections are made (redis-server 7.0
    replies = []                   # counts redis-py's CLIENT SETINFO as errors)
    for tracking, calls in (
            ("yes", [("INCR", key) for key in ("n", "n", "text", "list", "m", "n")]),
            ("yes", [("HSET", "h", f"f{i}", f"v{i}") for i in range(5)] + [("HSET", "list", "f", "v")]),
            ("yes", [("LPUSH", "l", f"x{i}") for i in range(4)]),
            ("yes", [("SET", f"s{i}", "v", "EX", "100") for i in range(3)] + [("SET", "s", "v", "EX", "0")]),
            ("yes", [("HSET", f"odd{i}", "f") for i in range(3)]),
            ("yes", [("INCRBY", "n", str(i)) for i in range(3)] + [("INCRBY", "n", "x")]),
            ("no", [("INCR", "n")] * 3)):                  # no histogram to count in
        client.config_set("latency-tracking", tracking)
        pipe = client.pipeline(transaction=False)
        for args in calls:
            pipe.execute_command(*args)
        replies += pipe.execute(raise_on_error=False)
    client.config_set("latency-tracking", "yes")
    errors = client.info("errorstats")          # before redis-py closes the listener
    replies.append(sorted(client.hgetall("h").items()))
    replies.append(client.lrange("l", 0, -1))
    replies.append([client.ttl(f"s{i}") > 0 for i in range(3)])
    events = _drain(listener)
    stats = client.info("commandstats")
    calls = {name: {field: stats[f"cmdstat_{name}"][field]
                    for field in ("calls", "rejected_calls", "failed_calls")}
             for name in ("incr", "hset", "lpush", "set", "incrby")}
    client.config_set("notify-keyspace-events", "")
    return [repr(x) if isinstance(x, Exception) else x for x in replies], events, calls, errors


def test_uniform_handler_pipelines_match_redis(r, real):
    ours = _uniform_handler_pipelines(r)
    assert ours == _uniform_handler_pipelines(real)   # replies, events in order, stats
    assert ours[2]["incr"] == {"calls": 9, "rejected_calls": 0, "failed_calls": 2}
    assert ours[3] == {"errorstat_ERR": {"count": 6}, "errorstat_WRONGTYPE": {"count": 2}}
