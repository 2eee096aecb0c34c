"""busy-poll-us: a loop whose sockets go quiet keeps polling, yielding the core between
polls, for at most that long and no longer than half the time it worked since it last
slept, before it sleeps (keydb_ft/eventloop.py, EventLoop._idle). Whatever the setting,
the loops must still serve every client, run the work other threads post to them
(pub/sub delivery, blocked clients woken from another loop) and fire their timers."""

import os
import subprocess
import threading
import time

import pytest
import redis

from conftest import ServerProcess
from test_concurrency import run_threads


def test_config_get_set_and_range(r):
    assert r.config_get("busy-poll-us") == {"busy-poll-us": "200"}
    try:
        r.config_set("busy-poll-us", 0)
        assert r.config_get("busy-poll-us") == {"busy-poll-us": "0"}
        r.config_set("busy-poll-us", 100000)
        assert r.ping()
        with pytest.raises(redis.ResponseError) as err:
            r.config_set("busy-poll-us", 100001)
        assert str(err.value) == ("CONFIG SET failed (possibly related to argument "
                                  "'busy-poll-us') - argument must be between 0 and 100000 "
                                  "inclusive")
        with pytest.raises(redis.ResponseError):
            r.config_set("busy-poll-us", -1)
        assert r.config_get("busy-poll-us") == {"busy-poll-us": "100000"}
    finally:
        r.config_set("busy-poll-us", 200)


@pytest.mark.parametrize("micros", ["0", "100000"])
def test_loops_serve_post_and_time_out_at_any_setting(tmp_path, micros):
    server = ServerProcess(tmp_path, threads=2, args=("--busy-poll-us", micros))
    try:
        c = server.client()
        assert c.config_get("busy-poll-us") == {"busy-poll-us": micros}

        def work(i):
            w = server.client()
            for j in range(300):
                w.incr("bp:total")
                w.rpush(f"bp:list:{i}", j)
        run_threads(work, 8)
        assert int(c.get("bp:total")) == 8 * 300
        assert all(c.llen(f"bp:list:{i}") == 300 for i in range(8))

        # Connections are spread over the two loops: whichever loop the subscriber and
        # the blocked client are on, the publisher's and the pusher's loop posts to it.
        subscribers = [server.client() for _ in range(4)]
        pubsubs = [s.pubsub() for s in subscribers]
        for p in pubsubs:
            p.subscribe("bp:chan")
            assert p.get_message(timeout=10)["type"] == "subscribe"
        assert c.publish("bp:chan", "hello") == 4
        for p in pubsubs:
            assert p.get_message(timeout=10)["data"] == b"hello"

        results = []
        waiters = [threading.Thread(target=lambda: results.append(
            server.client().blpop("bp:wake", timeout=30))) for _ in range(4)]
        for t in waiters:
            t.start()
        deadline = time.monotonic() + 30           # a bound, not a measurement
        while c.info("clients")["blocked_clients"] < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert c.info("clients")["blocked_clients"] == 4
        for n in range(4):
            server.client().rpush("bp:wake", n)
        for t in waiters:
            t.join(60)
        assert sorted(v for _, v in results) == [b"0", b"1", b"2", b"3"]

        # A blocked client's timeout is one of its loop's timers.
        assert c.blpop("bp:never", timeout=0.2) is None
        assert c.ping()
    finally:
        server.stop()


def test_a_lightly_loaded_loop_does_not_poll_through_its_gaps(tmp_path):
    """At the longest setting (0.1 s) a client that sends a request every 20 ms would
    keep a loop polling all the time if the polling ran its full length after each
    request. It may only poll for half the time the request took, so over the whole
    second the server uses a small part of one core's time (CPU time, read from /proc;
    the bound is a tenth of what full-length polling would cost)."""
    server = ServerProcess(tmp_path, threads=2, args=("--busy-poll-us", "100000"))
    try:
        c = server.client()
        c.set("light", "x")

        before = _cpu_seconds(server.proc.pid)
        wall = time.monotonic()
        for _ in range(50):
            assert c.get("light") == b"x"
            time.sleep(0.02)
        wall = time.monotonic() - wall
        assert _cpu_seconds(server.proc.pid) - before < 0.1 * wall
    finally:
        server.stop()


def test_polling_earned_under_heavy_load_does_not_outlast_it(tmp_path):
    """One loop, the longest setting (0.1 s). redis-benchmark keeps it busy for two
    seconds while a client sends a request every 2 ms; when the benchmark stops, that
    client's gaps are shorter than the setting, so the loop never sleeps long enough to
    lose what it earned. What it keeps is capped at the setting: over the next second it
    may poll through 0.1 s of gaps, not through the half of two busy seconds it earned
    (about a core-second)."""
    server = ServerProcess(tmp_path, threads=1, args=("--busy-poll-us", "100000"))
    stop_light = threading.Event()
    try:
        light = server.client()
        done = []

        def trickle():
            while not stop_light.is_set():
                done.append(light.incr("light"))
                time.sleep(0.002)

        thread = threading.Thread(target=trickle)
        thread.start()
        bench = subprocess.Popen(["redis-benchmark", "-p", str(server.port), "-c", "20",
                                  "-P", "16", "-n", "100000000", "-t", "incr", "-q"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(2)
        finally:
            bench.kill()
            bench.wait(30)
        before = _cpu_seconds(server.proc.pid)
        served = len(done)
        time.sleep(1)
        after = _cpu_seconds(server.proc.pid)
        stop_light.set()
        thread.join(30)
        assert len(done) > served                  # the light client was served throughout
        assert int(server.client().get("counter:__rand_int__")) > 10000   # it did run
        assert after - before < 0.5
    finally:
        stop_light.set()                           # whatever failed, the client stops
        server.stop()


def _cpu_seconds(pid):
    """User and system CPU of every thread of pid so far (/proc)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")
