"""The stream node layout: stream entries packed into one listpack per radix-tree node.

A node is keyed by its master ID (16 bytes: ms then seq, both u64 big endian) and
holds a listpack of integers and strings:

    master entry: <count> <deleted> <num-fields> <field>... <0>
    each entry:   <flags> <ms-diff> <seq-diff> [<num-fields> <field> <value>]... <lp-count>
        with SAMEFIELDS (flag 2) the fields are the master's and only values follow:
                  <flags> <ms-diff> <seq-diff> <value>... <lp-count>
        DELETED (flag 1) marks an entry removed by XDEL; it stays in the listpack.
        lp-count = number of listpack items of the entry before lp-count
                   (N + 3 with SAMEFIELDS, 2N + 4 without).

count is the number of live entries, deleted the number flagged deleted; IDs are
deltas against the master ID (modulo 2^64). Appending follows XADD: the master
fields are the first entry's fields, and a node is closed once its listpack reaches
stream-node-max-bytes or holds stream-node-max-entries entries (live + deleted).
"""

from dataclasses import dataclass, field

from .formaterror import RDBFormatError
from .listpack import (decode_listpack, encode_entry, encode_listpack, entry_bytes,
                       strict_int64)

__all__ = [
    "StreamEntry", "StreamNode", "FLAG_DELETED", "FLAG_SAMEFIELDS",
    "decode_stream_listpack", "encode_stream_listpack", "encode_stream_id",
    "decode_stream_id", "split_stream_entries",
]

FLAG_NONE = 0
FLAG_DELETED = 1
FLAG_SAMEFIELDS = 2
_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class StreamEntry:
    ms: int
    seq: int
    fields: tuple[tuple[bytes, bytes], ...]
    deleted: bool = False


@dataclass(slots=True)
class StreamNode:
    master_ms: int
    master_seq: int
    live: int
    deleted: int
    master_fields: list[bytes]
    entries: list[StreamEntry] = field(default_factory=list)


def encode_stream_id(ms: int, seq: int) -> bytes:
    """The 16-byte big-endian form used for node keys and PEL entries."""
    return ms.to_bytes(8, "big") + seq.to_bytes(8, "big")


def decode_stream_id(raw, base: int = 0) -> tuple[int, int]:
    raw = bytes(raw)
    if len(raw) != 16:
        raise RDBFormatError(f"stream ID is {len(raw)} bytes, expected 16", base)
    return int.from_bytes(raw[:8], "big"), int.from_bytes(raw[8:], "big")


class _Cursor:
    """Walks the decoded listpack items; errors point at the listpack start."""

    __slots__ = ("items", "i", "base")

    def __init__(self, items: list, base: int) -> None:
        self.items, self.i, self.base = items, 0, base

    def next(self, what: str):
        if self.i >= len(self.items):
            raise RDBFormatError(f"stream listpack ends inside {what}", self.base)
        self.i += 1
        return self.items[self.i - 1]

    def integer(self, what: str) -> int:
        item = self.next(what)
        value = item if isinstance(item, int) else strict_int64(item)
        if value is None:
            raise RDBFormatError(f"stream listpack {what} is not an integer", self.base)
        return value

    def string(self, what: str) -> bytes:
        return entry_bytes(self.next(what))


def _decode_entry(cur: _Cursor, node: StreamNode) -> StreamEntry:
    flags = cur.integer("entry flags")
    ms = (node.master_ms + cur.integer("entry ms delta")) & _U64
    seq = (node.master_seq + cur.integer("entry seq delta")) & _U64
    if flags & FLAG_SAMEFIELDS:
        names = node.master_fields
        extra = 3
    else:
        count = cur.integer("entry field count")
        if count < 0:
            raise RDBFormatError("negative stream entry field count", cur.base)
        names, extra = None, count + 4
    pairs = []
    for j in range(len(names) if names is not None else count):
        name = names[j] if names is not None else cur.string("entry field")
        pairs.append((name, cur.string("entry value")))
    if cur.integer("entry lp-count") != len(pairs) + extra:
        raise RDBFormatError("stream entry lp-count mismatch", cur.base)
    return StreamEntry(ms, seq, tuple(pairs), bool(flags & FLAG_DELETED))


def decode_stream_listpack(data, master_id: tuple[int, int], base: int = 0) -> StreamNode:
    """All entries (deleted ones included, flagged) of one stream node listpack."""
    cur = _Cursor(decode_listpack(data, base), base)
    if not cur.items:
        raise RDBFormatError("empty listpack inside stream", base)
    live = cur.integer("master count")
    deleted = cur.integer("master deleted count")
    nfields = cur.integer("master field count")
    if live < 0 or deleted < 0 or nfields < 0:
        raise RDBFormatError("negative count in stream master entry", base)
    master = [cur.string("master field") for _ in range(nfields)]
    if cur.integer("master terminator") != 0:
        raise RDBFormatError("stream master entry not terminated by 0", base)
    node = StreamNode(master_id[0], master_id[1], live, deleted, master)
    for _ in range(live + deleted):
        node.entries.append(_decode_entry(cur, node))
    if cur.i != len(cur.items):
        raise RDBFormatError("trailing items after the last stream entry", base)
    return node


def _entry_items(entry: StreamEntry, master: tuple, master_id: tuple[int, int]) -> list:
    names = tuple(name for name, _ in entry.fields)
    flags = (FLAG_SAMEFIELDS if names == master else 0) | (FLAG_DELETED if entry.deleted else 0)
    ms_diff = _signed64(entry.ms - master_id[0])
    seq_diff = _signed64(entry.seq - master_id[1])
    items = [flags, ms_diff, seq_diff]
    if flags & FLAG_SAMEFIELDS:
        items += [value for _, value in entry.fields]
        items.append(len(names) + 3)
    else:
        items.append(len(names))
        for name, value in entry.fields:
            items += (name, value)
        items.append(2 * len(names) + 4)
    return items


def _signed64(v: int) -> int:
    v &= _U64
    return v - (1 << 64) if v >> 63 else v


def encode_stream_listpack(entries) -> tuple[tuple[int, int], bytes]:
    """(master ID, listpack) for a node holding `entries` (StreamEntry, in ID order).

    The master ID and master fields are those of the first entry, as XADD sets them.
    """
    entries = list(entries)
    if not entries:
        raise ValueError("a stream node needs at least one entry")
    first = entries[0]
    master_id = (first.ms, first.seq)
    master = tuple(name for name, _ in first.fields)
    deleted = sum(1 for e in entries if e.deleted)
    items = [len(entries) - deleted, deleted, len(master), *master, 0]
    for entry in entries:
        items += _entry_items(entry, master, master_id)
    return master_id, encode_listpack(items)


def split_stream_entries(entries, node_max_bytes: int = 4096,
                         node_max_entries: int = 100) -> list[list[StreamEntry]]:
    """Group live entries into nodes the way successive XADDs fill them.

    A new node starts when the current listpack's size plus the new entry's field
    and value bytes reaches node_max_bytes (0 = no limit up to 1 GiB), or when the
    node already holds node_max_entries entries (0 = no limit).
    """
    max_bytes = node_max_bytes if 0 < node_max_bytes <= (1 << 30) else (1 << 30)
    nodes: list[list[StreamEntry]] = []
    size = 0
    for entry in entries:
        if nodes:
            current = nodes[-1]
            incoming = sum(len(k) + len(v) for k, v in entry.fields)
            if size + incoming < max_bytes and (
                    not node_max_entries or len(current) < node_max_entries):
                size += _entry_size(entry, current) + _count_growth(len(current))
                current.append(entry)
                continue
        nodes.append([entry])
        size = len(encode_stream_listpack([entry])[1])
    return nodes


def _entry_size(entry: StreamEntry, node: list) -> int:
    first = node[0]
    master = tuple(name for name, _ in first.fields)
    items = _entry_items(entry, master, (first.ms, first.seq))
    return sum(len(encode_entry(item)) for item in items)


def _count_growth(live_before: int) -> int:
    """Extra bytes taken by the master count going from live_before to +1."""
    return len(encode_entry(live_before + 1)) - len(encode_entry(live_before))
