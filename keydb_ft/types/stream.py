"""A stream as Redis 7.0 keeps it: entries ordered by ID, packed into nodes.

IDs are single ints, ``ms << 64 | seq``: comparing, bisecting and sorting them is plain
integer work, and ``format_id`` / ``parse_id`` convert to and from ``b"ms-seq"``.

Entries. ``ids`` is the sorted list of live IDs and ``entries`` maps an ID to the pair
``[b"ms-seq", [field, value, ...]]``: exactly how XRANGE / XREAD show an entry, built once
by XADD and never changed, so replies and copies share it instead of formatting IDs.
Why this shape: XADD is a list append and a dict insert; XRANGE / XREAD are two bisects
and a slice; trimming removes a prefix with one slice deletion; XDEL of an entry in the
middle is one bisect plus a memmove of the ID list, cheap next to the per-entry work of
building a reply. A tree or skip list would only win for XDEL-heavy loads on huge streams.

Nodes. Redis packs entries into listpacks ("nodes") of at most stream-node-max-entries
entries (live + deleted) and stream-node-max-bytes bytes, keyed in a radix tree by their
first ID. Approximate trimming (MAXLEN ~ / MINID ~) removes whole nodes only, exact
trimming and XDEL leave flagged entries inside the node, and XINFO STREAM reports the
radix tree's size, so every StreamNode tracks what decides those answers: its master ID
and fields, live and deleted counts, the last ID it ever held and its listpack's size in
bytes (computed with listpack's encoding rules, never built).

Groups (stream_groups.py) hang off ``groups`` (name -> Group, or None).
A StreamValue is guarded by the stripe lock of its key like every other value.
"""

import re
from bisect import bisect_left, bisect_right

from . import register_encoding, register_type

U64 = (1 << 64) - 1
MAX_ID = (1 << 128) - 1
LISTPACK_MAX = 1 << 30          # STREAM_LISTPACK_MAX_SIZE
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


class StreamIDError(Exception):
    """XADD cannot use the ID: kind is "small" (not above the top item), "exhausted"
    (the top item is the last possible ID) or "large" (Redis's ERANGE/errno path)."""

    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


def make_id(ms, seq):
    return ms << 64 | seq


def format_id(sid):
    return b"%d-%d" % (sid >> 64, sid & U64)


_STRTOULL = re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]+)")
_CANONICAL = re.compile(rb"-?[1-9][0-9]*|0")


def _u64(raw):
    """Redis's string2ull: string2ll when the text is a canonical int64 (negatives are
    invalid), else strtoull's rules (leading spaces, a sign, leading zeros)."""
    if raw.isdigit():
        value = int(raw)
        return value if value <= U64 else None
    m = _STRTOULL.fullmatch(raw)
    if m is None:
        return None
    value = int(m[2])
    if value > U64 or (m[1] == b"-" and _CANONICAL.fullmatch(raw) and -value >= _INT64_MIN):
        return None
    return (-value) & U64 if m[1] == b"-" else value


def parse_id(raw, missing_seq=0, strict=False, allow_auto_seq=False):
    """Redis's streamGenericParseIDOrReply. Returns the ID int, None if invalid, or with
    allow_auto_seq a "ms-*" form as (ms, None). "-" / "+" are 0-0 / max unless strict."""
    if len(raw) > 127:
        return None
    if b"\0" in raw:
        raw = raw[:raw.index(b"\0")]
    if raw == b"-" or raw == b"+":
        if strict:
            return None
        return 0 if raw == b"-" else MAX_ID
    head, dash, tail = raw.partition(b"-")
    ms = _u64(head)
    if ms is None:
        return None
    if not dash:
        return ms << 64 | missing_seq
    if allow_auto_seq and tail == b"*":
        return (ms, None)
    seq = _u64(tail)
    return None if seq is None else ms << 64 | seq


# -- listpack sizes ------------------------------------------------------------------------
def _int_size(v):
    """Bytes of a listpack integer item (encoding + backlen)."""
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -2147483648 <= v <= 2147483647:
        return 6
    return 10


def _as_int64(s):
    """The int64 that s is the canonical decimal text of (as lpStringToInt64), else None."""
    if s.isdigit():
        if (s[0] == 48 and len(s) > 1) or (len(s) >= 19 and int(s) > _INT64_MAX):
            return None
        return int(s)
    if s[:1] == b"-" and s[1:].isdigit() and s[1] != 48:
        value = -int(s[1:])
        return value if value >= _INT64_MIN else None
    return None


def item_size(s):
    """Bytes a string takes as a listpack item: as an integer when it reads as one."""
    n = len(s)
    if n <= 20 and n and 45 <= s[0] <= 57:          # may be "-123" or "123"
        v = _as_int64(s)
        if v is not None:
            return _int_size(v)
    if n <= 63:
        return n + 2                                # 1-byte header, 1-byte backlen
    enc = n + (2 if n <= 4095 else 5)
    return enc + (1 if enc <= 127 else 2 if enc < 16383 else 3 if enc < 2097151
                  else 4 if enc < 268435455 else 5)


def _signed64(v):
    """A difference of two uint64 as listpack stores it: an int64 (two's complement)."""
    if -_INT64_MAX <= v <= _INT64_MAX:
        return v
    v &= U64
    return v - (1 << 64) if v >> 63 else v


class StreamNode:
    """One listpack of the radix tree: what trimming, appending and XINFO need."""

    __slots__ = ("master", "fields", "live", "deleted", "last", "body")

    def __init__(self, master, fields):
        self.master = master            # ID of the first entry ever appended (the key)
        self.fields = fields            # the master entry's field names (a list)
        self.live = 0
        self.deleted = 0                # entries flagged deleted, still in the listpack
        self.last = master              # last ID appended, deleted or not
        # master entry minus its two counters: num-fields, fields, the 0 terminator
        self.body = _int_size(len(fields)) + sum(map(item_size, fields)) + 2

    def lp_bytes(self):
        """lpBytes(): header (6) + end byte (1) + the two counters + everything else."""
        return 7 + _int_size(self.live) + _int_size(self.deleted) + self.body

    def append(self, sid, fields):
        """Account for an entry: flags, ID deltas, [num-fields, fields,] values, lp-count
        (fields are left out when they are the master entry's: SAMEFIELDS)."""
        master = self.master
        d = (sid >> 64) - (master >> 64)
        size = 4 if 0 <= d <= 127 else 2 + _int_size(_signed64(d))     # flags, ms delta
        d = (sid & U64) - (master & U64)
        size += 2 if 0 <= d <= 127 else _int_size(_signed64(d))         # seq delta
        names = fields[0::2]
        n = len(names)
        if names == self.fields:
            size += sum(map(item_size, fields[1::2])) + _int_size(n + 3)
        else:
            size += _int_size(n) + sum(map(item_size, fields)) + _int_size(2 * n + 4)
        self.body += size
        self.live += 1
        self.last = sid

    def copy(self):
        node = StreamNode.__new__(StreamNode)
        node.master, node.fields, node.live = self.master, self.fields, self.live
        node.deleted, node.last, node.body = self.deleted, self.last, self.body
        return node


class StreamValue:
    __slots__ = ("ids", "entries", "nodes", "node_keys", "last_id", "first_id",
                 "max_deleted", "entries_added", "groups")

    def __init__(self):
        self.ids = []                   # live entry IDs, ascending
        self.entries = {}               # ID -> [b"ms-seq", [field, value, ...]]
        self.nodes = []                 # StreamNode in ID order
        self.node_keys = []             # their master IDs, for bisect
        self.last_id = 0
        self.first_id = 0               # recorded first entry (0 when empty)
        self.max_deleted = 0            # max_deleted_entry_id
        self.entries_added = 0
        self.groups = None              # name -> Group (stream_groups.py)

    def __bool__(self):
        return True                     # an empty stream is still a key

    @property
    def length(self):
        return len(self.ids)

    # -- adding ---------------------------------------------------------------------------
    def next_id(self, given, now):
        """The ID XADD appends with: given None for "*", an int, or (ms, None) for
        "ms-*". Raises StreamIDError as streamAppendItem fails."""
        last = self.last_id
        if last == MAX_ID:
            raise StreamIDError("exhausted")
        if given is None:
            if now > last >> 64:
                return now << 64
            return last + 1
        if type(given) is tuple:
            ms = given[0]
            if ms == last >> 64:
                if last & U64 == U64:
                    raise StreamIDError("large")
                return last + 1
            given = ms << 64
        if given <= last:
            raise StreamIDError("small")
        return given

    def append(self, sid, fields, max_bytes=4096, max_entries=100):
        """Add an entry with an ID above last_id, into the tail node if it fits.
        Returns the entry's [b"ms-seq", fields] pair."""
        total = sum(map(len, fields))
        if total > LISTPACK_MAX:
            raise StreamIDError("large")
        nodes = self.nodes
        tail = nodes[-1] if nodes else None
        if tail is not None:
            limit = max_bytes if 0 < max_bytes <= LISTPACK_MAX else LISTPACK_MAX
            if tail.lp_bytes() + total >= limit or (
                    max_entries and tail.live + tail.deleted >= max_entries):
                tail = None
        if tail is None:
            tail = StreamNode(sid, fields[0::2])
            nodes.append(tail)
            self.node_keys.append(sid)
        tail.append(sid, fields)
        self.ids.append(sid)
        pair = self.entries[sid] = [format_id(sid), fields]
        self.last_id = sid
        self.entries_added += 1
        if len(self.ids) == 1:
            self.first_id = sid
        return pair

    def load_node(self, master, fields, entries, lp_bytes):
        """Rebuild a node as an RDB holds it: entries are (id, [field, value, ...],
        deleted) in ID order, lp_bytes the size of its listpack. The caller then sets
        last_id, first_id, max_deleted, entries_added and groups from the RDB."""
        node = StreamNode(master, list(fields))
        for sid, flat, deleted in entries:
            node.last = sid
            if deleted:
                node.deleted += 1
            else:
                node.live += 1
                self.ids.append(sid)
                self.entries[sid] = [format_id(sid), flat]
        node.body = lp_bytes - 7 - _int_size(node.live) - _int_size(node.deleted)
        self.nodes.append(node)
        self.node_keys.append(master)

    # -- reading --------------------------------------------------------------------------
    def range_ids(self, start, end, count=0, rev=False):
        """Live IDs in [start, end], at most count (0 = all), ascending or descending."""
        ids = self.ids
        lo = bisect_left(ids, start)
        hi = bisect_right(ids, end)
        if lo >= hi:
            return []
        if not rev:
            return ids[lo:min(hi, lo + count)] if count else ids[lo:hi]
        if count and hi - lo > count:
            lo = hi - count
        return ids[hi - 1:lo - 1 if lo else None:-1]

    def exists(self, sid):
        return sid in self.entries

    def pairs(self, sids):
        """The [id, fields] pairs of live IDs (the reply of XRANGE and friends)."""
        entries = self.entries
        return [entries[sid] for sid in sids]

    def last_valid(self):
        return self.ids[-1] if self.ids else 0

    # -- deleting -------------------------------------------------------------------------
    def _node_index(self, sid):
        return bisect_right(self.node_keys, sid) - 1

    def delete(self, sids):
        """XDEL: remove the live entries among sids; returns how many were removed."""
        entries = self.entries
        removed = 0
        first_gone = False
        for sid in sids:
            if entries.pop(sid, None) is None:
                continue
            ids = self.ids
            del ids[bisect_left(ids, sid)]
            i = self._node_index(sid)
            node = self.nodes[i]
            if node.live == 1:
                del self.nodes[i]
                del self.node_keys[i]
            else:
                node.live -= 1
                node.deleted += 1
            first_gone = first_gone or sid == self.first_id
            if sid > self.max_deleted:
                self.max_deleted = sid
            removed += 1
        if removed:
            if not self.ids:
                self.first_id = 0
            elif first_gone:
                self.first_id = self.ids[0]
        return removed

    def trim(self, maxlen=None, minid=None, approx=False, limit=0):
        """streamTrim: by MAXLEN (maxlen) or MINID (minid); approx removes whole nodes
        only; limit (0 = none) caps the entries removed. Returns the number removed."""
        nodes = self.nodes
        length = len(self.ids)
        removed = 0                     # live entries gone: a prefix of self.ids
        whole = 0                       # nodes removed from the head
        for node in nodes:
            if maxlen is not None and length - removed <= maxlen:
                break
            if limit and removed + node.live > limit:
                break
            if maxlen is not None:
                drop = length - removed - node.live >= maxlen
            else:
                drop = node.last < minid
            if drop:
                removed += node.live
                whole += 1
                continue
            if not approx:
                if maxlen is not None:
                    marked = length - removed - maxlen
                else:
                    marked = bisect_left(self.ids, minid) - removed
                node.live -= marked
                node.deleted += marked
                removed += marked
            break
        if whole:
            del nodes[:whole]
            del self.node_keys[:whole]
        if removed:
            entries = self.entries
            for sid in self.ids[:removed]:
                del entries[sid]
            del self.ids[:removed]
            self.first_id = self.ids[0] if self.ids else 0
        return removed

    # -- introspection ----------------------------------------------------------------------
    def rax_nodes(self):
        """Nodes of Redis's radix tree over the 16-byte node keys (XINFO radix-tree-nodes):
        the root, every leaf, every branching prefix and every child of one."""
        keys = [k.to_bytes(16, "big") for k in self.node_keys]
        seen = {b""}
        seen.update(keys)
        for a, b in zip(keys, keys[1:]):
            d = 0
            while a[d] == b[d]:
                d += 1
            seen.add(a[:d])
            seen.add(a[:d + 1])
            seen.add(b[:d + 1])
        return len(seen)

    def copy(self):
        new = StreamValue()
        new.ids = self.ids[:]
        new.entries = dict(self.entries)
        new.nodes = [node.copy() for node in self.nodes]
        new.node_keys = self.node_keys[:]
        new.last_id, new.first_id = self.last_id, self.first_id
        new.max_deleted, new.entries_added = self.max_deleted, self.entries_added
        if self.groups:
            new.groups = {name: group.copy() for name, group in self.groups.items()}
        return new


register_type(StreamValue, "stream")
register_encoding(StreamValue, lambda value, config: "stream")
