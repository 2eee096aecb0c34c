"""GEO commands over sorted sets: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH,
GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and the _RO forms. The math (scores,
distances, the 9-cell search, Redis's sort orders) is types.geo; this module parses
arguments as Redis's georadiusGeneric does and shapes the replies."""

from .. import errors
from ..errors import CommandError
from ..resp.writer import NULL_ARRAY, DoubleText
from ..types import geo as G
from ..types import zset as Z
from ..types.zset import ZSetValue
from .args import to_int
from .registry import command, ks
from .zsets import get_zset, parse_double, store_result, zadd_apply

GEO = dict(group="geo")

COORDS, MEMBER, NOSTORE, SEARCH, SEARCHSTORE = 1, 2, 4, 8, 16


def _lonlat(argv, i):
    lon, lat = parse_double(argv[i]), parse_double(argv[i + 1])
    problem = G.lonlat_error(lon, lat)
    if problem:
        raise CommandError(problem)
    return lon, lat


def _unit(raw):
    to_meters = G.unit_to_meters(raw)
    if to_meters is None:
        raise CommandError(errors.GEO_UNSUPPORTED_UNIT)
    return to_meters


def _radius(argv, i):
    radius = parse_double(argv[i], errors.GEO_NEED_RADIUS)
    if radius < 0:
        raise CommandError(errors.GEO_NEGATIVE_RADIUS)
    return radius, _unit(argv[i + 1])


def _box(argv, i):
    width = parse_double(argv[i], errors.GEO_NEED_WIDTH)
    height = parse_double(argv[i + 1], errors.GEO_NEED_HEIGHT)
    if width < 0 or height < 0:
        raise CommandError(errors.GEO_NEGATIVE_BOX)
    return width, height, _unit(argv[i + 2])


def _member_position(zs, member):
    score = zs.score(member)
    if score is None:
        raise CommandError(errors.GEO_NO_MEMBER)
    return G.decode_score(score)


# -- GEOADD and the point lookups ----------------------------------------------------------
@command("geoadd", -5, "write denyoom", acl="geo", keys=[ks("RW update", 1)], **GEO)
def cmd_geoadd(c, argv):
    flags, ch, i, n = 0, False, 2, len(argv)
    while i < n:
        word = argv[i].lower()
        if word == b"nx":
            flags |= Z.NX
        elif word == b"xx":
            flags |= Z.XX
        elif word == b"ch":
            ch = True
        else:
            break
        i += 1
    if (n - i) % 3 or (flags & Z.NX and flags & Z.XX) or i == n:
        raise CommandError(errors.SYNTAX)
    scores = [G.encode_score(*_lonlat(argv, j)) for j in range(i, n, 3)]
    members = argv[i + 2:n:3]
    effect = [b"zadd", argv[1], *argv[2:i]]
    for score, member in zip(scores, members):
        effect += (b"%d" % score, member)
    c.propagate_as = [effect]
    return zadd_apply(c, argv[1], flags, ch, scores, members, "zadd")


@command("geodist", -4, "readonly", acl="geo", keys=[ks("RO access", 1)], **GEO)
def cmd_geodist(c, argv):
    to_meters = 1.0
    if len(argv) == 5:
        to_meters = _unit(argv[4])
    elif len(argv) > 5:
        raise CommandError(errors.SYNTAX)
    zs = get_zset(c, argv[1])
    if zs is None:
        return None
    first, second = zs.score(argv[2]), zs.score(argv[3])
    if first is None or second is None:
        return None
    meters = G.distance(*G.decode_score(first), *G.decode_score(second))
    return G.format_distance(meters / to_meters).encode()


@command("geohash", -2, "readonly", acl="geo", keys=[ks("RO access", 1)], **GEO)
def cmd_geohash(c, argv):
    zs = get_zset(c, argv[1])
    scores = [None if zs is None else zs.score(m) for m in argv[2:]]
    return [None if s is None else G.geohash_string(s).encode() for s in scores]


def _coordinates(lon, lat):
    return [DoubleText(G.format_coordinate(lon).encode()),
            DoubleText(G.format_coordinate(lat).encode())]


@command("geopos", -2, "readonly", acl="geo", keys=[ks("RO access", 1)], **GEO)
def cmd_geopos(c, argv):
    zs = get_zset(c, argv[1])
    scores = [None if zs is None else zs.score(m) for m in argv[2:]]
    return [NULL_ARRAY if s is None else _coordinates(*G.decode_score(s)) for s in scores]


# -- searches ------------------------------------------------------------------------------
class _Query:
    __slots__ = ("center", "circle", "box", "withdist", "withhash", "withcoord", "order",
                 "count", "any", "store", "storedist", "frommember", "fromloc")

    def __init__(self):
        self.center = self.circle = self.box = self.order = self.store = None
        self.withdist = self.withhash = self.withcoord = self.any = self.storedist = False
        self.frommember = self.fromloc = False
        self.count = 0


_WITH = {b"withdist": "withdist", b"withhash": "withhash", b"withcoord": "withcoord"}
_ORDERS = {b"asc": G.ASC, b"desc": G.DESC}


def _option(q, argv, i, flags, zs):
    """Parse the option at argv[i]; returns how many arguments it took."""
    word, left = argv[i].lower(), len(argv) - i - 1
    search = flags & SEARCH
    if word in _WITH:
        setattr(q, _WITH[word], True)
    elif word == b"any":
        q.any = True
    elif word in _ORDERS:
        q.order = _ORDERS[word]
    elif word == b"count" and left >= 1:
        q.count = to_int(argv[i + 1])
        if q.count <= 0:
            raise CommandError(errors.GEO_COUNT_POSITIVE)
        return 2
    elif word in (b"store", b"storedist") and left >= 1 and not flags & (NOSTORE | SEARCH):
        q.store, q.storedist = argv[i + 1], word == b"storedist"
        return 2
    elif word == b"storedist" and flags & SEARCHSTORE:
        q.storedist = True
    elif word == b"frommember" and left >= 1 and search and not q.fromloc:
        if zs is not None:
            q.center = _member_position(zs, argv[i + 1])
        q.frommember = True
        return 2
    elif word == b"fromlonlat" and left >= 2 and search and not q.frommember:
        q.center = _lonlat(argv, i + 1)
        q.fromloc = True
        return 3
    elif word == b"byradius" and left >= 2 and search and q.box is None:
        q.circle = _radius(argv, i + 1)
        return 3
    elif word == b"bybox" and left >= 3 and search and q.circle is None:
        q.box = _box(argv, i + 1)
        return 4
    else:
        raise CommandError(errors.SYNTAX)
    return 1


def _check(q, argv, flags):
    if q.store is not None and (q.withdist or q.withhash or q.withcoord):
        what = "GEOSEARCHSTORE" if flags & SEARCHSTORE else "STORE option in GEORADIUS"
        raise CommandError(errors.GEO_STORE_WITH.format(what))
    name = argv[0].decode("utf-8", "replace")
    if flags & SEARCH and not (q.frommember or q.fromloc):
        raise CommandError(errors.GEO_FROM.format(name))
    if flags & SEARCH and q.circle is None and q.box is None:
        raise CommandError(errors.GEO_BY.format(name))
    if q.any and not q.count:
        raise CommandError(errors.GEO_ANY_NEEDS_COUNT)


def _parse(c, argv, src, flags):
    """(zset or None, query) with Redis's order of checks."""
    zs = get_zset(c, argv[src])
    q = _Query()
    if flags & COORDS:
        q.center, q.circle, base = _lonlat(argv, 2), _radius(argv, 4), 6
    elif flags & MEMBER:
        base = 5
        if zs is not None:
            q.center, q.circle = _member_position(zs, argv[2]), _radius(argv, 3)
    else:
        base = 2 + bool(flags & SEARCHSTORE)
        if flags & SEARCHSTORE:
            q.store = argv[1]
    i = base
    while i < len(argv):
        i += _option(q, argv, i, flags, zs)
    _check(q, argv, flags)
    return zs, q


def _scanner(zs):
    def scan(low, high):
        lo, hi = zs.score_span(low, False, high, True)
        for score, member in zs.entries(lo, hi):
            yield member, score
    return scan


def _hit_reply(q, hit):
    if not (q.withdist or q.withhash or q.withcoord):
        return hit.member
    out = [hit.member]
    if q.withdist:
        out.append(G.format_distance(hit.distance).encode())
    if q.withhash:
        out.append(G.score_as_hash(hit.score))
    if q.withcoord:
        out.append(_coordinates(hit.lon, hit.lat))
    return out


def georadius_generic(c, argv, src, flags):
    zs, q = _parse(c, argv, src, flags)
    if zs is None:
        if q.store is None:
            return []
        return store_result(c, q.store, ZSetValue(), "")
    if q.circle is not None:
        shape = G.Shape.circle(*q.center, *q.circle)
    else:
        shape = G.Shape.box(*q.center, *q.box)
    hits = G.search(shape, _scanner(zs), q.order, q.count, q.any)
    if q.store is None:
        return [_hit_reply(q, hit) for hit in hits]
    result = ZSetValue.from_scores(
        {hit.member: hit.distance if q.storedist else hit.score for hit in hits})
    event = "geosearchstore" if flags & SEARCH else "georadiusstore"
    return store_result(c, q.store, result, event)


def _store_keys(startfrom):
    def getkeys(argv):
        """The source key and every STORE / STOREDIST target (the last one wins in the
        parser, so all are locked)."""
        keys = {1}
        for i in range(startfrom, len(argv) - 1):
            if argv[i].lower() in (b"store", b"storedist"):
                keys.add(i + 1)
        return sorted(keys)
    return getkeys


def _radius_keys(startfrom):
    return [ks("RO access", 1), ks("OW update", keyword="STORE", startfrom=startfrom),
            ks("OW update", keyword="STOREDIST", startfrom=startfrom)]


@command("geosearch", -7, "readonly", acl="geo", keys=[ks("RO access", 1)], **GEO)
def cmd_geosearch(c, argv):
    return georadius_generic(c, argv, 1, SEARCH)


@command("geosearchstore", -8, "write denyoom", acl="geo",
         keys=[ks("OW update", 1), ks("RO access", 2)], **GEO)
def cmd_geosearchstore(c, argv):
    return georadius_generic(c, argv, 2, SEARCH | SEARCHSTORE)


@command("georadius", -6, "write denyoom", acl="geo", keys=_radius_keys(6), getkeys=_store_keys(6),
         **GEO)
def cmd_georadius(c, argv):
    return georadius_generic(c, argv, 1, COORDS)


@command("georadius_ro", -6, "readonly", acl="geo", keys=[ks("RO access", 1)], **GEO)
def cmd_georadius_ro(c, argv):
    return georadius_generic(c, argv, 1, COORDS | NOSTORE)


@command("georadiusbymember", -5, "write denyoom", acl="geo", keys=_radius_keys(5), getkeys=_store_keys(5), **GEO)
def cmd_georadiusbymember(c, argv):
    return georadius_generic(c, argv, 1, MEMBER)


@command("georadiusbymember_ro", -5, "readonly", acl="geo", keys=[ks("RO access", 1)],
         **GEO)
def cmd_georadiusbymember_ro(c, argv):
    return georadius_generic(c, argv, 1, MEMBER | NOSTORE)
