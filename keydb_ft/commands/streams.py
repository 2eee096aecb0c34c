"""Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD and
XREADGROUP. read_streams() is the read both XREADs share, and what a blocked reader
retries. Consumer-group commands and XINFO are in stream_groups.py; the data structures in
types/stream.py and types/stream_groups.py.

Propagation is deterministic as in Redis: XADD carries the ID it generated, "~" trims go
out as exact trims to the length / first ID reached (LIMIT dropped), and XREADGROUP goes
out as the XCLAIM / XGROUP SETID / XGROUP CREATECONSUMER effects it had.
"""

from .. import errors
from ..db.blocking import block, key_ready
from ..db.keyspace import now_ms, thread_stats
from ..errors import CommandError
from ..resp.writer import NULL_ARRAY, OK, PairMap
from ..types.stream import (MAX_ID, U64, StreamIDError, StreamValue, format_id, parse_id)
from .args import to_int
from .registry import command, ks
from ..threadstate import peek

STREAM = dict(group="stream")
_ADD_ERRORS = {"small": errors.XADD_ID_SMALL, "exhausted": errors.XADD_EXHAUSTED,
               "large": errors.XADD_TOO_LARGE}


# -- shared helpers -------------------------------------------------------------------------
def get_stream(c, key, read=False):
    """The stream at key or None; WRONGTYPE for another type."""
    value = c.db.lookup_read(key) if read else c.db.lookup(key)
    if value is None or type(value) is StreamValue:
        return value
    raise CommandError(errors.WRONGTYPE)


def stream_id(raw, missing_seq=0, strict=False):
    sid = parse_id(raw, missing_seq, strict)
    if sid is None:
        raise CommandError(errors.INVALID_STREAM_ID)
    return sid


def _interval(raw, missing_seq):
    if len(raw) > 1 and raw[0] == 40:       # "(": exclusive
        return stream_id(raw[1:], missing_seq, strict=True), True
    return stream_id(raw, missing_seq), False


def range_start(raw):
    sid, exclusive = _interval(raw, 0)
    if exclusive:
        if sid == MAX_ID:
            raise CommandError(errors.INVALID_START_ID)
        sid += 1
    return sid


def range_end(raw):
    sid, exclusive = _interval(raw, U64)
    if exclusive:
        if sid == 0:
            raise CommandError(errors.INVALID_END_ID)
        sid -= 1
    return sid


def bump_dirty(count=1):
    """A change that, as in Redis, signals no WATCH (group state, XSETID)."""
    thread_stats().dirty += count


def find_group(stream, name):
    return peek(stream.groups, name) if stream is not None and stream.groups else None


# -- XADD / XTRIM ---------------------------------------------------------------------------
class TrimArgs:
    """streamAddTrimArgs: what XADD and XTRIM parse before touching the key."""

    __slots__ = ("maxlen", "minid", "approx", "limit", "value_at", "limit_at", "nomkstream",
                 "id")

    def __init__(self):
        self.maxlen = self.minid = self.id = None
        self.approx = self.nomkstream = False
        self.limit = self.value_at = 0
        self.limit_at = []

    @property
    def trims(self):
        return self.maxlen is not None or self.minid is not None


def _trim_strategy(t, argv, i, word):
    """MAXLEN|MINID [~|=] value at argv[i]; returns the index of the value."""
    if t.trims:
        raise CommandError(errors.TRIM_BOTH)
    t.approx = False
    if len(argv) - i - 1 >= 2 and argv[i + 1] in (b"~", b"="):
        t.approx = argv[i + 1] == b"~"
        i += 1
    raw = argv[i + 1]
    if word == b"maxlen":
        t.maxlen = to_int(raw)
        if t.maxlen < 0:
            raise CommandError(errors.MAXLEN_NEGATIVE)
    else:
        t.minid = stream_id(raw, strict=True)
    t.value_at = i + 1
    return i + 1


_AUTO = TrimArgs()                  # XADD key * ...: nothing to parse (never changed)


def parse_trim_args(argv, xadd, node_max_entries):
    """streamParseAddOrTrimArgsOrReply -> (TrimArgs, index of XADD's ID)."""
    if xadd and argv[2] == b"*":
        return _AUTO, 2
    t = TrimArgs()
    i, n = 2, len(argv)
    while i < n:
        word = argv[i]
        if xadd and word == b"*":
            break
        word = word.lower()
        more = n - 1 - i
        if (word == b"maxlen" or word == b"minid") and more:
            i = _trim_strategy(t, argv, i, word)
        elif word == b"limit" and more:
            t.limit = to_int(argv[i + 1])
            if t.limit < 0:
                raise CommandError(errors.LIMIT_NEGATIVE)
            t.limit_at.append(i)
            i += 1
        elif xadd and word == b"nomkstream":
            t.nomkstream = True
        elif xadd:
            t.id = parse_id(argv[i], strict=True, allow_auto_seq=True)
            if t.id is None:
                raise CommandError(errors.INVALID_STREAM_ID)
            break
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if t.limit and not t.trims:
        raise CommandError(errors.LIMIT_NO_STRATEGY)
    if not xadd and not t.trims:
        raise CommandError(errors.XTRIM_NO_STRATEGY)
    if t.limit_at:
        if not t.approx:
            raise CommandError(errors.LIMIT_NO_APPROX)
    elif t.approx:
        t.limit = min(100 * node_max_entries, 1000000) if node_max_entries > 0 else 10000
    else:
        t.limit = 0
    return t, i


def _trimmed_argv(argv, t, stream, id_at=None, id_text=None):
    """The command as replicas / the AOF must see it: "~" trims become exact trims to
    what was reached, LIMIT goes, a generated ID is spelled out."""
    out = list(argv)
    if t.approx:
        out[t.value_at - 1] = b"="
        if t.maxlen is not None:
            out[t.value_at] = b"%d" % stream.length
        else:
            out[t.value_at] = format_id(stream.nodes[0].master if stream.nodes else MAX_ID)
    if id_at is not None:
        out[id_at] = id_text
    for at in reversed(t.limit_at):
        del out[at:at + 2]
    return out


def _removed(c, key, stream, removed, event):
    """Entries went away by XDEL / XTRIM: WATCH, one dirty each, the keyspace event."""
    c.db.changed(key, stream)
    bump_dirty(removed - 1)
    c.db.notify("t", event, key)


@command("xadd", -5, "write denyoom fast", acl="stream",
         keys=[ks("RW update", 1, notes="UPDATE instead of INSERT because of the optional "
                  "trimming feature")],
         tips=("nondeterministic_output",), **STREAM)
def cmd_xadd(c, argv):
    config = c.server.config
    t, id_at = parse_trim_args(argv, True, config.stream_node_max_entries)
    nfields = len(argv) - id_at - 1
    if nfields < 2 or nfields % 2:
        raise CommandError(errors.wrong_arity("xadd"))
    if t.id == 0:
        raise CommandError(errors.XADD_ID_ZERO)
    key = argv[1]
    db = c.db
    stream = get_stream(c, key)
    created = stream is None
    if created:
        if t.nomkstream:
            return None
        stream = StreamValue()
    try:
        sid = stream.next_id(t.id, now_ms())
        text = stream.append(sid, argv[id_at + 1:], config.stream_node_max_bytes,
                             config.stream_node_max_entries)[0]
    except StreamIDError as exc:
        raise CommandError(_ADD_ERRORS[exc.kind]) from None
    if created:
        db.add(key, stream)
    else:
        db.changed(key, stream)
    db.notify("t", "xadd", key)
    if t.trims and stream.trim(t.maxlen, t.minid, t.approx, t.limit):
        db.notify("t", "xtrim", key)
    generated = t.id is None or type(t.id) is tuple
    if generated or t.approx:
        c.propagate_as = [_trimmed_argv(argv, t, stream, id_at if generated else None, text)]
    if not created:
        key_ready(c.db, key)          # a new key is signalled by db.add()
    return text


@command("xtrim", -4, "write", acl="stream", keys=[ks("RW delete", 1)],
         tips=("nondeterministic_output",), **STREAM)
def cmd_xtrim(c, argv):
    t, _ = parse_trim_args(argv, False, c.server.config.stream_node_max_entries)
    key = argv[1]
    stream = get_stream(c, key)
    if stream is None:
        return 0
    removed = stream.trim(t.maxlen, t.minid, t.approx, t.limit)
    if removed:
        _removed(c, key, stream, removed, "xtrim")
        if t.approx:
            c.propagate_as = [_trimmed_argv(argv, t, stream)]
    return removed


# -- XDEL / XLEN / XRANGE / XSETID ----------------------------------------------------------
@command("xdel", -3, "write fast", acl="stream", keys=[ks("RW delete", 1)], **STREAM)
def cmd_xdel(c, argv):
    key = argv[1]
    stream = get_stream(c, key)
    if stream is None:
        return 0
    sids = [stream_id(raw, strict=True) for raw in argv[2:]]
    removed = stream.delete(sids)
    if removed:
        _removed(c, key, stream, removed, "xdel")
    return removed


@command("xlen", 2, "readonly fast", acl="stream", keys=[ks("RO", 1)], **STREAM)
def cmd_xlen(c, argv):
    stream = get_stream(c, argv[1], read=True)
    return 0 if stream is None else stream.length


def _xrange(c, argv, rev):
    start = range_start(argv[3] if rev else argv[2])
    end = range_end(argv[2] if rev else argv[3])
    count = -1
    i = 4
    while i < len(argv):
        if argv[i].lower() == b"count" and i + 1 < len(argv):
            count = max(0, to_int(argv[i + 1]))
            i += 2
        else:
            raise CommandError(errors.SYNTAX)
    stream = get_stream(c, argv[1], read=True)
    if stream is None:
        return []
    if count == 0:
        return NULL_ARRAY
    return stream.pairs(stream.range_ids(start, end, max(count, 0), rev))


@command("xrange", -4, "readonly", acl="stream", keys=[ks("RO access", 1)], **STREAM)
def cmd_xrange(c, argv):
    return _xrange(c, argv, False)


@command("xrevrange", -4, "readonly", acl="stream", keys=[ks("RO access", 1)], **STREAM)
def cmd_xrevrange(c, argv):
    return _xrange(c, argv, True)


def _xsetid_options(argv, sid):
    added, max_deleted = -1, 0
    i, n = 3, len(argv)
    while i < n:
        word = argv[i].lower()
        if word == b"entriesadded" and i + 1 < n:
            added = to_int(argv[i + 1])
            if added < 0:
                raise CommandError(errors.XSETID_ADDED_NEGATIVE)
        elif word == b"maxdeletedid" and i + 1 < n:
            max_deleted = stream_id(argv[i + 1], strict=True)
            if sid < max_deleted:
                raise CommandError(errors.XSETID_BELOW_MAXDELETED)
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return added, max_deleted


@command("xsetid", -3, "write denyoom fast", acl="stream", keys=[ks("RW update", 1)], **STREAM)
def cmd_xsetid(c, argv):
    sid = stream_id(argv[2], strict=True)
    added, max_deleted = _xsetid_options(argv, sid)
    stream = get_stream(c, argv[1])
    if stream is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if stream.ids:
        if sid < stream.ids[-1]:
            raise CommandError(errors.XSETID_SMALL)
        if added != -1 and stream.length > added:
            raise CommandError(errors.XSETID_ADDED_SMALL)
    stream.last_id = sid
    if added != -1:
        stream.entries_added = added
    if max_deleted:
        stream.max_deleted = max_deleted
    bump_dirty()
    c.db.notify("t", "xsetid", argv[1])
    return OK


# -- XREAD / XREADGROUP ---------------------------------------------------------------------
class ReadArgs:
    __slots__ = ("timeout", "count", "keys", "ids", "group", "consumer", "noack")

    def __init__(self):
        self.timeout = None             # BLOCK milliseconds (0 = forever), None: no BLOCK
        self.count = 0
        self.keys = self.ids = ()
        self.group = self.consumer = None
        self.noack = False


def _parse_read_options(argv, group_cmd):
    """XREAD / XREADGROUP options up to STREAMS -> (ReadArgs, index of the first key)."""
    a = ReadArgs()
    i, n = 1, len(argv)
    while i < n:
        word = argv[i].lower()
        more = n - i - 1
        if word == b"block" and more:
            i += 1
            a.timeout = to_int(argv[i], errors.TIMEOUT_NOT_INTEGER)
            if a.timeout < 0:
                raise CommandError(errors.NEGATIVE_TIMEOUT)
        elif word == b"count" and more:
            i += 1
            a.count = max(0, to_int(argv[i]))
        elif word == b"streams" and more:
            if (n - i - 1) % 2:
                raise CommandError(errors.XREAD_UNBALANCED)
            return a, i + 1
        elif word == b"group" and more >= 2:
            if not group_cmd:
                raise CommandError(errors.XREAD_GROUP_OPTION)
            a.group, a.consumer = argv[i + 1], argv[i + 2]
            i += 2
        elif word == b"noack":
            if not group_cmd:
                raise CommandError(errors.XREAD_NOACK_OPTION)
            a.noack = True
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    raise CommandError(errors.SYNTAX)


def parse_read(c, argv, group_cmd):
    """Parse XREAD / XREADGROUP and resolve every ID ("$" to the stream's last ID, ">"
    to MAX_ID), checking types and groups in Redis's order."""
    a, at = _parse_read_options(argv, group_cmd)
    if group_cmd and a.group is None:
        raise CommandError(errors.XREADGROUP_NO_GROUP)
    nkeys = (len(argv) - at) // 2
    a.keys = argv[at:at + nkeys]
    ids = []
    for key, raw in zip(a.keys, argv[at + nkeys:]):
        stream = get_stream(c, key)
        if a.group is not None and (stream is None or not stream.groups
                                    or a.group not in stream.groups):
            raise error_with(errors.XREADGROUP_NOGROUP, key, a.group)
        if raw == b"$":
            if group_cmd:
                raise CommandError(errors.XREADGROUP_DOLLAR)
            ids.append(stream.last_id if stream is not None else 0)
        elif raw == b">":
            if not group_cmd:
                raise CommandError(errors.XREAD_GT_ID)
            ids.append(MAX_ID)
        else:
            ids.append(stream_id(raw, strict=True))
    a.ids = ids
    return a


def error_with(template, *names):
    """An error naming keys / groups as Redis's %s prints them (up to a NUL byte)."""
    return CommandError(template.format(
        *(errors.c_string(raw).decode("utf-8", "replace") for raw in names)))


def read_streams(c, keys, ids, count, group=None, consumer=None, noack=False):
    """Serve an XREAD (group None) or XREADGROUP: ids are ints, MAX_ID standing for ">".
    Returns the reply, or None when no stream can serve anything yet (block, or reply
    a null array). A blocked reader calls it again when a key is signalled."""
    out = PairMap()
    if group is None:
        for key, gt in zip(keys, ids):
            stream = c.db.lookup_read(key)
            if type(stream) is StreamValue and stream.ids and stream.ids[-1] > gt:
                out.append((key, stream.pairs(stream.range_ids(gt + 1, MAX_ID, count))))
        return out or None
    from .stream_groups import read_group     # the group half lives with the groups
    effects = []
    for key, gt in zip(keys, ids):
        entries = read_group(c, key, gt, count, group, consumer, noack, effects)
        if entries is not None:
            out.append((key, entries))
            bump_dirty()
    c.propagate_as = effects
    return out or None


def _xread(c, argv, group_cmd):
    a = parse_read(c, argv, group_cmd)
    reply = read_streams(c, a.keys, a.ids, a.count, a.group, a.consumer, a.noack)
    if reply is not None:
        return reply
    if a.timeout is None:
        return NULL_ARRAY
    return block(c, a.keys, a.timeout, _blocked_retry(a), ends_when_gone=a.group is not None)


def _blocked_retry(a):
    """retry(c, key) for db/blocking.py: serve the one key signalled, as Redis serves a
    blocked reader (COUNT defaults to 1000; a group reads past its current last ID)."""
    count = a.count or 1000

    def retry(c, key):
        stream = c.db.lookup(key)
        if type(stream) is not StreamValue:
            if a.group is not None:            # deleted, or replaced by another type
                raise CommandError(errors.XREADGROUP_KEY_GONE)
            return None
        gt = a.ids[a.keys.index(key)]
        if a.group is not None:
            group = find_group(stream, a.group)
            if group is None:
                raise CommandError(errors.XREADGROUP_GROUP_GONE)
            gt = group.last_id
        if stream.last_id <= gt:
            return None
        return read_streams(c, [key], [MAX_ID if a.group is not None else gt], count,
                            a.group, a.consumer, a.noack)
    return retry


def _read_keys(startfrom, group_cmd):
    """Key positions exactly as parse_read() will use them, so the stripes locked are the
    keys read even when an option value is spelled "streams"; for input parse_read()
    rejects (no key is touched), the key spec's answer."""
    def positions(argv):
        try:
            at = _parse_read_options(argv, group_cmd)[1]
        except CommandError:
            at = next((i + 1 for i in range(startfrom, len(argv))
                       if argv[i].lower() == b"streams"), len(argv))
        return list(range(at, at + (len(argv) - at) // 2))
    return positions


@command("xread", -4, "readonly blocking", acl="stream",
         keys=[ks("RO access", keyword="STREAMS", startfrom=1, last=-1, limit=2)],
         getkeys=_read_keys(1, False), **STREAM)
def cmd_xread(c, argv):
    return _xread(c, argv, False)


@command("xreadgroup", -7, "write blocking", acl="stream",
         keys=[ks("RO access", keyword="STREAMS", startfrom=4, last=-1, limit=2)],
         getkeys=_read_keys(4, True), **STREAM)
def cmd_xreadgroup(c, argv):
    return _xread(c, argv, True)
