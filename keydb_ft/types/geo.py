"""Geospatial math of Redis 7.0, bit for bit: the pure half of the GEO* commands.

A geo set is a sorted set whose scores are 52-bit interleaved geohashes. This
module turns coordinates into scores and back, measures distances, formats the
numbers the way redis-server prints them, and plans and filters GEOSEARCH /
GEORADIUS scans. It holds no server state: no sockets, locks, RESP or keyspace.

API
---
Validation and units
    ``lonlat_error(lon, lat) -> str | None``  the error line GEOADD / FROMLONLAT /
        GEORADIUS reply for an out-of-range pair ("ERR invalid longitude,latitude
        pair 200.000000,10.000000"), or None when the pair is valid.
    ``unit_to_meters(name) -> float | None``  m, km, ft, mi (ASCII case-insensitive,
        str or bytes); None for an unknown unit (the caller then replies Redis's
        "ERR unsupported unit provided. please use M, KM, FT, MI").
Scores and positions
    ``encode_score(lon, lat) -> float``  the zset score GEOADD stores.
    ``decode_score(score) -> (lon, lat)``  the cell centre GEOPOS reports; any
        zset score decodes (odd ones like a C cast on x86-64 would).
    ``geohash_string(score) -> str``  GEOHASH's 11 characters.
    ``score_as_hash(score) -> int``  the integer WITHHASH replies.
Distances and formatting
    ``distance(lon1, lat1, lon2, lat2) -> float``  metres, Redis's haversine.
    ``format_distance(value) -> str``  GEODIST / WITHDIST text (4 decimals).
    ``format_coordinate(value) -> str``  GEOPOS / WITHCOORD text.
Searching
    ``Shape.circle(lon, lat, radius, to_meters)`` / ``Shape.box(lon, lat, width,
        height, to_meters)``  the search area, sizes in the caller's unit.
    ``search_ranges(shape) -> [(min, max), ...]``  score intervals min <= s < max
        to scan, in Redis's order (centre cell, N, S, E, W, NE, NW, SE, SW).
    ``search_cells(shape) -> (step, [9 cell hashes or None])`` and
        ``bounding_box(shape)``  the planning steps behind search_ranges.
    ``within(shape, score) -> (metres, lon, lat) | None``  the per-member test
        (circle: distance <= radius; box: Redis's north-south then east-west arcs).
    ``collect(shape, scan, limit=0) -> [GeoHit]``  matches in scan order (metres).
    ``search(shape, scan, order=None, count=0, any_=False) -> [GeoHit]``  the whole
        query; ``scan(min, max)`` yields ``(member, score)`` in zset order
        (score, then member bytes) for min <= score < max. ``order`` is ASC, DESC
        or None; COUNT without ANY implies ASC; ANY stops at ``count`` matches.
        GeoHit.distance is already in the shape's unit.
    ``order_hits(hits, order, count)``  the sorting step alone: glibc's stable
        merge sort for full sorts, Redis's pqsort (tie order included) when COUNT
        cuts the result.

Exactness rests on what redis-server itself runs on: IEEE doubles, the C
library's sin/cos/asin/sqrt (Python's math calls the same libm), no fused
multiply-add, and x86-64 semantics for out-of-range casts and llrint.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Callable, Iterable, NamedTuple
from ..threadstate import peek

LON_MIN = -180.0
LON_MAX = 180.0
LAT_MIN = -85.05112878
LAT_MAX = 85.05112878
STEP_MAX = 26  # 26 steps per axis -> 52 bits
EARTH_RADIUS_M = 6372797.560856
MERCATOR_MAX = 20037726.37
DEG_TO_RAD = math.pi / 180.0

UNIT_TO_METERS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
ASC = "asc"
DESC = "desc"

_U64 = (1 << 64) - 1
_EVEN_BITS = 0x5555555555555555  # latitude bits
_ODD_BITS = 0xAAAAAAAAAAAAAAAA  # longitude bits
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_TWO_63 = 2.0 ** 63


# ---------------------------------------------------------------- validation


def lonlat_error(lon: float, lat: float) -> str | None:
    """Redis's error text for an invalid pair, None if the pair is accepted."""
    if lon < LON_MIN or lon > LON_MAX or lat < LAT_MIN or lat > LAT_MAX:
        return "ERR invalid longitude,latitude pair %f,%f" % (lon, lat)
    return None


def unit_to_meters(name: str | bytes) -> float | None:
    """Metres per unit for m/km/ft/mi (ASCII case-insensitive), else None."""
    if isinstance(name, str):
        name = name.encode("utf-8", "surrogateescape")
    return peek(UNIT_TO_METERS, name.lower())


# ---------------------------------------------------------- C number casts


def _double_to_uint64(value: float) -> int:
    """(uint64_t)value as gcc compiles it for x86-64, out-of-range included."""
    if value < _TWO_63:  # NaN lands in the other branch, as comisd does
        return _double_to_int64(value) & _U64
    return (_double_to_int64(value - _TWO_63) ^ (1 << 63)) & _U64


def _double_to_int64(value: float) -> int:
    """cvttsd2si: truncate, or the 'integer indefinite' 0x8000... if it won't fit."""
    if value != value or not -_TWO_63 <= value < _TWO_63:
        return -(1 << 63)
    return int(value)


def _llrint(value: float) -> int:
    """llrint() in round-to-nearest-even mode on x86-64."""
    if value != value or not -_TWO_63 <= value < _TWO_63:
        return -(1 << 63)
    return round(value)


def _sin(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else math.nan


def _cos(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else math.nan


def _asin(x: float) -> float:
    return math.asin(x) if -1.0 <= x <= 1.0 else math.nan


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else math.nan


# ------------------------------------------------------------ bit plumbing


_SPREAD_STEPS = ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                 (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
                 (1, 0x5555555555555555))
_GATHER_STEPS = ((1, 0x3333333333333333), (2, 0x0F0F0F0F0F0F0F0F),
                 (4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF),
                 (16, 0x00000000FFFFFFFF))


def _spread(value: int) -> int:
    """Put bit i of a 32-bit value at bit 2*i."""
    value &= 0xFFFFFFFF
    for shift, mask in _SPREAD_STEPS:
        value = (value | (value << shift)) & mask
    return value


def _gather(bits: int) -> int:
    """Inverse of _spread: bit 2*i of a 64-bit value to bit i (32 bits out)."""
    bits &= _EVEN_BITS
    for shift, mask in _GATHER_STEPS:
        bits = (bits | (bits >> shift)) & mask
    return bits


def _interleave(lat_index: int, lon_index: int) -> int:
    return _spread(lat_index) | (_spread(lon_index) << 1)


def _encode(lon: float, lat: float, step: int,
            lon_range=(LON_MIN, LON_MAX), lat_range=(LAT_MIN, LAT_MAX)) -> int:
    """Cell bits at `step` per axis; the edge value max sets bit 2*step(+1)."""
    lat_offset = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    lon_offset = (lon - lon_range[0]) / (lon_range[1] - lon_range[0])
    scale = float(1 << step)
    return _interleave(int(lat_offset * scale), int(lon_offset * scale))


def _cell_bounds(bits: int, step: int) -> tuple[float, float, float, float]:
    """(lon_min, lon_max, lat_min, lat_max) of a cell, with C's uint32 wrap."""
    lat_index = _gather(bits)
    lon_index = _gather(bits >> 1)
    cells = float(1 << step)

    def edge(lo: float, hi: float, index: int) -> float:
        return lo + (index * 1.0 / cells) * (hi - lo)

    return (edge(LON_MIN, LON_MAX, lon_index),
            edge(LON_MIN, LON_MAX, (lon_index + 1) & 0xFFFFFFFF),
            edge(LAT_MIN, LAT_MAX, lat_index),
            edge(LAT_MIN, LAT_MAX, (lat_index + 1) & 0xFFFFFFFF))


def _move(bits: int, step: int, direction: int, mine: int, theirs: int) -> int:
    """Step one cell along the axis whose bits are `mine` (wrapping around)."""
    if direction == 0:
        return bits
    moving, kept = bits & mine, bits & theirs
    fill = theirs >> (64 - 2 * step)
    if direction > 0:
        moving = moving + fill + 1
    else:
        moving = (moving | fill) - (fill + 1)
    return ((moving & (mine >> (64 - 2 * step))) | kept) & _U64


def _neighbour(bits: int, step: int, east: int, north: int) -> int:
    bits = _move(bits, step, east, _ODD_BITS, _EVEN_BITS)
    return _move(bits, step, north, _EVEN_BITS, _ODD_BITS)


# ------------------------------------------------------- scores, positions


def encode_score(lon: float, lat: float) -> float:
    """The sorted-set score GEOADD stores for a valid pair."""
    return float(_encode(lon, lat, STEP_MAX))


def decode_score(score: float) -> tuple[float, float]:
    """The (lon, lat) GEOPOS reports: the cell centre, clamped to the limits."""
    lon_min, lon_max, lat_min, lat_max = _cell_bounds(
        _double_to_uint64(score), STEP_MAX)
    lon = min(max((lon_min + lon_max) / 2, LON_MIN), LON_MAX)
    lat = min(max((lat_min + lat_max) / 2, LAT_MIN), LAT_MAX)
    return lon, lat


def geohash_string(score: float) -> str:
    """GEOHASH: the centre re-encoded on the standard -90..90 grid, 11 chars."""
    lon, lat = decode_score(score)
    bits = _encode(lon, lat, STEP_MAX, lat_range=(-90.0, 90.0))
    chars = [_BASE32[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10)]
    return "".join(chars) + "0"


def score_as_hash(score: float) -> int:
    """The integer WITHHASH replies: (long long)score."""
    return _double_to_int64(score)


# -------------------------------------------------- distances, formatting


def _lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS_M * abs(lat2 * DEG_TO_RAD - lat1 * DEG_TO_RAD)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres with Redis's haversine and radius."""
    half_dlon = _sin((lon2 * DEG_TO_RAD - lon1 * DEG_TO_RAD) / 2)
    if half_dlon == 0.0:
        return _lat_distance(lat1, lat2)
    lat1r, lat2r = lat1 * DEG_TO_RAD, lat2 * DEG_TO_RAD
    half_dlat = _sin((lat2r - lat1r) / 2)
    a = half_dlat * half_dlat + _cos(lat1r) * _cos(lat2r) * half_dlon * half_dlon
    return 2.0 * EARTH_RADIUS_M * _asin(_sqrt(a))


def format_distance(value: float) -> str:
    """Fixed point with 4 decimals, rounded half-even as llrint does."""
    if value == 0:
        return "0.0000"
    scaled = _llrint(value * 10000.0)
    digits = str(abs(scaled)).rjust(5, "0")
    sign = "-" if scaled < 0 else ""
    return f"{sign}{digits[:-4]}.{digits[-4:]}"


def format_coordinate(value: float) -> str:
    """'%.17Lf' without trailing zeros (and '-0' -> '0'): GEOPOS / WITHCOORD."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = "%.17f" % value
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# -------------------------------------------------------------- search area


@dataclass(frozen=True, slots=True)
class Shape:
    """A search area; sizes are in the unit whose metre factor is to_meters."""

    lon: float
    lat: float
    to_meters: float
    radius: float | None = None
    width: float = 0.0
    height: float = 0.0

    @classmethod
    def circle(cls, lon: float, lat: float, radius: float,
               to_meters: float = 1.0) -> "Shape":
        return cls(lon, lat, to_meters, radius=radius)

    @classmethod
    def box(cls, lon: float, lat: float, width: float, height: float,
            to_meters: float = 1.0) -> "Shape":
        return cls(lon, lat, to_meters, width=width, height=height)

    @property
    def is_circle(self) -> bool:
        return self.radius is not None


def _estimate_steps(range_m: float, lat: float) -> int:
    """Bits per axis for cells big enough that 9 of them cover the range."""
    if range_m == 0:
        return STEP_MAX
    step = 1
    while range_m < MERCATOR_MAX:
        range_m *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return min(max(step, 1), STEP_MAX)


def bounding_box(shape: Shape) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) Redis puts around the shape."""
    half_h = shape.to_meters * (shape.radius if shape.is_circle else shape.height / 2)
    half_w = shape.to_meters * (shape.radius if shape.is_circle else shape.width / 2)
    lat_delta = (half_h / EARTH_RADIUS_M) / DEG_TO_RAD
    top = (half_w / EARTH_RADIUS_M / _cos((shape.lat + lat_delta) * DEG_TO_RAD)) / DEG_TO_RAD
    bottom = (half_w / EARTH_RADIUS_M / _cos((shape.lat - lat_delta) * DEG_TO_RAD)) / DEG_TO_RAD
    lon_delta = bottom if shape.lat < 0 else top
    return (shape.lon - lon_delta, shape.lat - lat_delta,
            shape.lon + lon_delta, shape.lat + lat_delta)


def _search_radius_m(shape: Shape) -> float:
    if shape.is_circle:
        return shape.radius * shape.to_meters
    half_w, half_h = shape.width / 2, shape.height / 2
    return _sqrt(half_w * half_w + half_h * half_h) * shape.to_meters


# Scan order of the 9 cells and their (east, north) offsets.
_CELL_OFFSETS = ((0, 0), (0, 1), (0, -1), (1, 0), (-1, 0),
                 (1, 1), (-1, 1), (1, -1), (-1, -1))


def _cells_around(shape: Shape, step: int) -> tuple[int, list[int]]:
    centre = _encode(shape.lon, shape.lat, step)
    return centre, [_neighbour(centre, step, e, n) for e, n in _CELL_OFFSETS]


def _needs_smaller_step(box, cells: list[int], step: int) -> bool:
    """True when the N/S/E/W neighbours do not reach the bounding box edges."""
    min_lon, min_lat, max_lon, max_lat = box
    north, south = _cell_bounds(cells[1], step), _cell_bounds(cells[2], step)
    east, west = _cell_bounds(cells[3], step), _cell_bounds(cells[4], step)
    return (north[3] < max_lat or south[2] > min_lat
            or east[1] < max_lon or west[0] > min_lon)


def _prune(box, centre: int, cells: list, step: int) -> list:
    """Drop neighbour rows/columns that lie wholly outside the bounding box."""
    min_lon, min_lat, max_lon, max_lat = box
    lon_lo, lon_hi, lat_lo, lat_hi = _cell_bounds(centre, step)
    useless = set()
    if lat_lo < min_lat:
        useless |= {2, 7, 8}  # south row
    if lat_hi > max_lat:
        useless |= {1, 5, 6}  # north row
    if lon_lo < min_lon:
        useless |= {4, 6, 8}  # west column
    if lon_hi > max_lon:
        useless |= {3, 5, 7}  # east column
    return [None if i in useless else bits for i, bits in enumerate(cells)]


def search_cells(shape: Shape) -> tuple[int, list[int | None]]:
    """(step, 9 cell hashes or None) in scan order, after Redis's pruning."""
    box = bounding_box(shape)
    step = _estimate_steps(_search_radius_m(shape), shape.lat)
    centre, cells = _cells_around(shape, step)
    if step > 1 and _needs_smaller_step(box, cells, step):
        step -= 1
        centre, cells = _cells_around(shape, step)
    if step >= 2:
        cells = _prune(box, centre, cells, step)
    return step, cells


def search_ranges(shape: Shape) -> list[tuple[float, float]]:
    """Score intervals [min, max) to scan, in order, repeats skipped as Redis does."""
    step, cells = search_cells(shape)
    shift = 52 - 2 * step
    ranges, last = [], 0
    for i, bits in enumerate(cells):
        if bits is None:
            continue
        if last and bits == cells[last]:  # Redis never compares with cell 0
            continue
        ranges.append((float(bits << shift), float((bits + 1) << shift)))
        last = i
    return ranges


def within(shape: Shape, score: float) -> tuple[float, float, float] | None:
    """(distance in metres, lon, lat) when the member is inside the shape."""
    lon, lat = decode_score(score)
    if shape.is_circle:
        dist = distance(shape.lon, shape.lat, lon, lat)
        return None if dist > shape.radius * shape.to_meters else (dist, lon, lat)
    if _lat_distance(lat, shape.lat) > shape.height * shape.to_meters / 2:
        return None
    if distance(lon, lat, shape.lon, lat) > shape.width * shape.to_meters / 2:
        return None
    return distance(shape.lon, shape.lat, lon, lat), lon, lat


# ------------------------------------------------------------ the query


class GeoHit(NamedTuple):
    member: bytes
    score: float
    distance: float  # metres inside search(); the shape's unit in its result
    lon: float
    lat: float


Scan = Callable[[float, float], Iterable[tuple[bytes, float]]]


def collect(shape: Shape, scan: Scan, limit: int = 0) -> list[GeoHit]:
    """Matches in scan order (distances in metres); stop at `limit` if non-zero."""
    hits: list[GeoHit] = []
    for low, high in search_ranges(shape):
        if limit and len(hits) >= limit:
            break
        for member, score in scan(low, high):
            found = within(shape, score)
            if found is not None:
                hits.append(GeoHit(member, score, *found))
            if limit and len(hits) >= limit:
                break
    return hits


def search(shape: Shape, scan: Scan, order: str | None = None,
           count: int = 0, any_: bool = False) -> list[GeoHit]:
    """GEOSEARCH's result list, distances converted to the shape's unit."""
    if count and order is None and not any_:
        order = ASC
    hits = collect(shape, scan, count if any_ else 0)
    hits = order_hits(hits, order, count)
    return [hit._replace(distance=hit.distance / shape.to_meters) for hit in hits]


# ---------------------------------------------------------- sorting rules


def _compare_asc(a: GeoHit, b: GeoHit) -> int:
    if a.distance > b.distance:
        return 1
    return 0 if a.distance == b.distance else -1


def _compare_desc(a: GeoHit, b: GeoHit) -> int:
    return -_compare_asc(a, b)


def order_hits(hits: list[GeoHit], order: str | None, count: int = 0) -> list[GeoHit]:
    """Sort (if ordered) and cut to `count` exactly as redis-server does."""
    keep = len(hits) if not count else min(count, len(hits))
    if order is None:
        return hits[:keep]
    descending = order == DESC
    dists = [hit.distance for hit in hits]
    has_nan = any(d != d for d in dists)
    if keep == len(hits):
        if has_nan:
            return _merge_sort(hits, _compare_desc if descending else _compare_asc)
        return sorted(hits, key=lambda h: h.distance, reverse=descending)
    if not has_nan and len(set(dists)) == len(dists):
        # No ties: every partial sort agrees, take the fast road.
        pick = heapq.nlargest if descending else heapq.nsmallest
        return pick(keep, hits, key=lambda h: h.distance)
    items = list(hits)
    _partial_quicksort(items, _compare_desc if descending else _compare_asc,
                       0, keep - 1)
    return items[:keep]


def _merge_sort(items: list, cmp) -> list:
    """glibc qsort (msort): top-down, left half n // 2, left wins ties."""
    if len(items) <= 1:
        return list(items)
    half = len(items) // 2
    left, right = _merge_sort(items[:half], cmp), _merge_sort(items[half:], cmp)
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def _median_of_three(a: list, i: int, j: int, k: int, cmp) -> int:
    if cmp(a[i], a[j]) < 0:
        if cmp(a[j], a[k]) < 0:
            return j
        return k if cmp(a[i], a[k]) < 0 else i
    if cmp(a[j], a[k]) > 0:
        return j
    return i if cmp(a[i], a[k]) < 0 else k


def _swap_blocks(a: list, i: int, j: int, n: int) -> None:
    for k in range(n):
        a[i + k], a[j + k] = a[j + k], a[i + k]


def _insertion_sort(a: list, base: int, n: int, cmp) -> None:
    for m in range(base + 1, base + n):
        pos = m
        while pos > base and cmp(a[pos - 1], a[pos]) > 0:
            a[pos - 1], a[pos] = a[pos], a[pos - 1]
            pos -= 1


def _pick_pivot(a: list, base: int, n: int, cmp) -> int:
    mid = base + n // 2
    if n > 7:
        lo, hi = base, base + n - 1
        if n > 40:
            d = n // 8
            lo = _median_of_three(a, lo, lo + d, lo + 2 * d, cmp)
            mid = _median_of_three(a, mid - d, mid, mid + d, cmp)
            hi = _median_of_three(a, hi - 2 * d, hi - d, hi, cmp)
        mid = _median_of_three(a, lo, mid, hi, cmp)
    return mid


def _partition(a: list, base: int, n: int, cmp) -> tuple[int, int, int, int]:
    """Bentley-McIlroy 3-way split around a[base]; returns pa, pb, pc, pd."""
    pa = pb = base + 1
    pc = pd = base + n - 1
    while True:
        while pb <= pc and (res := cmp(a[pb], a[base])) <= 0:
            if res == 0:
                a[pa], a[pb] = a[pb], a[pa]
                pa += 1
            pb += 1
        while pb <= pc and (res := cmp(a[pc], a[base])) >= 0:
            if res == 0:
                a[pc], a[pd] = a[pd], a[pc]
                pd -= 1
            pc -= 1
        if pb > pc:
            return pa, pb, pc, pd
        a[pb], a[pc] = a[pc], a[pb]
        pb += 1
        pc -= 1


def _partial_quicksort(a: list, cmp, left: int, right: int,
                       base: int = 0, n: int | None = None) -> None:
    """Redis's pqsort: sorts only what can land in positions left..right."""
    n = len(a) if n is None else n

    def touches(start: int, size: int) -> bool:
        end = start + size - 1
        return not ((left < start and right < start) or (left > end and right > end))

    while True:
        if n < 7:
            _insertion_sort(a, base, n, cmp)
            return
        pivot = _pick_pivot(a, base, n, cmp)
        a[base], a[pivot] = a[pivot], a[base]
        pa, pb, pc, pd = _partition(a, base, n, cmp)
        end = base + n
        size = min(pa - base, pb - pa)
        _swap_blocks(a, base, pb - size, size)
        size = min(pd - pc, end - pd - 1)
        _swap_blocks(a, pb, end - size, size)
        size = pb - pa
        if size > 1 and touches(base, size):
            _partial_quicksort(a, cmp, left, right, base, size)
        size = pd - pc
        if size <= 1 or not touches(end - size, size):
            return
        base, n = end - size, size
