"""Access words (db/access.py) in-process: every key has exactly one, whatever made,
moved or removed it -- so they cost no memory once their keys are gone -- and the LFU
arithmetic (decay, logarithmic growth) is Redis's."""

import socket
import time

import pytest

from keydb_ft import commands
from keydb_ft.commands import dispatch
from keydb_ft.connection import Client
from keydb_ft.db import access
from keydb_ft.db.keyspace import bind_thread_stats
from keydb_ft.eventloop import EventLoop
from keydb_ft.server import Server, main_config

WORKLOAD = [
    ["SET", "s", "v"], ["SET", "e", "v", "PX", "1"], ["SETEX", "e2", "100", "v"],
    ["MSET", "m1", "a", "m2", "b"], ["RPUSH", "l", "a", "b"], ["LPOP", "l"], ["LPOP", "l"],
    ["HSET", "h", "f", "v"], ["HDEL", "h", "f"], ["SADD", "st", "a"], ["SMOVE", "st", "st2", "a"],
    ["ZADD", "z", "1", "a"], ["ZPOPMIN", "z"], ["XADD", "x", "1-1", "f", "v"],
    ["COPY", "s", "s2"], ["RENAME", "s2", "s3"], ["RENAMENX", "s3", "s4"], ["MOVE", "s4", "3"],
    ["GETDEL", "m1"], ["DEL", "m2"], ["UNLINK", "x"], ["PFADD", "hl", "a"],
    ["SETBIT", "b", "9", "1"], ["BITOP", "NOT", "b2", "b"], ["SUNIONSTORE", "u", "st2"],
    ["SUNIONSTORE", "empty", "nothing"], ["SORT", "u", "ALPHA", "STORE", "sorted"],
    ["HSET", "hx", "f", "v"], ["EXPIREMEMBER", "hx", "f", "1"], ["SWAPDB", "0", "3"],
    ["SWAPDB", "0", "3"], ["EXPIRE", "e2", "0"], ["SET", "gone", "v"], ["EXPIRE", "gone", "-1"],
]


@pytest.fixture
def client():
    server = Server(main_config(["--save", "", "--enable-debug-command", "yes"]))
    commands.install(server)
    server.loops = [EventLoop(server, 0)]
    loop = server.loops[0]
    bind_thread_stats(loop.stats)
    mine, peer = socket.socketpair()
    c = Client(server, loop, mine, ("127.0.0.1", 1), 1)
    yield c
    mine.close()
    peer.close()


def _run(c, *argv):
    dispatch.execute(c, [a.encode() if isinstance(a, str) else a for a in argv])
    c.out.clear()


def _check_one_word_per_key(server):
    for db in server.keyspace.dbs:
        for data, acc in zip(db.data, db.access):
            assert set(acc) == set(data), (db.id, set(acc) ^ set(data))


@pytest.mark.parametrize("policy", ["noeviction", "allkeys-lfu"])
def test_each_key_has_one_word(client, policy):
    _run(client, "CONFIG", "SET", "maxmemory-policy", policy)
    for argv in WORKLOAD:
        _run(client, *argv)
        _check_one_word_per_key(client.server)
    time.sleep(1.1)                                 # the PX 1 key and the member TTL are due
    for key in ("e", "hx", "nothing"):
        _run(client, "GET", key)                    # lazy expiry removes words too
    _check_one_word_per_key(client.server)
    assert sum(map(len, client.server.keyspace.dbs[0].access)) >= 5
    _run(client, "FLUSHALL")
    _check_one_word_per_key(client.server)
    assert not any(any(db.access) for db in client.server.keyspace.dbs)


def test_lfu_decay_and_growth(monkeypatch):
    now = [1_000_000 * 60]
    monkeypatch.setattr(access.time, "time", lambda: now[0])
    word = access.lfu_new()
    assert access.lfu_counter(word, 1) == access.LFU_INIT_VAL
    now[0] += 3 * 60                                # three minutes: three steps of decay
    assert access.lfu_counter(word, 1) == 2
    assert access.lfu_counter(word, 2) == 4         # one step per two minutes
    assert access.lfu_counter(word, 0) == 5         # lfu-decay-time 0: no decay
    now[0] += 100 * 60
    assert access.lfu_counter(word, 1) == 0         # never below zero

    class Config:
        lfu_log_factor = 0
        lfu_decay_time = 1
    acc = {b"k": (access.lfu_minutes() << 8) | 254}
    access.lfu_touch(acc, b"k", Config)
    access.lfu_touch(acc, b"k", Config)
    assert acc[b"k"] & 255 == 255                   # the counter stops at 255
    assert acc[b"k"] >> 8 == access.lfu_minutes()


def test_lru_word_wraps_like_the_24_bit_clock(monkeypatch):
    monkeypatch.setattr(access.time, "time", lambda: (1 << 24) + 10)    # clock reads 10
    assert access.lru_clock() == 10
    assert access.idle_ms(5, 10) == 5000
    assert access.idle_ms(access.LRU_CLOCK_MAX - 5, 10) == 15000     # before the wrap
    assert access.word_for_restore(False, 3, None, 10) == 7
    assert access.word_for_restore(False, 20, None, 10) == 10 - 20 + access.LRU_CLOCK_MAX
    assert access.word_for_restore(False, None, 7, 10) is None
    assert access.word_for_restore(True, 3, None, 10) is None   # LFU: IDLETIME is ignored
