"""SORT and SORT_RO over lists, sets and sorted sets, with BY / GET patterns, LIMIT,
ASC / DESC, ALPHA and STORE, as Redis 7.0 sorts (numeric ties broken by the element's
bytes, ALPHA comparing C strings, glibc's stable qsort keeping ties in input order).

Locking: SORT takes its locks itself (no_lock). Without BY / GET patterns it holds the
stripes of its key and STORE destination. Patterns name keys that are not on the
command line: SORT reads the elements under the stripes it holds, adds the stripes of
every key the patterns name, and takes them all (ascending, under the global key lock)
until the set it holds covers what the elements name; past _MAX_STRIPES it holds every
stripe. The effect (DEL + RPUSH of the stored list) is propagated before the stripes
are released. Inside EXEC every stripe is already held.
"""

import re

from .. import errors
from ..errors import CommandError, c_string
from ..types import is_string, type_name
from ..types.list import ListValue
from .args import to_int
from .registry import command, ks
from ..threadstate import peek

SCORE_ERR = "ERR One or more scores can't be converted into double"
_SORTABLE = ("list", "set", "zset")
_RPUSH_CHUNK = 1024
_MAX_STRIPES = 256
_LOCK_ATTEMPTS = 3
_ELEMENT = "#"        # the GET # pattern


def compile_pattern(pattern):
    """A BY / GET pattern -> "#" (the element itself), None (names nothing: no '*'), or
    (prefix, suffix, hash field or None); the key is prefix + element + suffix."""
    text = c_string(pattern)
    if text == b"#":
        return _ELEMENT
    star = text.find(b"*")
    if star < 0:
        return None
    arrow = text.find(b"->", star + 1)
    field = None
    if 0 <= arrow < len(text) - 2:
        field, pattern = pattern[arrow + 2:], pattern[:arrow]
    return pattern[:star], pattern[star + 1:], field


class SortSpec:
    __slots__ = ("desc", "alpha", "offset", "count", "store", "by", "dontsort", "gets")

    def __init__(self):
        self.desc = self.alpha = self.dontsort = False
        self.offset, self.count = 0, -1
        self.store = self.by = None     # by: a compiled pattern
        self.gets = []                  # compiled patterns

    def key_patterns(self):
        """The patterns that name keys to read."""
        by = [self.by] if self.by is not None and not self.dontsort else []
        return [p for p in by + self.gets if type(p) is tuple]


def parse_sort(c, argv, readonly):
    spec = SortSpec()
    cluster = c.server.config.cluster_enabled
    i, n = 2, len(argv)
    while i < n:
        word, left = argv[i].lower(), n - i - 1
        if word in (b"asc", b"desc"):
            spec.desc = word == b"desc"
        elif word == b"alpha":
            spec.alpha = True
        elif word == b"limit" and left >= 2:
            spec.offset, spec.count = to_int(argv[i + 1]), to_int(argv[i + 2])
            i += 2
        elif word == b"store" and left >= 1 and not readonly:
            spec.store = argv[i + 1]
            i += 1
        elif word == b"by" and left >= 1:
            spec.by = compile_pattern(argv[i + 1])
            spec.dontsort = b"*" not in c_string(argv[i + 1])
            if cluster and not spec.dontsort:
                raise CommandError("ERR BY option of SORT denied in Cluster mode.")
            i += 1
        elif word == b"get" and left >= 1:
            if cluster:
                raise CommandError("ERR GET option of SORT denied in Cluster mode.")
            spec.gets.append(compile_pattern(argv[i + 1]))
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    return spec


def sort_keys(argv):
    """COMMAND GETKEYS for SORT (Redis's sortGetKeys): the sorted key and the last
    STORE destination; LIMIT, BY and GET skip their arguments."""
    positions = [1]
    store = None
    i, n = 2, len(argv)
    skip = {b"limit": 2, b"by": 1, b"get": 1}
    while i < n:
        word = argv[i].lower()
        if word == b"store" and i + 1 < n:
            store = i + 1
        i += 1 + peek(skip, word, 0)
    if store is not None:
        positions.append(store)
    return positions


def lookup_pattern(db, pattern, element):
    """The string a compiled pattern names for element: a string key, a hash field, or
    the element itself; None when there is none."""
    if pattern is _ELEMENT:
        return element
    if pattern is None:
        return None
    prefix, suffix, field = pattern
    value = db.lookup_read(prefix + element + suffix)
    if value is None:
        return None
    if field is None:
        return value if is_string(value) else None
    return peek(value, field) if type_name(value) == "hash" else None


# -- strtod --------------------------------------------------------------------------------
_STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*(?:(?P<inf>[+-]?inf(?:inity)?)|(?P<nan>[+-]?nan(?:\([0-9a-z_]*\))?)"
    rb"|(?P<hex>[+-]?0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?)"
    rb"|(?P<dec>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?))", re.IGNORECASE)
_DBL_MIN = 2.2250738585072014e-308
_NONZERO_DIGIT = re.compile(rb"[1-9]")


def strtod_score(raw):
    """The score SORT reads from a string (glibc strtod over the C string); None when it
    is not a whole number, NaN, or out of range (ERANGE)."""
    text = c_string(raw)
    if text.isdigit() and len(text) < 300:
        return float(text)
    if not text:
        return 0.0
    m = _STRTOD.match(text)
    if m is None or m.end() != len(text) or m["nan"]:
        return None
    if m["inf"]:
        return float(m["inf"])
    if m["hex"]:
        try:
            return float.fromhex(m["hex"].decode())
        except OverflowError:
            return None
    digits = m["dec"]
    value = float(digits)
    if abs(value) == float("inf"):
        return None
    if abs(value) < _DBL_MIN and _NONZERO_DIGIT.search(digits.lower().split(b"e")[0]):
        return None    # underflow: a non-zero number read as zero or subnormal
    return value


# -- sorting ---------------------------------------------------------------------------------
def _limits(spec, size):
    """Redis's LIMIT clamping -> (start, end) indexes, end < start when empty."""
    start = min(max(spec.offset, 0), size)
    count = min(max(spec.count, -1), size)
    end = size - 1 if count < 0 else start + count - 1
    if start >= size:
        start, end = size - 1, size - 2
    return start, min(end, size - 1)


def _numeric_key(db, spec, element):
    raw = element if spec.by is None else lookup_pattern(db, spec.by, element)
    if raw is None:
        return 0.0, element
    score = strtod_score(raw)
    if score is None:
        raise CommandError(SCORE_ERR)
    return score, element


def _alpha_key(db, spec, element):
    """ALPHA compares C strings (strcoll) unless STORE asks for binary comparison;
    with BY, elements whose pattern names nothing sort first."""
    binary = spec.store is not None
    if spec.by is None:
        return element if binary else c_string(element)
    value = lookup_pattern(db, spec.by, element)
    if value is None:
        return False, b""
    return True, bytes(value) if binary else c_string(bytes(value))


def _sorted(db, spec, elements):
    """A stable sort (glibc's qsort is a merge sort); DESC reverses the comparison, so
    equal keys keep their input order either way."""
    key = _alpha_key if spec.alpha else _numeric_key
    elements.sort(key=lambda e: key(db, spec, e), reverse=spec.desc)
    return elements


def _members(value):
    """The elements to sort in Redis's order: list order, a set's reply order (ascending
    for an intset), a zset's by (score, member); [] for a missing key; None for a value
    SORT cannot sort."""
    kind = "list" if value is None else type_name(value)
    if kind not in _SORTABLE:
        return None
    if value is None:
        return []
    if kind == "zset":
        return [member for member, _score in value.pairs()]
    return value.ordered() if kind == "set" else list(value)


def run_sort(c, key, spec):
    db = c.db
    value = db.lookup_read(key)
    items = _members(value)
    if items is None:
        raise CommandError(errors.WRONGTYPE)
    is_set = type_name(value) == "set"
    if spec.dontsort and is_set and spec.store is not None:
        spec.dontsort, spec.alpha, spec.by = False, True, None   # a replicable order
    start, end = _limits(spec, len(items))
    if not spec.dontsort:
        items = _sorted(db, spec, items)
    elif spec.desc and not is_set:
        items.reverse()
    selected = items[start:end + 1]
    if spec.gets:
        missing = None if spec.store is None else b""
        selected = [_as_bytes(lookup_pattern(db, pattern, e), missing)
                    for e in selected for pattern in spec.gets]
    if spec.store is None:
        return selected
    return _store(c, spec.store, selected)


def _as_bytes(value, missing):
    if value is None:
        return missing
    return value if type(value) is bytes else bytes(value)


def _store(c, dest, items):
    db = c.db
    if items:
        db.set(dest, ListValue(items))
        db.notify("l", "sortstore", dest)
        c.propagate_as = [[b"DEL", dest]] + [
            [b"RPUSH", dest, *items[i:i + _RPUSH_CHUNK]]
            for i in range(0, len(items), _RPUSH_CHUNK)]
    elif db.lookup(dest) is not None and db.delete(dest):
        db.notify("g", "del", dest)
        c.propagate_as = [[b"DEL", dest]]
    return len(items)


# -- locking -------------------------------------------------------------------------------
def _pattern_keys(db, key, spec):
    """Every key the patterns name for the elements now at key."""
    patterns = spec.key_patterns()
    items = _members(db.lookup(key)) if patterns else None
    if not items:
        return []
    return [prefix + e + suffix for prefix, suffix, _ in patterns for e in items]


def _acquire(c, key, spec):
    """Take (and return) stripes covering key, STORE and every key the patterns name."""
    key_locks = c.server.key_locks
    base = [key] if spec.store is None else [key, spec.store]
    held = key_locks.stripes_for(base)
    for _ in range(_LOCK_ATTEMPTS):
        key_locks.acquire(held)
        try:
            named = _pattern_keys(c.db, key, spec)
            needed = set(key_locks.stripes_for(named)) if named else set()
        except BaseException:
            key_locks.release(held)
            raise
        if needed.issubset(held):
            return held
        key_locks.release(held)
        needed.update(held)
        if len(needed) > _MAX_STRIPES:
            break
        held = sorted(needed)
    key_locks.acquire(key_locks.all)
    return key_locks.all


def _sort(c, argv, readonly):
    spec = parse_sort(c, argv, readonly)
    if c.in_exec:
        return run_sort(c, argv[1], spec)
    key_locks = c.server.key_locks
    held = _acquire(c, argv[1], spec)
    try:
        stats = c.loop.stats
        dirty = stats.dirty
        result = run_sort(c, argv[1], spec)
        keyspace = c.server.keyspace
        if stats.dirty != dirty and keyspace.propagating:
            for effect in c.propagate_as or ():
                keyspace.propagate(c.db.id, effect)
        c.propagate_as = []     # propagated while the stripes are held
        return result
    finally:
        key_locks.release(held)


_SORT_DOC = dict(group="generic")
_BY_GET_SPEC = ks("RO access", unknown=True, notes="For the optional BY/GET keyword. It is "
                  "marked 'unknown' because the key names derive from the content of the "
                  "key we sort")


@command("sort", -2, "write denyoom no_lock", acl="set sortedset list dangerous",
         keys=[ks("RO access", 1), _BY_GET_SPEC,
               ks("OW update", unknown=True, notes="For the optional STORE keyword. It is "
                  "marked 'unknown' because the keyword can appear anywhere in the "
                  "argument array")],
         getkeys=sort_keys, **_SORT_DOC)
def cmd_sort(c, argv):
    return _sort(c, argv, False)


@command("sort_ro", -2, "readonly no_lock", acl="set sortedset list dangerous",
         keys=[ks("RO access", 1), _BY_GET_SPEC],
         **_SORT_DOC)
def cmd_sort_ro(c, argv):
    return _sort(c, argv, True)
