"""Blocking commands with real clients on different connections (so on different loop
threads: connections are spread round-robin over the server's 4 loops)."""

import random
import socket
import threading
import time

import pytest

DEADLINE = 20.0


class RawClient:
    """A plain socket speaking RESP: replies come back as the exact bytes received."""

    def __init__(self, port, resp3=False):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(DEADLINE)
        self.buf = b""
        if resp3:
            self.call("HELLO", "3")
        self.id = int(self.call("CLIENT", "ID")[1:-2])

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            arg = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
        self.sock.sendall(b"".join(out))

    def call(self, *args):
        self.send(*args)
        return self.reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line + b"\r\n"

    def _exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def reply(self):
        """One whole reply, raw."""
        line = self._line()
        kind, rest = line[:1], line[1:-2]
        if kind in b"$=!" and rest != b"-1":
            return line + self._exact(int(rest) + 2)
        if kind in b"*~>%" and rest != b"-1":
            n = int(rest) * (2 if kind == b"%" else 1)
            return line + b"".join(self.reply() for _ in range(n))
        if kind == b"|":
            raise AssertionError("attributes are never sent")
        return line

    def pending(self, wait=0.2):
        """True if something arrived within wait seconds (without consuming it)."""
        if self.buf:
            return True
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(DEADLINE)
        self.buf += data
        return True

    def close(self):
        self.sock.close()


def _clients(port):
    made = []

    def make(resp3=False):
        client = RawClient(port, resp3)
        made.append(client)
        return client
    yield make
    for client in made:
        client.close()


@pytest.fixture
def raw(server):
    yield from _clients(server.port)


@pytest.fixture
def real_raw(real_redis):
    yield from _clients(real_redis.port)


def blocked_ids(admin):
    lines = admin.execute_command("CLIENT", "LIST")
    if isinstance(lines, bytes):
        lines = lines.decode()
    if isinstance(lines, str):
        lines = [dict(f.split("=", 1) for f in line.split() if "=" in f)
                 for line in lines.splitlines()]
    return {int(x["id"]) for x in lines if "b" in x["flags"]}


def wait_blocked(admin, *clients, count=None):
    """Wait until exactly these clients are blocked (bounded in time)."""
    wanted = {c.id for c in clients}
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        ids = blocked_ids(admin)
        if wanted <= ids and (count is None or len(ids) == count):
            return
        time.sleep(0.005)
    raise AssertionError(f"clients {wanted} not blocked: {blocked_ids(admin)}")


def info_blocked(admin):
    return admin.info("clients")["blocked_clients"]


def wait_info_blocked(admin, n):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if info_blocked(admin) == n:
            return
        time.sleep(0.005)
    assert info_blocked(admin) == n


def test_blpop_served_by_push_from_another_loop(r, raw):
    waiter = raw()
    waiter.send("BLPOP", "q", "0")
    wait_blocked(r, waiter)
    assert info_blocked(r) == 1
    assert r.rpush("q", "hello") == 1
    assert waiter.reply() == b"*2\r\n$1\r\nq\r\n$5\r\nhello\r\n"
    assert r.exists("q") == 0
    wait_info_blocked(r, 0)
    assert waiter.call("PING") == b"+PONG\r\n"


def test_first_blocked_first_served(r, raw):
    waiters = [raw() for _ in range(3)]
    for n, w in enumerate(waiters):
        w.send("BLPOP", "fifo", "0")
        wait_blocked(r, *waiters[:n + 1], count=n + 1)
    r.rpush("fifo", "a", "b", "c")
    got = [w.reply() for w in waiters]
    assert got == [b"*2\r\n$4\r\nfifo\r\n$1\r\n%s\r\n" % x for x in (b"a", b"b", b"c")]
    # one element at a time: still in blocking order
    for n, w in enumerate(waiters):
        w.send("BRPOP", "fifo2", "0")
        wait_blocked(r, *waiters[:n + 1], count=n + 1)
    for n, w in enumerate(waiters):
        r.lpush("fifo2", f"e{n}")
        assert w.reply() == b"*2\r\n$5\r\nfifo2\r\n$2\r\ne%d\r\n" % n
        assert not any(other.pending(0.05) for other in waiters[n + 1:])
    wait_info_blocked(r, 0)


@pytest.mark.parametrize("resp3", [False, True])
def test_timeouts_reply_like_redis(raw, real_raw, resp3):
    for cmd in [("BLPOP", "none1", "none2", "0.05"), ("BRPOP", "none", "0.05"),
                ("BLMOVE", "none", "d", "LEFT", "RIGHT", "0.05"), ("BRPOPLPUSH", "none", "d", "0.05"),
                ("BLMPOP", "0.05", "1", "none", "LEFT"), ("BZPOPMIN", "none", "0.05"),
                ("BZMPOP", "0.05", "2", "n1", "n2", "MAX", "COUNT", "3")]:
        ours, theirs = raw(resp3), real_raw(resp3)
        start = time.monotonic()
        got = ours.call(*cmd)
        assert time.monotonic() - start >= 0.04
        assert got == theirs.call(*cmd) == (b"_\r\n" if resp3 else b"*-1\r\n"), cmd


def test_blocked_client_is_served_after_wrong_type_is_replaced(r, raw):
    waiter = raw()
    waiter.send("BLPOP", "k", "0")
    wait_blocked(r, waiter)
    r.set("k", "string")                 # Redis 7.0: not served, stays blocked
    assert not waiter.pending(0.2)
    r.delete("k")
    r.rpush("k", "x")
    assert waiter.reply() == b"*2\r\n$1\r\nk\r\n$1\r\nx\r\n"


def test_multi_key_blpop_serves_the_pushed_key(r, raw):
    waiter = raw()
    waiter.send("BLPOP", "k1", "k2", "k3", "0")
    wait_blocked(r, waiter)
    r.rpush("k3", "v3")
    assert waiter.reply() == b"*2\r\n$2\r\nk3\r\n$2\r\nv3\r\n"
    r.rpush("k1", "v1")                   # nobody waits any more
    assert r.lrange("k1", 0, -1) == [b"v1"]
    wait_info_blocked(r, 0)


def test_client_unblock(r, raw, real_raw):
    for reason, expected in [((), b"*-1\r\n"), (("TIMEOUT",), b"*-1\r\n"),
                             (("ERROR",), b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")]:
        for make in (raw, real_raw):
            waiter, admin = make(), make()
            waiter.send("BLPOP", "u", "0")
            deadline = time.monotonic() + DEADLINE
            while waiter.id not in _blocked_raw(admin) and time.monotonic() < deadline:
                time.sleep(0.005)
            assert admin.call("CLIENT", "UNBLOCK", waiter.id, *reason) == b":1\r\n"
            assert waiter.reply() == expected
            assert admin.call("CLIENT", "UNBLOCK", waiter.id, *reason) == b":0\r\n"
            assert waiter.call("PING") == b"+PONG\r\n"
    wait_info_blocked(r, 0)
    me = r.client_id()
    assert r.execute_command("CLIENT", "UNBLOCK", me) == 0
    assert r.execute_command("CLIENT", "UNBLOCK", 999999) == 0


def _blocked_raw(admin):
    text = admin.call("CLIENT", "LIST").split(b"\r\n", 1)[1]
    return {int(line.split(b" ")[0][3:]) for line in text.splitlines() if b" flags=b " in line}


def test_client_unblock_errors(diff):
    for case in [("CLIENT", "UNBLOCK", "abc"), ("CLIENT", "UNBLOCK", "1", "foo"),
                 ("CLIENT", "UNBLOCK", "abc", "foo"), ("CLIENT", "UNBLOCK", "1", "timeout", "x"),
                 ("CLIENT", "UNBLOCK"), ("CLIENT", "UNBLOCK", "-1"),
                 ("CLIENT", "UNBLOCK", "1", "ERROR")]:
        diff(*case)


def test_client_unblock_inside_multi(r, raw):
    waiter = raw()
    waiter.send("BRPOP", "m", "0")
    wait_blocked(r, waiter)
    pipe = r.pipeline(transaction=True)
    pipe.rpush("other", "x")
    pipe.execute_command("CLIENT", "UNBLOCK", waiter.id, "ERROR")
    assert pipe.execute() == [1, 1]
    assert waiter.reply().startswith(b"-UNBLOCKED")


def test_blpop_inside_multi_does_not_block(r, raw):
    client = raw()
    assert client.call("MULTI") == b"+OK\r\n"
    assert client.call("BLPOP", "empty", "0") == b"+QUEUED\r\n"
    assert client.call("RPUSH", "empty", "v") == b"+QUEUED\r\n"
    assert client.call("BLPOP", "empty", "0") == b"+QUEUED\r\n"
    assert client.call("BLMOVE", "nothing", "d", "LEFT", "LEFT", "0") == b"+QUEUED\r\n"
    assert client.call("EXEC") == (b"*4\r\n*-1\r\n:1\r\n*2\r\n$5\r\nempty\r\n$1\r\nv\r\n$-1\r\n")
    assert info_blocked(r) == 0


def test_pipelined_requests_run_after_unblocking(r, raw):
    waiter = raw()
    waiter.send("BLPOP", "p", "0")
    waiter.send("PING")
    waiter.send("LLEN", "p")
    wait_blocked(r, waiter)
    assert not waiter.pending(0.1)
    r.rpush("p", "1", "2")
    assert waiter.reply() == b"*2\r\n$1\r\np\r\n$1\r\n1\r\n"
    assert waiter.reply() == b"+PONG\r\n"
    assert waiter.reply() == b":1\r\n"


def test_disconnected_waiter_is_forgotten(r, raw):
    gone, stays = raw(), raw()
    gone.send("BLPOP", "d", "0")
    wait_blocked(r, gone)
    stays.send("BLPOP", "d", "0")
    wait_blocked(r, gone, stays, count=2)
    gone.close()
    wait_info_blocked(r, 1)
    r.rpush("d", "x", "y")
    assert stays.reply() == b"*2\r\n$1\r\nd\r\n$1\r\nx\r\n"
    assert r.lrange("d", 0, -1) == [b"y"]
    wait_info_blocked(r, 0)


def test_blmove_serves_and_chains_to_destination_waiter(r, raw):
    mover, popper = raw(), raw()
    mover.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    wait_blocked(r, mover)
    popper.send("BLPOP", "dst", "0")
    wait_blocked(r, mover, popper, count=2)
    r.rpush("src", "a", "b")
    assert mover.reply() == b"$1\r\nb\r\n"
    assert popper.reply() == b"*2\r\n$3\r\ndst\r\n$1\r\nb\r\n"
    assert r.lrange("src", 0, -1) == [b"a"]
    assert r.exists("dst") == 0


def test_blmove_to_wrong_type_unblocks_with_error(r, raw):
    mover = raw()
    r.set("dst", "string")
    mover.send("BRPOPLPUSH", "src", "dst", "0")
    wait_blocked(r, mover)
    r.rpush("src", "a")
    assert mover.reply().startswith(b"-WRONGTYPE")
    assert r.lrange("src", 0, -1) == [b"a"]
    wait_info_blocked(r, 0)


def _serve_scenario(make, admin):
    """Blocked BLMPOP / BZPOPMAX (RESP3) / BZMPOP / BLMOVE clients served by pushes."""
    lister, zsetter, zmulti, mover = make(), make(resp3=True), make(), make(resp3=True)
    admin.call("FLUSHALL")
    admin.call("CONFIG", "RESETSTAT")
    lister.send("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
    zsetter.send("BZPOPMAX", "z", "0")
    zmulti.send("BZMPOP", "0", "1", "z2", "MIN", "COUNT", "10")
    mover.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
    deadline = time.monotonic() + DEADLINE
    while len(_blocked_raw(admin)) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    replies = []
    for push, client in [(("RPUSH", "b", "1", "2", "3"), lister),
                         (("ZADD", "z", "1", "low", "2.5", "high"), zsetter),
                         (("ZADD", "z2", "1", "x", "2", "y"), zmulti),
                         (("LPUSH", "src", "m"), mover)]:
        replies.append(admin.call(*push))
        replies.append(client.reply())
    for check in [("LRANGE", "b", "0", "-1"), ("ZRANGE", "z", "0", "-1"), ("EXISTS", "z2"),
                  ("LRANGE", "dst", "0", "-1"), ("INFO", "commandstats")]:
        replies.append(admin.call(*check))
    return replies


def test_served_replies_match_redis(raw, real_raw):
    ours = _serve_scenario(raw, raw())
    theirs = _serve_scenario(real_raw, real_raw())
    stats_ours, stats_theirs = ours.pop(), theirs.pop()
    assert ours == theirs
    for name in (b"blmpop", b"bzpopmax", b"bzmpop", b"blmove"):
        assert b"cmdstat_%s:calls=1," % name in stats_ours
        assert b"cmdstat_%s:calls=1," % name in stats_theirs


def test_swapdb_serves_waiters(r, raw):
    waiter = raw()
    waiter.send("BLPOP", "sw", "0")
    wait_blocked(r, waiter)
    r.execute_command("SELECT", "1")
    r.rpush("sw", "from-db1")
    r.execute_command("SWAPDB", "0", "1")
    assert waiter.reply() == b"*2\r\n$2\r\nsw\r\n$8\r\nfrom-db1\r\n"
    r.execute_command("SELECT", "0")


def test_timeout_and_push_race_never_loses_or_duplicates(r, raw):
    """Waiters with tiny timeouts while elements arrive: each element is either
    received by exactly one waiter or left in the list."""
    waiters = [raw() for _ in range(6)]
    received = []
    pushed = []
    for round_no in range(30):
        for w in waiters:
            w.send("BLPOP", "race", "0.01")
        item = f"i{round_no}"
        pushed.append(item)
        r.rpush("race", item)
        for w in waiters:
            got = w.reply()
            if got != b"*-1\r\n":
                received.append(got.rsplit(b"\r\n", 2)[1].decode())
    left = [x.decode() for x in r.lrange("race", 0, -1)]
    assert sorted(received + left) == sorted(pushed)
    wait_info_blocked(r, 0)


def test_producers_and_consumers_lose_nothing(server, r):
    producers, per_producer, consumers = 6, 400, 5
    total = producers * per_producer
    keys = ["pc1", "pc2", "pc3"]
    received = []
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def consume():
        client = server.client(socket_timeout=DEADLINE)
        try:
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                got = client.blpop(keys, timeout=0.5)
                if got is not None:
                    with lock:
                        received.append(got[1])
                        if len(received) >= total:
                            stop.set()
        except Exception as exc:       # reported below
            errors.append(exc)
        finally:
            client.close()

    def produce(p):
        client = server.client()
        try:
            rng = random.Random(p)
            for i in range(per_producer):
                client.rpush(rng.choice(keys), f"{p}:{i}")
        except Exception as exc:
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=consume) for _ in range(consumers)]
    threads += [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    stop.set()
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    expected = sorted(f"{p}:{i}".encode() for p in range(producers) for i in range(per_producer))
    assert len(received) == total
    assert sorted(received) == expected
    assert r.exists(*keys) == 0
    wait_info_blocked(r, 0)


def test_blmove_rotation_stress_keeps_every_element(server, r):
    """Clients move elements between two lists with BLMOVE while others push: the
    multiset of elements is preserved."""
    r.rpush("ring-a", *[f"e{i}" for i in range(50)])
    stop = time.monotonic() + 3
    errors = []

    def mover(src, dst):
        client = server.client()
        try:
            while time.monotonic() < stop:
                client.blmove(src, dst, 0.05, "LEFT", "RIGHT")
        except Exception as exc:
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=mover, args=pair)
               for pair in [("ring-a", "ring-b"), ("ring-b", "ring-a")] * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    items = r.lrange("ring-a", 0, -1) + r.lrange("ring-b", 0, -1)
    assert sorted(items) == sorted(f"e{i}".encode() for i in range(50))
    wait_info_blocked(r, 0)


def _slowlog_of_waits(srv):
    """Blocked commands ended four ways with every command logged: the commands SLOWLOG
    then holds (the admin's polling left out) and the blocking commands' stats."""
    admin = srv.client(protocol=2)
    make = _clients(srv.port)
    new = next(make)
    try:
        admin.flushall()
        admin.config_set("slowlog-log-slower-than", "0")
        admin.config_resetstat()
        served, timed_out, unblocked, gone = new(), new(), new(), new()
        admin.execute_command("XADD", "s", "1-1", "f", "v")
        admin.execute_command("XGROUP", "CREATE", "s", "g", "$")
        admin.slowlog_reset()
        served.send("BLPOP", "l", "0")
        timed_out.send("BLPOP", "t", "0.05")
        unblocked.send("BRPOP", "u", "0")
        gone.send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
        wait_info_blocked(admin, 4)
        time.sleep(0.1)                             # t times out
        admin.lpush("l", "x")
        served.reply()
        admin.client_unblock(unblocked.id, error=True)
        unblocked.reply()
        admin.delete("s")
        gone.reply()
        timed_out.reply()
        logged = [entry["command"] for entry in admin.slowlog_get(-1)]
        stats = admin.info("commandstats")
    finally:
        admin.config_set("slowlog-log-slower-than", "10000")
        admin.close()
        make.close()
    logged = [cmd for cmd in logged if not cmd.startswith((b"INFO", b"CLIENT UNBLOCK"))]
    calls = {name: {k: v for k, v in row.items() if k != "usec" and k != "usec_per_call"}
             for name, row in stats.items() if name in ("cmdstat_blpop", "cmdstat_brpop",
                                                         "cmdstat_xreadgroup")}
    return logged, calls


def test_blocked_commands_enter_the_slowlog_when_their_wait_ends(server, real_redis):
    """As Redis 7.0: a blocked command is logged once it is served or unblocked with an
    error, after what served it; a timed-out one is not logged."""
    ours = _slowlog_of_waits(server)
    theirs = _slowlog_of_waits(real_redis)
    # redis-server 7.0 logs the command CLIENT UNBLOCK ... ERROR ended with no arguments
    # (they are gone by then); keydb-ft logs them
    theirs[0][theirs[0].index(b"")] = b"BRPOP u 0"
    assert ours == theirs
    assert b"BLPOP t 0.05" not in ours[0]
    assert {b"BLPOP l 0", b"BRPOP u 0"} <= set(ours[0])
