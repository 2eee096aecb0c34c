"""GEO commands against redis-server 7.0, byte for byte in RESP2 and RESP3: GEOADD,
GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS[BYMEMBER][_RO], every
option and argument error, and random points and queries (hypothesis)."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import raw_reply
from zset_wire import differ_fixture

GEO_COMMANDS = ("geoadd geodist geohash geopos geosearch geosearchstore georadius georadius_ro "
                "georadiusbymember georadiusbymember_ro").split()
SICILY = ("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
          "Catania", "13.583333", "37.316667", "Agrigento", "14.2", "37.6", "Centre",
          "15.087269", "37.502669", "Twin")


def _cloud(seed=7, count=300):
    rng = random.Random(seed)
    args = ["GEOADD", "cloud"]
    for i in range(count):
        args += [f"{rng.uniform(12.0, 16.0):.6f}", f"{rng.uniform(36.0, 39.0):.6f}", f"p{i}"]
    return tuple(args)


differ = differ_fixture()


@pytest.fixture
def gd(differ):
    differ.reset(SICILY, _cloud(), ("SET", "str", "x"), ("ZADD", "plain", "1", "one", "5e15", "two"))
    return differ


def test_command_info_matches_redis(r, real):
    for name in GEO_COMMANDS:
        assert raw_reply(r, "COMMAND", "INFO", name) == raw_reply(real, "COMMAND", "INFO", name), name


@pytest.mark.parametrize("args", [
    ("GEORADIUS", "src", "1", "2", "3", "km", "STORE", "dst"),
    ("GEORADIUS", "src", "1", "2", "3", "km", "STOREDIST", "d2", "COUNT", "3"),
    ("GEORADIUSBYMEMBER", "src", "m", "3", "km", "STORE", "dst"),
    ("GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
], ids=lambda a: " ".join(a))
def test_getkeys_matches_redis(r, real, args):
    assert raw_reply(r, "COMMAND", "GETKEYS", *args) == raw_reply(real, "COMMAND", "GETKEYS", *args)


ADDS = [
    ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),
    ("GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo", "1", "2", "x"),
    ("GEOADD", "g", "NX", "0", "0", "Palermo", "1", "2", "y"),
    ("GEOADD", "g", "XX", "CH", "0", "0", "Palermo", "1", "2", "y"),
    ("GEOADD", "g", "XX", "NX", "0", "0", "Palermo"),
    ("GEOADD", "g", "GT", "0", "0", "Palermo"),
    ("GEOADD", "g", "1", "2"), ("GEOADD", "g", "CH", "NX"), ("GEOADD", "g", "1", "2", "a", "3"),
    ("GEOADD", "g", "200", "10", "bad"), ("GEOADD", "g", "10", "85.06", "bad"),
    ("GEOADD", "g", "-180", "-85.05112878", "corner"), ("GEOADD", "g", "180", "85.05112878", "c2"),
    ("GEOADD", "g", "x", "1", "bad"), ("GEOADD", "g", "1", "nan", "bad"),
    ("GEOADD", "g", "1", "2", "ok", "1000", "0", "bad"), ("GEOADD", "str", "1", "2", "m"),
    ("GEOADD", "new", "XX", "1", "2", "m"), ("GEOADD", "g", "0x10", "1e1", "hex"),
]


@pytest.mark.parametrize("args", ADDS, ids=lambda a: " ".join(a))
def test_geoadd(gd, args):
    gd.write([("GEOADD", "g", "13.361389", "38.115556", "Palermo"), ("SET", "str", "x")], *args)
    for key in ("g", "new"):
        gd.check("ZRANGE", key, "0", "-1", "WITHSCORES")
        gd.check("GEOPOS", key, "Palermo", "x", "y", "corner", "c2", "ok", "hex")


POINT_READS = [
    ("GEOPOS", "Sicily", "Palermo", "Catania", "nope"), ("GEOPOS", "missing", "a", "b"),
    ("GEOPOS", "Sicily"), ("GEOPOS", "str", "a"), ("GEOPOS", "plain", "one", "two"),
    ("GEOHASH", "Sicily", "Palermo", "Catania", "nope"), ("GEOHASH", "missing", "a"),
    ("GEOHASH", "Sicily"), ("GEOHASH", "plain", "one", "two"), ("GEOHASH", "str", "a"),
    ("GEODIST", "Sicily", "Palermo", "Catania"), ("GEODIST", "Sicily", "Palermo", "Catania", "km"),
    ("GEODIST", "Sicily", "Palermo", "Catania", "MI"), ("GEODIST", "Sicily", "Palermo", "Catania", "ft"),
    ("GEODIST", "Sicily", "Catania", "Twin"), ("GEODIST", "Sicily", "Palermo", "nope"),
    ("GEODIST", "Sicily", "Palermo", "Catania", "parsec"), ("GEODIST", "missing", "a", "b", "parsec"),
    ("GEODIST", "missing", "a", "b"), ("GEODIST", "Sicily", "a", "b", "km", "x"),
    ("GEODIST", "str", "a", "b"), ("GEODIST", "plain", "one", "two", "km"),
]


@pytest.mark.parametrize("args", POINT_READS, ids=lambda a: " ".join(a))
def test_point_reads(gd, args):
    gd.check(*args)


SEARCHES = [
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "DESC",
     "WITHCOORD", "WITHDIST", "WITHHASH"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "ASC", "WITHDIST"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "COUNT", "2"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "2", "ANY"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "COUNT", "3", "DESC"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Catania", "BYRADIUS", "0", "m", "WITHDIST"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "cloud", "FROMLONLAT", "14", "37.5", "BYRADIUS", "50", "km", "WITHDIST", "ASC"),
    ("GEOSEARCH", "cloud", "FROMLONLAT", "14", "37.5", "BYBOX", "80", "40", "mi", "WITHCOORD", "DESC"),
    ("GEOSEARCH", "cloud", "FROMMEMBER", "p3", "BYRADIUS", "30000", "ft", "COUNT", "5", "WITHHASH"),
    ("GEOSEARCH", "cloud", "FROMMEMBER", "p3", "BYRADIUS", "100", "km", "COUNT", "7", "ANY", "DESC"),
    ("GEOSEARCH", "cloud", "FROMLONLAT", "13", "38", "BYRADIUS", "1000", "km"),
    ("GEOSEARCH", "plain", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "WITHCOORD"),
    ("GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "missing", "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"),
    ("GEOSEARCH", "Sicily", "BYRADIUS", "1", "km", "ASC"),
    ("geosearch", "Sicily", "BYRADIUS", "1", "km", "ASC", "ANY"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "ANY"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "0"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT", "x"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "COUNT"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "yd"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "x", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "x", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "97", "BYBOX", "1", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "1", "km", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STORE", "x"),
    ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km", "STOREDIST"),
    ("GEOSEARCH", "str", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "str", "BOGUS"),
    ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "ASC"),
    ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "x"),
    ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "FROMMEMBER", "x"),
    ("GEORADIUS_RO", "Sicily", "190", "37", "200", "km"),
    ("GEORADIUS_RO", "Sicily", "15", "37", "-2", "km"),
    ("GEORADIUS_RO", "missing", "15", "37", "200", "km", "COUNT", "1"),
    ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "2", "DESC", "WITHHASH"),
    ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "x", "WITHDIST"),
    ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "300", "km", "WITHDIST", "ASC"),
    ("GEORADIUSBYMEMBER_RO", "Sicily", "nope", "300", "km"),
    ("GEORADIUSBYMEMBER_RO", "missing", "nope", "x", "km"),
    ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "x", "km"),
    ("GEORADIUSBYMEMBER", "cloud", "p10", "40", "km", "COUNT", "4", "WITHCOORD"),
]


@pytest.mark.parametrize("args", SEARCHES, ids=lambda a: " ".join(a))
def test_searches(gd, args):
    gd.check(*args)


SEARCH_STORES = [
    ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
     "STOREDIST", "DESC", "COUNT", "2"),
    ("GEOSEARCHSTORE", "dst", "cloud", "FROMMEMBER", "p1", "BYBOX", "100", "100", "km", "STOREDIST"),
    ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", "dst", "missing", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", "dst", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHDIST"),
    ("GEOSEARCHSTORE", "dst", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEOSEARCHSTORE", "str", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEOSEARCHSTORE", "Sicily", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km"),
    ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"),
    ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dst", "COUNT", "1"),
    ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "a", "STOREDIST", "dst"),
    ("GEORADIUS", "Sicily", "15", "37", "1", "km", "STORE", "dst"),
    ("GEORADIUS", "missing", "15", "37", "1", "km", "STORE", "dst"),
    ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"),
    ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STOREDIST", "dst"),
    ("GEORADIUSBYMEMBER", "missing", "Palermo", "200", "km", "STORE", "dst"),
    ("GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", "STORE", "dst", "WITHCOORD"),
]


@pytest.mark.parametrize("args", SEARCH_STORES, ids=lambda a: " ".join(a))
def test_search_stores(gd, args):
    setup = [SICILY, _cloud(), ("SET", "str", "x"), ("ZADD", "dst", "1", "old")]
    gd.write(setup, *args)
    for key in ("dst", "a", "Sicily"):
        gd.check("TYPE", key)
        gd.check("ZRANGE", key, "0", "-1", "WITHSCORES")
        gd.check("OBJECT", "ENCODING", key)


def test_geoadd_propagates_as_zadd_and_notifies(gd):
    gd.write([], "GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo")
    gd.check("ZSCORE", "g", "Palermo")
    gd.check("GEOHASH", "g", "Palermo")
    gd.check("OBJECT", "ENCODING", "g")


_LON = st.floats(-180, 180, allow_nan=False).map(lambda v: f"{v:.6f}")
_LAT = st.floats(-85.05, 85.05, allow_nan=False).map(lambda v: f"{v:.6f}")
_UNIT = st.sampled_from(["m", "km", "mi", "ft"])
_SIZE = st.sampled_from(["0", "1", "10", "250", "1000", "5000", "20000"])


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(points=st.lists(st.tuples(_LON, _LAT), min_size=1, max_size=40),
       center=st.tuples(_LON, _LAT), size=_SIZE, unit=_UNIT, box=st.booleans(),
       order=st.sampled_from([[], ["ASC"], ["DESC"]]),
       count=st.sampled_from([[], ["COUNT", "1"], ["COUNT", "3"], ["COUNT", "2", "ANY"]]))
def test_random_points_and_queries(differ, points, center, size, unit, box, order, count):
    differ.reset(("GEOADD", "rand", *[x for i, (lo, la) in enumerate(points)
                                      for x in (lo, la, f"m{i}")]))
    shape = ["BYBOX", size, size, unit] if box else ["BYRADIUS", size, unit]
    differ.check("GEOSEARCH", "rand", "FROMLONLAT", *center, *shape, *order, *count,
                 "WITHDIST", "WITHCOORD", "WITHHASH")
    differ.check("GEOSEARCH", "rand", "FROMMEMBER", "m0", *shape, *order, *count)
    differ.check("GEODIST", "rand", "m0", f"m{len(points) - 1}", unit)
    differ.check("GEOPOS", "rand", "m0", f"m{len(points) - 1}")
    differ.check("GEOHASH", "rand", "m0")
    differ.run("GEOSEARCHSTORE", "out", "rand", "FROMLONLAT", *center, *shape, *count, "STOREDIST")
    differ.check("ZRANGE", "out", "0", "-1", "WITHSCORES")
