"""Crash safety with appendfsync always: many writer threads, the server SIGKILLed at a
random moment, restarted from its AOF. Every acknowledged write is there, nothing that
was never sent appears, and transactions are all or nothing. Bounded rounds and time."""

import random
import threading
import time

import redis

from conftest import ServerProcess
from test_persistence import wait_loaded

THREADS = 6
ROUNDS = 3


class Writer(threading.Thread):
    def __init__(self, port, rnd, t):
        super().__init__(daemon=True)
        self.port, self.rnd, self.t = port, rnd, t
        self.acked = [0, 0, 0, 0]       # SET, INCR, RPUSH, MULTI blocks acknowledged
        self.sent = [0, 0, 0, 0]

    def run(self):
        c = redis.Redis(port=self.port, socket_timeout=10)
        r, t = self.rnd, self.t
        try:
            for j in range(1_000_000):
                self._op(0, lambda: c.set(b"k:%d:%d:%d" % (r, t, j), b"v%d" % j))
                self._op(1, lambda: c.incr(b"c:%d:%d" % (r, t)))
                self._op(2, lambda: c.rpush(b"l:%d:%d" % (r, t), j))
                if j % 4 == 0:
                    def block():
                        with c.pipeline(transaction=True) as p:
                            p.set(b"tx:%d:%d:%d" % (r, t, j), 1)
                            p.incr(b"txc:%d:%d" % (r, t))
                            p.execute()
                    self._op(3, block)
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return

    def _op(self, kind, fn):
        self.sent[kind] += 1
        fn()
        self.acked[kind] += 1


def _check(c, rnd, writers, last):
    keys = set(c.keys(b"*"))
    for w in writers:
        t = w.t
        sets = [j for j in range(w.sent[0]) if b"k:%d:%d:%d" % (rnd, t, j) in keys]
        assert sets == list(range(len(sets))) and w.acked[0] <= len(sets) <= w.sent[0]
        for j in sets:
            assert c.get(b"k:%d:%d:%d" % (rnd, t, j)) == b"v%d" % j
        count = int(c.get(b"c:%d:%d" % (rnd, t)) or 0)
        assert w.acked[1] <= count <= w.sent[1]
        items = [int(x) for x in c.lrange(b"l:%d:%d" % (rnd, t), 0, -1)]
        assert items == list(range(len(items))) and w.acked[2] <= len(items) <= w.sent[2]
        blocks = int(c.get(b"txc:%d:%d" % (rnd, t)) or 0)
        tx_keys = [k for k in keys if k.startswith(b"tx:%d:%d:" % (rnd, t))]
        assert len(tx_keys) == blocks and w.acked[3] <= blocks <= w.sent[3]
    mine = {b"k", b"c", b"l", b"tx", b"txc"}
    for key in keys:
        parts = key.split(b":")
        assert parts[0] in mine and int(parts[1]) <= last, key


def test_sigkill_keeps_every_acknowledged_write(tmp_path):
    rng = random.Random(7)
    args = ["--appendonly", "yes", "--appendfsync", "always"]
    history = []
    for rnd in range(ROUNDS):
        srv = ServerProcess(tmp_path, threads=4, args=args)
        try:
            c = srv.client()
            wait_loaded(c)
            for old_rnd, old_writers in history:
                _check(c, old_rnd, old_writers, rnd - 1)
            writers = [Writer(srv.port, rnd, t) for t in range(THREADS)]
            for w in writers:
                w.start()
            time.sleep(rng.uniform(0.5, 2.0))
            srv.proc.kill()
            srv.proc.wait()
            for w in writers:
                w.join(15)
            assert sum(w.acked[0] for w in writers) > 0
            history.append((rnd, writers))
        finally:
            srv.stop()
    srv = ServerProcess(tmp_path, threads=4, args=args)
    try:
        c = srv.client()
        wait_loaded(c)
        for rnd, writers in history:
            _check(c, rnd, writers, ROUNDS - 1)
    finally:
        srv.stop()
