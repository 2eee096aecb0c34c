"""keydb_ft.types.geo against a real redis-server 7.0 (differential) plus pure checks.

The server is started once for the module on a free loopback port and spoken to
over RESP2 with redis-py's raw Connection, so replies arrive as the exact bytes
Redis formats (no client-side float parsing).
"""

from __future__ import annotations

import bisect
import math
import os
import random
import socket
import subprocess
import time

import pytest
import redis
from hypothesis import given, settings, strategies as st

from keydb_ft.types import geo

REDIS_SERVER = "/usr/bin/redis-server"
UNITS = ("m", "km", "ft", "mi")
LAT_LIMIT_BELOW = math.nextafter(geo.LAT_MAX, 0.0)  # largest lat below the limit


# ------------------------------------------------------------------ server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory):
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server 7.0 is not installed")
    port = _free_port()
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_ping(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_ping(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis(host="127.0.0.1", port=port, protocol=2).ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Raw:
    """Raw RESP2 replies (bytes, ints, lists); error replies come back as exceptions."""

    def __init__(self, port: int):
        self.conn = redis.Connection(host="127.0.0.1", port=port, protocol=2)

    def call(self, *args):
        reply = self.many([args])[0]
        if isinstance(reply, redis.ResponseError):
            raise reply
        return reply

    def many(self, commands):
        self.conn.send_packed_command(self.conn.pack_commands(commands))
        replies = []
        for _ in commands:
            try:
                replies.append(self.conn.read_response())
            except redis.ResponseError as err:
                replies.append(err)
        return replies


@pytest.fixture(scope="module")
def raw(redis_port):
    client = Raw(redis_port)
    assert client.call("INFO", "server").split(b"redis_version:")[1].startswith(b"7.0")
    yield client
    client.conn.disconnect()


def num(x: float) -> str:
    """A double as text strtod reads back exactly."""
    return repr(float(x))


def error_text(err: redis.ResponseError) -> str:
    return "ERR " + str(err)  # redis-py strips the "ERR " prefix


# ---------------------------------------------------- points: score/pos/hash

EDGE_LONS = [-180.0, -179.99999999999997, -179.9, -90.0, -1e-300, -0.0, 0.0, 5e-324,
             1e-7, 45.0, 90.0, 179.9, 179.99999999999997, 180.0]
EDGE_LATS = [geo.LAT_MIN, -LAT_LIMIT_BELOW, -85.0, -80.00001, -66.00001, -45.0,
             -1e-9, 0.0, 1e-9, 45.0, 66.00001, 80.00001, 85.0, LAT_LIMIT_BELOW,
             geo.LAT_MAX]


def _grid_edges(rng: random.Random, n: int) -> list[tuple[float, float]]:
    """Points exactly on (or one ulp around) 26-step cell borders."""
    out = []
    for _ in range(n):
        i, j = rng.randrange(1 << 26), rng.randrange(1 << 26)
        lon = -180.0 + i * 360.0 / (1 << 26)
        lat = geo.LAT_MIN + j * (geo.LAT_MAX - geo.LAT_MIN) / (1 << 26)
        for dlon, dlat in ((0, 0), (1, 0), (0, -1), (-1, 1)):
            out.append((min(max(lon + dlon * math.ulp(lon), -180.0), 180.0),
                        min(max(lat + dlat * math.ulp(lat), geo.LAT_MIN), geo.LAT_MAX)))
    return out


def _random_points(rng: random.Random, n: int) -> list[tuple[float, float]]:
    return [(rng.uniform(-180, 180), rng.uniform(geo.LAT_MIN, geo.LAT_MAX))
            for _ in range(n)]


def check_points(raw: Raw, points) -> None:
    """GEOADD the points; ZSCORE, GEOPOS and GEOHASH must equal ours."""
    raw.call("DEL", "pts")
    members = [f"p{i}" for i in range(len(points))]
    for start in range(0, len(points), 500):
        args = []
        for (lon, lat), member in zip(points[start:start + 500], members[start:start + 500]):
            args += [num(lon), num(lat), member]
        raw.call("GEOADD", "pts", *args)
    scores = raw.many([("ZSCORE", "pts", m) for m in members])
    positions = raw.call("GEOPOS", "pts", *members)
    hashes = raw.call("GEOHASH", "pts", *members)
    for (lon, lat), score, pos, ghash in zip(points, scores, positions, hashes):
        ours = geo.encode_score(lon, lat)
        assert float(score) == ours, (lon, lat)
        assert pos == [geo.format_coordinate(x).encode() for x in geo.decode_score(ours)]
        assert ghash == geo.geohash_string(ours).encode(), (lon, lat)


def test_edge_points_score_position_hash(raw):
    check_points(raw, [(lon, lat) for lon in EDGE_LONS for lat in EDGE_LATS])


def test_random_and_cell_border_points(raw):
    rng = random.Random(7001)
    check_points(raw, _random_points(rng, 3000) + _grid_edges(rng, 500))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(geo.LAT_MIN, geo.LAT_MAX)),
                min_size=1, max_size=40))
def test_hypothesis_points(raw, points):
    check_points(raw, points)


def test_decoded_position_is_cell_centre():
    score = geo.encode_score(13.361389, 38.115556)
    lon, lat = geo.decode_score(score)
    assert abs(lon - 13.361389) <= 360.0 / (1 << 27)
    assert abs(lat - 38.115556) <= (geo.LAT_MAX - geo.LAT_MIN) / (1 << 27)
    assert geo.encode_score(lon, lat) == score  # the centre lies in its own cell


WEIRD_SCORES = [0.0, 1.5, 123.999, -1.0, -1.5, -1e30, 1e30, math.inf, -math.inf,
                2.0 ** 52, 2.0 ** 53, 2.0 ** 53 + 2, 2.0 ** 63 + 2048, 2.0 ** 64 - 2048,
                2.0 ** 64, 3.0 * 2 ** 62, -(2.0 ** 63), -(2.0 ** 63) - 4096]


def test_any_zset_score_decodes_like_redis(raw):
    """Scores not written by GEOADD (ZADD) decode as redis-server's C casts do."""
    rng = random.Random(99)
    scores = WEIRD_SCORES + [float(rng.getrandbits(64)) for _ in range(30)] \
        + [-float(rng.getrandbits(62)) for _ in range(10)]
    raw.call("DEL", "weird")
    for i, score in enumerate(scores):
        raw.call("ZADD", "weird", num(score), f"w{i}")
    members = [f"w{i}" for i in range(len(scores))]
    positions = raw.call("GEOPOS", "weird", *members)
    hashes = raw.call("GEOHASH", "weird", *members)
    for score, pos, ghash in zip(scores, positions, hashes):
        assert pos == [geo.format_coordinate(x).encode() for x in geo.decode_score(score)], score
        assert ghash == geo.geohash_string(score).encode(), score
    for i in range(0, len(scores) - 1, 3):
        got = raw.call("GEODIST", "weird", members[i], members[i + 1], "km")
        assert got == geo.format_distance(
            geo.distance(*geo.decode_score(scores[i]), *geo.decode_score(scores[i + 1])) / 1000).encode()


def test_fractional_scores_withhash_truncates(raw):
    raw.call("DEL", "frac")
    raw.call("ZADD", "frac", "1.5", "a", "123.999", "b", "7", "c")
    reply = raw.call("GEOSEARCH", "frac", "FROMLONLAT", "0", "0", "BYRADIUS", "inf", "m",
                     "WITHHASH", "ASC")
    assert sorted(row[1] for row in reply) == [1, 7, 123]
    assert {row[1] for row in reply} == {geo.score_as_hash(s) for s in (1.5, 123.999, 7.0)}


# ------------------------------------------------------- validation, units

INVALID_PAIRS = [("200", "10"), ("-180.0000001", "0"), ("180.00000000000003", "0"),
                 ("0", "85.05112879"), ("0", "-85.0511288"), ("1e300", "10"),
                 ("-inf", "0"), ("inf", "inf"), ("-0", "90"), ("12.5", "-1e-300e1"),
                 ("123456789.123456789", "-90.5")]


@pytest.mark.parametrize("lon,lat", INVALID_PAIRS)
def test_invalid_pair_error_text(raw, lon, lat):
    try:
        expected = geo.lonlat_error(float(lon), float(lat))
    except ValueError:  # not a number at all: Redis's float parser answers
        expected = None
    with pytest.raises(redis.ResponseError) as err:
        raw.call("GEOADD", "bad", lon, lat, "m")
    if expected is not None:
        assert error_text(err.value) == expected
        with pytest.raises(redis.ResponseError) as err2:
            raw.call("GEOSEARCH", "bad", "FROMLONLAT", lon, lat, "BYRADIUS", "1", "m")
        assert error_text(err2.value) == expected
    else:
        assert "not a valid float" in str(err.value)


@settings(max_examples=150, deadline=None)
@given(st.floats(-181, 181), st.floats(-86, 86))
def test_validation_agrees_with_redis(raw, lon, lat):
    message = geo.lonlat_error(lon, lat)
    try:
        raw.call("GEOADD", "valid", num(lon), num(lat), "m")
    except redis.ResponseError as err:
        assert error_text(err) == message
    else:
        assert message is None


def test_limits_are_inclusive():
    for lon in (-180.0, 180.0):
        for lat in (geo.LAT_MIN, geo.LAT_MAX):
            assert geo.lonlat_error(lon, lat) is None
    assert geo.lonlat_error(math.nextafter(180.0, 181.0), 0.0) is not None
    assert geo.lonlat_error(0.0, math.nextafter(geo.LAT_MIN, -90.0)) is not None


def test_units_match_redis(raw):
    raw.call("DEL", "u")
    raw.call("GEOADD", "u", "13.361389", "38.115556", "a", "15.087269", "37.502669", "b")
    metres = geo.distance(*geo.decode_score(float(raw.call("ZSCORE", "u", "a"))),
                          *geo.decode_score(float(raw.call("ZSCORE", "u", "b"))))
    for name in ("m", "M", "km", "Km", "KM", "ft", "FT", "mi", "mI", b"MI"):
        factor = geo.unit_to_meters(name)
        assert factor == geo.UNIT_TO_METERS[name.lower() if isinstance(name, bytes)
                                            else name.lower().encode()]
        assert raw.call("GEODIST", "u", "a", "b", name) == \
            geo.format_distance(metres / factor).encode()
    for name in ("meters", "", "k m", "kms", "\u212am", "mile"):  # \u212a: Kelvin sign
        assert geo.unit_to_meters(name) is None
        with pytest.raises(redis.ResponseError, match="unsupported unit"):
            raw.call("GEODIST", "u", "a", "b", name)


# ------------------------------------------------------ distances, format


def _distance_pairs(rng: random.Random):
    pairs = [((0.0, 0.0), (0.0, 0.0)), ((0.0, 45.0), (180.0, -45.0)),
             ((-180.0, 0.0), (180.0, 0.0)), ((179.9, 10.0), (-179.9, 10.0)),
             ((10.0, geo.LAT_MAX), (10.0, geo.LAT_MIN)), ((33.3, 12.0), (33.3, 12.5)),
             ((-73.98, 40.75), (2.35, 48.85)), ((0.0, geo.LAT_MAX), (180.0, geo.LAT_MAX))]
    for _ in range(300):
        a = (rng.uniform(-180, 180), rng.uniform(geo.LAT_MIN, geo.LAT_MAX))
        b = rng.choice([(rng.uniform(-180, 180), rng.uniform(geo.LAT_MIN, geo.LAT_MAX)),
                        (a[0] + rng.uniform(-0.001, 0.001), a[1]),
                        (a[0], a[1] + rng.uniform(-1, 1)),
                        ((a[0] % 360) - 180, -a[1])])  # near-antipodal
        b = (min(max(b[0], -180.0), 180.0), min(max(b[1], geo.LAT_MIN), geo.LAT_MAX))
        pairs.append((a, b))
    return pairs


def test_geodist_every_unit(raw):
    pairs = _distance_pairs(random.Random(4242))
    raw.call("DEL", "d")
    for i, (a, b) in enumerate(pairs):
        raw.call("GEOADD", "d", num(a[0]), num(a[1]), f"a{i}", num(b[0]), num(b[1]), f"b{i}")
    commands, expected = [], []
    for i, (a, b) in enumerate(pairs):
        metres = geo.distance(*geo.decode_score(geo.encode_score(*a)),
                              *geo.decode_score(geo.encode_score(*b)))
        commands.append(("GEODIST", "d", f"a{i}", f"b{i}"))
        expected.append(geo.format_distance(metres).encode())
        for unit in UNITS:
            commands.append(("GEODIST", "d", f"a{i}", f"b{i}", unit))
            expected.append(geo.format_distance(metres / geo.unit_to_meters(unit)).encode())
    assert raw.many(commands) == expected


def test_same_longitude_uses_the_meridian_arc():
    """Redis short-cuts equal longitudes to R * |dlat| (radians), bit for bit."""
    for lat1, lat2 in ((12.0, 12.5), (-85.0, 85.0), (0.1, -0.3)):
        expected = geo.EARTH_RADIUS_M * abs(lat2 * geo.DEG_TO_RAD - lat1 * geo.DEG_TO_RAD)
        assert geo.distance(33.3, lat1, 33.3, lat2) == expected


def test_distance_is_symmetric_haversine():
    assert geo.distance(0, 0, 0, 0) == 0.0
    equator_degree = geo.distance(0, 0, 1, 0)
    assert equator_degree == pytest.approx(geo.EARTH_RADIUS_M * math.pi / 180, rel=1e-12)
    assert geo.distance(10, 20, 30, 40) == pytest.approx(geo.distance(30, 40, 10, 20), rel=1e-15)


@pytest.mark.parametrize("value,text", [
    (0.0, "0.0000"), (-0.0, "0.0000"), (1.5, "1.5000"), (0.00004, "0.0000"),
    (0.03125, "0.0312"), (0.09375, "0.0938"),  # exact halves round to even (llrint)
    (12345.678949, "12345.6789"), (92233720368.5, "92233720368.5000"),
    (1e15, "-922337203685477.5808"), (math.nan, "-922337203685477.5808"),  # llrint overflow
])
def test_format_distance(value, text):
    assert geo.format_distance(value) == text


@pytest.mark.parametrize("value,text", [
    (0.0, "0"), (-0.0, "0"), (-1e-18, "0"), (180.0, "180"), (0.5, "0.5"),
    (-179.99999731779098511, "-179.99999731779098511"), (math.inf, "inf"), (-math.inf, "-inf"),
])
def test_format_coordinate(value, text):
    assert geo.format_coordinate(value) == text


# -------------------------------------------------------------- searching


class GeoSetCopy:
    """A Python copy of a geo set: (score, member) pairs in zset order."""

    def __init__(self, members_scores):
        self.items = sorted((score, member) for member, score in members_scores)
        self.scores = [score for score, _ in self.items]

    def scan(self, low, high):
        i = bisect.bisect_left(self.scores, low)
        while i < len(self.items) and self.items[i][0] < high:
            yield self.items[i][1], self.items[i][0]
            i += 1


def load_set(raw: Raw, key: str, points: list[tuple[bytes, float, float]]) -> GeoSetCopy:
    raw.call("DEL", key)
    for start in range(0, len(points), 400):
        args = []
        for member, lon, lat in points[start:start + 400]:
            args += [num(lon), num(lat), member]
        raw.call("GEOADD", key, *args)
    copy = GeoSetCopy([(m, geo.encode_score(lon, lat)) for m, lon, lat in points])
    flat = raw.call("ZRANGE", key, 0, -1, "WITHSCORES")
    assert [(float(flat[i + 1]), flat[i]) for i in range(0, len(flat), 2)] == copy.items
    return copy


def _wrap_lon(lon: float) -> float:
    return ((lon + 180.0) % 360.0) - 180.0


def scatter(rng: random.Random, centre, spread_km: float, n: int, dups: int = 0):
    """n members around centre (plus `dups` extra members on existing spots)."""
    spread_deg = spread_km / 111.0
    points = []
    for i in range(n):
        lat = min(max(centre[1] + rng.gauss(0, spread_deg), geo.LAT_MIN), geo.LAT_MAX)
        squeeze = max(math.cos(math.radians(lat)), 0.05)
        lon = _wrap_lon(centre[0] + rng.gauss(0, spread_deg) / squeeze)
        points.append((f"{rng.randrange(100)}:{i}".encode(), lon, lat))
    for j in range(dups):
        _, lon, lat = rng.choice(points)
        points.append((f"d{rng.randrange(100)}:{j}".encode(), lon, lat))
    return points


def ours_reply(hits, with_all: bool = True):
    if not with_all:
        return [hit.member for hit in hits]
    return [[hit.member, geo.format_distance(hit.distance).encode(), geo.score_as_hash(hit.score),
             [geo.format_coordinate(hit.lon).encode(), geo.format_coordinate(hit.lat).encode()]]
            for hit in hits]


def run_query(raw, key, copy, centre, by, order=None, count=0, any_=False, member=None,
              with_all=True):
    """GEOSEARCH on Redis and on the copy; returns (redis reply, our reply)."""
    args = ["GEOSEARCH", key]
    if member is not None:
        args += ["FROMMEMBER", member]
        centre = geo.decode_score(float(raw.call("ZSCORE", key, member)))
    else:
        args += ["FROMLONLAT", num(centre[0]), num(centre[1])]
    unit = by[-1]
    if len(by) == 2:
        args += ["BYRADIUS", num(by[0]), unit]
        shape = geo.Shape.circle(*centre, by[0], geo.unit_to_meters(unit))
    else:
        args += ["BYBOX", num(by[0]), num(by[1]), unit]
        shape = geo.Shape.box(*centre, by[0], by[1], geo.unit_to_meters(unit))
    if with_all:
        args += ["WITHCOORD", "WITHDIST", "WITHHASH"]
    if order:
        args.append(order.upper())
    if count:
        args += ["COUNT", count] + (["ANY"] if any_ else [])
    ours = geo.search(shape, copy.scan, order, count, any_)
    return raw.call(*args), ours_reply(ours, with_all)


CENTRES = [(0.0, 0.0), (179.95, 10.0), (-179.95, -30.0), (12.5, 84.9), (-60.0, -84.9),
           (100.0, 70.0), (-45.0, -67.0), (7.0, 81.0), (-122.4, 37.8), (180.0, 0.0)]


def _random_shape(rng: random.Random, spread_km: float):
    unit = rng.choice(UNITS)
    factor = geo.unit_to_meters(unit)
    size_m = spread_km * 1000 * rng.choice([0.02, 0.2, 0.7, 1.5, 3.0]) * (0.2 + rng.random())
    if rng.random() < 0.5:
        return (round(size_m / factor, rng.randrange(0, 6)), unit)
    return (round(2 * size_m / factor * (0.3 + rng.random()), 3),
            round(2 * size_m / factor * (0.3 + rng.random()), 3), unit)


def _random_options(rng: random.Random, n: int):
    order = rng.choice([None, geo.ASC, geo.DESC])
    count = rng.choice([0, 0, 1, 3, rng.randrange(1, n + 5)])
    any_ = bool(count) and rng.random() < 0.4
    return order, count, any_


def test_random_searches_match_redis(raw):
    rng = random.Random(2024)
    non_empty = queries = 0
    for round_no in range(40):
        centre = rng.choice(CENTRES + [(rng.uniform(-180, 180), rng.uniform(-85, 85))])
        spread_km = rng.choice([0.05, 2.0, 60.0, 600.0, 3000.0])
        points = scatter(rng, centre, spread_km, rng.choice([5, 40, 150, 400]), dups=5)
        copy = load_set(raw, "s", points)
        for _ in range(12):
            order, count, any_ = _random_options(rng, len(points))
            member = rng.choice(points)[0] if rng.random() < 0.3 else None
            query_centre = (_wrap_lon(centre[0] + rng.gauss(0, spread_km / 222)),
                            min(max(centre[1] + rng.gauss(0, spread_km / 222), -85.0), 85.0))
            got, ours = run_query(raw, "s", copy, query_centre, _random_shape(rng, spread_km),
                                  order, count, any_, member)
            assert got == ours, (round_no, query_centre, order, count, any_)
            queries += 1
            non_empty += bool(got)
    assert non_empty > queries // 2  # the comparison saw real results, not only []


def test_world_wide_searches_and_huge_radii(raw):
    """Step 1 / 2 searches, neighbour wrap-around and de-duplication of cells."""
    rng = random.Random(77)
    points = [(f"w{i}".encode(), lon, lat) for i, (lon, lat) in enumerate(_random_points(rng, 600))]
    copy = load_set(raw, "world", points)
    for radius_km in (2500, 5000, 9000, 15000, 20000, 25000):
        for centre in CENTRES[:6]:
            for order in (None, geo.ASC, geo.DESC):
                got, ours = run_query(raw, "world", copy, centre, (radius_km, "km"), order)
                assert got == ours
                assert got  # every such radius catches something
    got, ours = run_query(raw, "world", copy, (0.0, 0.0), (math.inf, "m"), geo.ASC)
    assert got == ours
    got, ours = run_query(raw, "world", copy, (10.0, 20.0), (40000, 40000, "km"), geo.DESC, 50)
    assert got == ours and len(got) == 50


def test_ties_keep_redis_order(raw):
    """Equal distances: stable full sort, and pqsort's own order under COUNT."""
    rng = random.Random(5)
    for n_members, spots in ((5, 2), (6, 3), (9, 2), (30, 4), (41, 3), (90, 5), (300, 7)):
        base = [(rng.uniform(-0.01, 0.01), rng.uniform(-0.01, 0.01)) for _ in range(spots)]
        points = [(f"{rng.randrange(1000)}-{i}".encode(), *base[i % spots])
                  for i in range(n_members)]
        copy = load_set(raw, "ties", points)
        for order in (geo.ASC, geo.DESC):
            for count in {0, 1, 2, n_members // 3, n_members - 1, n_members}:
                got, ours = run_query(raw, "ties", copy, (0.0, 0.0), (5, "km"), order, count)
                assert got == ours, (n_members, order, count)
                assert len(got) == (count or n_members)


def test_radius_zero_and_any_without_order(raw):
    points = [(b"a", 1.0, 1.0), (b"b", 1.0, 1.0), (b"c", 1.00001, 1.0), (b"d", 2.0, 2.0)]
    copy = load_set(raw, "z", points)
    got, ours = run_query(raw, "z", copy, None, (0, "m"), member=b"a")
    assert got == ours and {row[0] for row in got} == {b"a", b"b"}
    for count in (1, 2, 3):
        got, ours = run_query(raw, "z", copy, (1.0, 1.0), (500, "km"), None, count, True,
                              with_all=False)
        assert got == ours and len(got) == count


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_hypothesis_searches(raw, data):
    seed = data.draw(st.integers(0, 2 ** 32))
    rng = random.Random(seed)
    centre = (data.draw(st.floats(-180, 180)), data.draw(st.floats(-85, 85)))
    spread_km = data.draw(st.sampled_from([0.5, 30.0, 800.0]))
    points = scatter(rng, centre, spread_km, data.draw(st.integers(1, 60)), dups=2)
    copy = load_set(raw, "h", points)
    order, count, any_ = _random_options(rng, len(points))
    shape = _random_shape(rng, spread_km)
    got, ours = run_query(raw, "h", copy, centre, shape, order, count, any_)
    assert got == ours


# -------------------------------------------------- ranges and the filter


@settings(max_examples=200, deadline=None)
@given(st.floats(-180, 180), st.floats(geo.LAT_MIN, geo.LAT_MAX),
       st.floats(0, 3e7), st.booleans())
def test_search_ranges_shape(lon, lat, size_m, as_box):
    shape = geo.Shape.box(lon, lat, size_m, size_m / 2) if as_box else geo.Shape.circle(lon, lat, size_m)
    step, cells = geo.search_cells(shape)
    ranges = geo.search_ranges(shape)
    assert 1 <= step <= geo.STEP_MAX and len(cells) == 9 and cells[0] is not None
    assert 1 <= len(ranges) <= 9
    width = float(1 << (52 - 2 * step))
    assert all(high - low == width and low % width == 0 for low, high in ranges)
    if lon < 180.0:  # 180 sets an overflow bit, as in Redis
        low, high = ranges[0]
        assert low <= geo.encode_score(lon, lat) < high


def test_radius_zero_scans_only_the_members_cell():
    score = geo.encode_score(2.35, 48.85)
    assert geo.search_ranges(geo.Shape.circle(2.35, 48.85, 0)) == [(score, score + 1)]


def test_within_circle_and_box():
    centre = (10.0, 45.0)
    score = geo.encode_score(10.01, 45.0)
    lon, lat = geo.decode_score(score)
    dist = geo.distance(*centre, lon, lat)
    assert geo.within(geo.Shape.circle(*centre, dist), score) == (dist, lon, lat)
    assert geo.within(geo.Shape.circle(*centre, math.nextafter(dist, 0)), score) is None
    assert geo.within(geo.Shape.box(*centre, 2 * dist + 1, 10), score)[0] == dist
    assert geo.within(geo.Shape.box(*centre, 2 * dist - 1, 10), score) is None
    assert geo.within(geo.Shape.box(*centre, 1.5, 1.0, 1000.0), score) is None  # 786 m east
    assert geo.within(geo.Shape.box(*centre, 1.6, 0.001, 1000.0), score)[0] == dist
    assert geo.within(geo.Shape.box(*centre, 1.6, 0.0002, 1000.0), score) is None  # 0.11 m north


def test_order_hits_partial_sort_sorts_the_kept_prefix():
    rng = random.Random(3)
    for n in (3, 7, 8, 40, 41, 200):
        hits = [geo.GeoHit(b"%d" % i, 0.0, float(rng.randrange(10)), 0.0, 0.0) for i in range(n)]
        for keep in range(1, n + 1, max(1, n // 7)):
            for order in (geo.ASC, geo.DESC):
                got = geo.order_hits(hits, order, keep)
                full = sorted(hits, key=lambda h: h.distance, reverse=order == geo.DESC)
                assert [h.distance for h in got] == [h.distance for h in full[:keep]]
                assert len({h.member for h in got}) == keep
