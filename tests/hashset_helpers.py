"""Helpers shared by test_hashes.py, test_sets.py and test_member_expiry.py."""

import threading

from conftest import same


def mismatches(ours, theirs, cases):
    """The cases whose replies differ between the two servers, with both replies."""
    bad = []
    for case in cases:
        a, b = same(ours, theirs, *case)
        if a != b:
            bad.append((case, a, b))
    return bad


def run_threads(count, target, timeout=120):
    """Run target(n) for n in range(count) on threads; fail on any exception or hang."""
    failures = []

    def guarded(n):
        try:
            target(n)
        except Exception as exc:          # reported by the assertion below
            failures.append(exc)

    pool = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout)
    assert not failures and not any(t.is_alive() for t in pool), failures


def command_info_mismatches(ours, theirs, names):
    """Commands whose COMMAND INFO differs between the two servers."""
    return [name for name in names
            if same(ours, theirs, "COMMAND", "INFO", name)[0]
            != same(ours, theirs, "COMMAND", "INFO", name)[1]]


def resp3_clients(server, real_redis):
    """Flushed RESP3 clients of keydb-ft and redis-server."""
    ours, theirs = server.client(protocol=3), real_redis.client(protocol=3)
    for client in (ours, theirs):
        client.flushall()
    return ours, theirs
