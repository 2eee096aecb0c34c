"""DUMP / RESTORE / MIGRATE against redis-server 7.0: payloads cross both ways for every
type, bad payloads and options get Redis's errors, MIGRATE moves keys to a real redis and
to another keydb-ft."""

import pytest
import redis

from conftest import RealRedis, raw_reply, same
from test_persistence import _normalize_pending, _value, keydb, populate  # noqa: F401


def _snap(c, key):
    kind = c.type(key)
    value = _value(c, key, kind)
    if kind == b"stream":
        value = _normalize_pending(value)
    return kind, value, c.pexpiretime(key)


def _same_keys(got, want):
    """Equal values; MIGRATE sends relative TTLs, so expiry times may drift by the transfer."""
    assert {k: v[:2] for k, v in got.items()} == {k: v[:2] for k, v in want.items()}
    for k, (_kind, _value_, when) in want.items():
        assert (when == -1) == (got[k][2] == -1) and abs(got[k][2] - when) < 2000, k


def _types(c):
    return {key: c.type(key) for key in c.keys(b"*")}


def test_payloads_cross_both_ways(r, real):
    populate(r)
    populate(real)
    for key, kind in _types(r).items():
        ours = r.dump(key)
        theirs = real.dump(key)
        assert real.restore(b"from-keydb:" + key, 0, ours)
        assert r.restore(b"from-redis:" + key, 0, theirs)
        want = _snap(real, key)[:2]
        assert _snap(real, b"from-keydb:" + key)[:2] == want, key
        assert _snap(r, b"from-redis:" + key)[:2] == _snap(r, key)[:2], key
        assert real.object("encoding", b"from-keydb:" + key) == real.object("encoding", key)
        # an uncompressed string's DUMP is byte-identical to Redis's
        if kind == b"string" and r.strlen(key) <= 20:
            assert ours == theirs


def test_restore_options_and_ttl(r, real):
    for c in (r, real):
        c.set(b"src", b"value")
    payload = r.dump(b"src")
    assert r.restore(b"t1", 5000, payload)
    assert 4000 < r.pttl(b"t1") <= 5000
    assert r.restore(b"t2", 4102444800000, payload, absttl=True)
    assert r.pexpiretime(b"t2") == 4102444800000
    assert r.restore(b"t3", 1, payload, absttl=True)     # already expired: not created
    assert r.exists(b"t3") == 0
    assert r.restore(b"t4", 0, payload, idletime=10)
    assert r.restore(b"t5", 0, payload, frequency=5)
    r.set(b"t6", b"old")
    assert r.restore(b"t6", 0, payload, replace=True)
    assert r.get(b"t6") == b"value"


@pytest.mark.parametrize("args", [
    ("RESTORE", "src", "0", "PAYLOAD"),                   # BUSYKEY
    ("RESTORE", "new", "-1", "PAYLOAD"),
    ("RESTORE", "new", "abc", "PAYLOAD"),
    ("RESTORE", "new", "0", "PAYLOAD", "IDLETIME", "-1"),
    ("RESTORE", "new", "0", "PAYLOAD", "FREQ", "256"),
    ("RESTORE", "new", "0", "PAYLOAD", "FREQ", "1", "IDLETIME", "1"),
    ("RESTORE", "new", "0", "PAYLOAD", "BOGUS"),
    ("RESTORE", "new", "0", "BADSUM"),
    ("RESTORE", "new", "0", "NEWVERSION"),
    ("RESTORE", "new", "0", "SHORT"),
    ("RESTORE", "new", "0", "BADBODY"),
    ("DUMP", "missing"),
])
def test_errors_match_redis(r, real, args):
    for c in (r, real):
        c.set(b"src", b"value")
    payload = real.dump(b"src")
    body = payload[:-10]
    from keydb_ft.persistence.rdbformat import build_dump_payload
    subst = {
        "PAYLOAD": payload,
        "BADSUM": payload[:-1] + bytes([payload[-1] ^ 1]),
        "NEWVERSION": build_dump_payload(body, 99),
        "SHORT": b"abc",
        "BADBODY": build_dump_payload(b"\x0b\x05abcde", 10),
    }
    argv = [subst.get(a, a) for a in args]
    ours, theirs = same(r, real, *argv)
    assert ours == theirs


def test_payload_from_redis_with_unknown_type_is_bad_format(r):
    from keydb_ft.persistence.rdbformat import build_dump_payload
    reply = raw_reply(r, "RESTORE", "x", "0", build_dump_payload(b"\x63abc", 10))
    assert "Bad data format" in str(reply)


def test_migrate_to_redis_and_keydb(r, real, keydb, tmp_path):
    populate(r, big=False)
    keys = sorted(k for k in r.keys(b"*"))
    want = {k: _snap(r, k) for k in keys}
    port = real.connection_pool.connection_kwargs["port"]
    assert r.migrate("127.0.0.1", port, keys[0], 0, 5000, copy=True) == b"OK"
    assert r.exists(keys[0]) == 1
    assert r.migrate("127.0.0.1", port, keys, 0, 5000, replace=True) == b"OK"
    assert r.dbsize() == 0
    got = {k: _snap(real, k) for k in keys}
    _same_keys(got, want)
    assert r.execute_command("MIGRATE", "127.0.0.1", port, "nokey", 0, 1000) == b"NOKEY"
    # and back into another keydb-ft, with AUTH
    other = keydb("--requirepass", "pw", sub="other", password="pw")
    oc = other.client(password="pw")
    assert real.execute_command("MIGRATE", "127.0.0.1", other.port, "", 0, 5000, "AUTH", "pw",
                                "KEYS", *keys) == b"OK"
    got = {k: _snap(oc, k) for k in keys}
    _same_keys(got, want)
    oc.set(b"there", b"1")
    r.set(b"there", b"2")
    err = raw_reply(r, "MIGRATE", "127.0.0.1", other.port, "there", 0, 5000, "AUTH", "pw")
    assert "BUSYKEY" in str(err) and "Target instance replied with error" in str(err)
    assert r.get(b"there") == b"2"
    dead = RealRedis(tmp_path / "gone") if (tmp_path / "gone").mkdir() is None else None
    dead_port = dead.port
    dead.stop()
    err = raw_reply(r, "MIGRATE", "127.0.0.1", dead_port, "there", 0, 500)
    assert "IOERR" in str(err)
    assert r.get(b"there") == b"2"
    with pytest.raises(redis.ResponseError, match="empty string"):
        r.execute_command("MIGRATE", "127.0.0.1", port, "x", 0, 100, "KEYS", "a")
