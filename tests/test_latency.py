"""The latency monitor against redis-server 7.0: LATENCY LATEST / HISTORY / RESET /
GRAPH / DOCTOR, fed by commands slower than latency-monitor-threshold."""

import time

import pytest

from conftest import raw_reply, same


@pytest.fixture
def monitor(r, real):
    for c in (r, real):
        c.execute_command("LATENCY", "RESET")
    yield
    for c in (r, real):
        c.config_set("latency-monitor-threshold", "0")
        c.execute_command("LATENCY", "RESET")


def test_disabled_and_empty_like_redis(r, real, monitor):
    for args in [("LATEST",), ("HISTORY", "command"), ("GRAPH", "command"), ("RESET",),
                 ("RESET", "a", "b"), ("DOCTOR",), ("NOSUCH",), ("HISTORY",),
                 ("GRAPH", "x\x00y")]:
        ours, theirs = same(r, real, "LATENCY", *args)
        assert ours == theirs, args
    for c in (r, real):
        c.config_set("latency-monitor-threshold", "1")
    ours, theirs = same(r, real, "LATENCY", "DOCTOR")
    assert ours == theirs and b"no latency spike" in ours


def _sleep_both(r, real, seconds):
    for c in (r, real):
        raw_reply(c, "DEBUG", "SLEEP", str(seconds))


def test_slow_commands_are_sampled(r, real, monitor):
    for c in (r, real):
        c.config_set("latency-monitor-threshold", "20")
    _sleep_both(r, real, 0.01)                     # under the threshold: nothing
    assert raw_reply(r, "LATENCY", "LATEST") == raw_reply(real, "LATENCY", "LATEST") == []
    while time.time() % 1 > 0.5:                   # both samples in one second
        time.sleep(0.05)
    _sleep_both(r, real, 0.05)
    _sleep_both(r, real, 0.03)                     # same second: only the worst is kept
    ours, theirs = (raw_reply(c, "LATENCY", "LATEST") for c in (r, real))
    assert len(ours) == len(theirs) == 1
    (name, when, latest, worst), = ours
    assert name == theirs[0][0] == b"command"
    assert abs(when - theirs[0][1]) <= 1 and abs(when - time.time()) <= 2
    assert 50 <= worst <= 60 and latest >= 50
    history = raw_reply(r, "LATENCY", "HISTORY", "command")
    assert len(history) == len(raw_reply(real, "LATENCY", "HISTORY", "command"))
    assert history[-1][1] == latest

    text = raw_reply(r, "LATENCY", "GRAPH", "command").decode()
    lines = text.split("\n")
    assert lines[0].startswith(f"command - high {latest} ms, low") and "all time high" in lines[0]
    assert lines[1] == "-" * 80
    theirs_lines = raw_reply(real, "LATENCY", "GRAPH", "command").decode().split("\n")
    assert [len(x) for x in lines[1:]] == [len(x) for x in theirs_lines[1:]]

    doctor = raw_reply(r, "LATENCY", "DOCTOR").decode()
    assert doctor.startswith("Dave, I have observed latency spikes")
    assert f"1. command: {len(history)} latency spikes" in doctor
    assert "CONFIG SET slowlog-log-slower-than 20000" not in doctor     # 10 ms < 20 ms

    ours, theirs = same(r, real, "LATENCY", "RESET", "command", "nosuch")
    assert ours == theirs == 1
    assert raw_reply(r, "LATENCY", "LATEST") == []


def test_slowlog_still_follows_its_own_threshold(r, monitor):
    r.config_set("latency-monitor-threshold", "1")
    r.config_set("slowlog-log-slower-than", "100000")
    try:
        r.slowlog_reset()
        raw_reply(r, "DEBUG", "SLEEP", "0.01")
        assert r.slowlog_len() == 0                    # 10 ms: latency event only
        # by name: at a 1 ms threshold an expire cycle over earlier tests' keys may be
        # an event too
        assert b"command" in [event[0] for event in raw_reply(r, "LATENCY", "LATEST")]
        r.config_set("slowlog-log-slower-than", "0")
        r.get("k")
        assert r.slowlog_len() >= 1
    finally:
        r.config_set("slowlog-log-slower-than", "10000")
        r.slowlog_reset()


@pytest.fixture
def fresh_stats(r, real):
    for c in (r, real):
        c.config_resetstat()
    yield
    for c in (r, real):
        c.config_set("latency-tracking", "yes")


def test_histogram_matches_redis_for_the_same_durations(r, real, fresh_stats):
    for _ in range(3):
        # 2.5 ms: HdrHistogram's (2113, 4227] us bucket, with room for a late wake-up
        _sleep_both(r, real, 0.0025)
    ours, theirs = same(r, real, "LATENCY", "HISTOGRAM", "debug")
    assert ours == theirs
    hist = raw_reply(r, "LATENCY", "HISTOGRAM", "debug", "nosuch", "config")
    assert list(hist) == [b"debug", b"config|resetstat"]
    assert hist[b"debug"] == {b"calls": 3, b"histogram_usec": {4227: 3}}
    assert same(r, real, "LATENCY", "HISTOGRAM", "nosuch") == ({}, {})
    line = r.info("latencystats")["latency_percentiles_usec_debug"]
    assert set(line) == {"p50", "p99", "p99.9"} and 2500 <= line["p50"] <= 4227


def test_latency_tracking_off(r, real, fresh_stats):
    for c in (r, real):
        c.config_set("latency-tracking", "no")
        c.config_resetstat()
    r.get("k")
    real.get("k")
    assert same(r, real, "LATENCY", "HISTOGRAM") == ({}, {})
    assert r.info("latencystats") == real.info("latencystats") == {}
    assert "latency_percentiles_usec_get" not in r.info("everything")
