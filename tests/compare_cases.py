"""Helpers for test_bitmaps, test_sort and test_hll_commands: run commands on keydb-ft
and on redis-server 7.0 and compare every reply (RESP2 and RESP3), and run bounded
worker threads against keydb-ft."""

import contextlib
import threading
import time

from conftest import raw_reply, same


def assert_same_replies(server, real_redis, cases, protocols=(2, 3)):
    """Each protocol starts from two empty servers and runs cases in order."""
    for protocol in protocols:
        ours = server.client(protocol=protocol)
        theirs = real_redis.client(protocol=protocol)
        try:
            ours.flushall()
            theirs.flushall()
            bad = []
            for case in cases:
                a, b = same(ours, theirs, *case)
                if a != b:
                    bad.append(f"RESP{protocol} {case!r}: keydb-ft {a!r} != redis {b!r}")
            assert not bad, "\n".join(bad)
        finally:
            ours.close()
            theirs.close()


def assert_same_sequence(server, real_redis, commands, keys):
    """Run a (random) command sequence on both servers, then compare the keys' values."""
    ours, theirs = server.client(), real_redis.client()
    try:
        ours.flushall()
        theirs.flushall()
        for cmd in commands:
            a, b = same(ours, theirs, *cmd)
            assert a == b, (cmd, a, b)
        for key in keys:
            assert ours.get(key) == theirs.get(key), key
    finally:
        ours.close()
        theirs.close()


def run_workers(server, count, rounds, step, seconds=60):
    """count threads, each with its own client, call step(client, tid, i) for i in
    range(rounds); fails on any worker error or when the time bound runs out."""
    deadline = time.monotonic() + seconds
    errors = []

    def work(tid):
        client = server.client()
        try:
            for i in range(rounds):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"worker {tid} ran out of time at round {i}")
                step(client, tid, i)
        except Exception as exc:        # reported by the caller's assertion below
            errors.append((tid, exc))
        finally:
            client.close()

    pool = [threading.Thread(target=work, args=(t,)) for t in range(count)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(max(1.0, deadline - time.monotonic() + 30))
    assert not any(t.is_alive() for t in pool), "workers still running"
    assert not errors, errors[:3]


def assert_same_events(server, real_redis, commands):
    """Both servers publish the same keyspace events (notify-keyspace-events KEA) for
    commands, in the same order."""
    published = []
    for srv in (server, real_redis):
        client = srv.client()
        client.flushall()
        client.config_set("notify-keyspace-events", "KEA")
        listener = client.pubsub()
        try:
            listener.psubscribe("__keyevent@0__:*")
            assert listener.get_message(timeout=5)["type"] == "psubscribe"
            for cmd in commands:
                raw_reply(client, *cmd)
            events = []
            for _ in range(10_000):
                message = listener.get_message(timeout=0.5)
                if message is None:
                    break
                events.append((message["channel"], message["data"]))
            published.append(events)
        finally:
            client.config_set("notify-keyspace-events", "")
            listener.close()
            client.close()
    assert published[0] == published[1]
    assert published[0], "no events at all"


@contextlib.contextmanager
def configured(clients, name, value):
    """CONFIG SET name value on every client for the block, then the old value back."""
    old = [client.config_get(name)[name] for client in clients]
    for client in clients:
        client.config_set(name, value)
    try:
        yield
    finally:
        for client, previous in zip(clients, old):
            client.config_set(name, previous)
