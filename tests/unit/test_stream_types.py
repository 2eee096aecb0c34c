"""keydb_ft.types.stream / stream_groups as pure data structures: listpack sizes agree with
the RDB listpack encoder byte for byte, ID parsing follows string2ull, trimming and XDEL
keep the node bookkeeping consistent, copies are deep."""

from hypothesis import given, settings
from hypothesis import strategies as st

from keydb_ft.persistence.listpack import encode_entry
from keydb_ft.persistence.streamlp import (StreamEntry, decode_stream_listpack,
                                           encode_stream_listpack)
from keydb_ft.types.stream import (MAX_ID, U64, StreamIDError, StreamNode, StreamValue, format_id,
                                   item_size, make_id, parse_id)
from keydb_ft.types.stream_groups import Group, estimate_read, lag

_TEXT = st.one_of(
    st.binary(max_size=80), st.integers(-(1 << 63), (1 << 63) - 1).map(lambda v: b"%d" % v),
    st.integers(0, 1 << 70).map(lambda v: b"%d" % v), st.sampled_from([b"-0", b"01", b"+1", b" 1"]),
    st.integers(60, 5000).map(lambda n: b"x" * n))


@given(_TEXT)
def test_item_size_matches_the_listpack_encoder(raw):
    assert item_size(raw) == len(encode_entry(raw))


_FIELDS = st.lists(st.tuples(st.sampled_from([b"a", b"b", b"12", b"-3"]), _TEXT),
                   min_size=1, max_size=4)


@settings(max_examples=150)
@given(st.lists(st.tuples(st.integers(0, 1 << 40), st.integers(0, U64), _FIELDS, st.booleans()),
                min_size=1, max_size=30), st.integers(0, 1 << 40), st.integers(0, U64))
def test_node_bytes_match_an_encoded_stream_listpack(rows, base_ms, base_seq):
    entries, ms = [], base_ms
    for step, seq, fields, deleted in rows:
        ms += step % 3
        entries.append(StreamEntry(ms, (base_seq + seq) & U64, tuple(fields), deleted))
    entries = sorted({(e.ms, e.seq): e for e in entries}.values(), key=lambda e: (e.ms, e.seq))
    master, lp = encode_stream_listpack(entries)
    first = entries[0]
    node = StreamNode(make_id(*master), [name for name, _ in first.fields])
    for e in entries:
        node.append(make_id(e.ms, e.seq), [x for pair in e.fields for x in pair])
        if e.deleted:
            node.live -= 1
            node.deleted += 1
    assert node.lp_bytes() == len(lp)
    rebuilt = StreamValue()
    decoded = decode_stream_listpack(lp, master)
    rebuilt.load_node(make_id(*master), decoded.master_fields,
                      [(make_id(e.ms, e.seq), [x for p in e.fields for x in p], e.deleted)
                       for e in decoded.entries], len(lp))
    copy = rebuilt.nodes[0]
    assert (copy.live, copy.deleted, copy.last, copy.lp_bytes()) == \
        (node.live, node.deleted, node.last, node.lp_bytes())
    assert rebuilt.ids == [make_id(e.ms, e.seq) for e in entries if not e.deleted]


def test_parse_id_forms():
    assert parse_id(b"5") == make_id(5, 0)
    assert parse_id(b"5", missing_seq=U64) == make_id(5, U64)
    assert parse_id(b"-") == 0 and parse_id(b"+") == MAX_ID
    assert parse_id(b"-", strict=True) is None and parse_id(b"+", strict=True) is None
    assert parse_id(b"7-*", allow_auto_seq=True) == (7, None) and parse_id(b"7-*") is None
    assert parse_id(b"0001-2") == make_id(1, 2)             # strtoull: leading zeros
    assert parse_id(b" 3-+4") == make_id(3, 4)               # strtoull: space, sign
    assert parse_id(b"1--5") is None                         # string2ll: negative
    assert parse_id(b"1- -5") == make_id(1, (1 << 64) - 5)    # strtoull wraps
    assert parse_id(b"18446744073709551616") is None and parse_id(b"1-") is None
    assert parse_id(b"1-1\x00junk") == make_id(1, 1)           # C string: stops at NUL
    assert format_id(make_id(U64, U64)) == b"18446744073709551615-18446744073709551615"


def _stream(n, max_entries=3):
    s = StreamValue()
    for i in range(1, n + 1):
        s.append(make_id(i, 0), [b"f", b"%d" % i], 4096, max_entries)
    return s


def test_next_id_errors_and_auto_sequence():
    s = _stream(2)
    assert s.next_id(None, 1) == make_id(2, 1)
    assert s.next_id((2, None), 0) == make_id(2, 1)
    for given, kind in ((make_id(2, 0), "small"), ((1, None), "small")):
        try:
            s.next_id(given, 0)
            raise AssertionError("accepted")
        except StreamIDError as exc:
            assert exc.kind == kind
    s.last_id = MAX_ID
    try:
        s.next_id(None, 0)
        raise AssertionError("accepted")
    except StreamIDError as exc:
        assert exc.kind == "exhausted"


def test_trim_and_delete_keep_nodes_consistent():
    s = _stream(10)                                  # nodes of 3: [1-3] [4-6] [7-9] [10]
    assert [n.live for n in s.nodes] == [3, 3, 3, 1]
    assert s.trim(maxlen=8, approx=True) == 0        # would have to split [1-3]
    assert s.trim(maxlen=7, approx=True) == 3
    assert s.trim(maxlen=5) == 2 and [n.live for n in s.nodes] == [1, 3, 1]
    assert s.nodes[0].deleted == 2 and s.first_id == make_id(6, 0)
    assert s.delete([make_id(6, 0), make_id(6, 0), make_id(99, 0)]) == 1
    assert [n.master for n in s.nodes] == [make_id(7, 0), make_id(10, 0)]
    assert s.max_deleted == make_id(6, 0) and s.first_id == make_id(7, 0)
    assert s.trim(minid=make_id(9, 0)) == 2 and s.nodes[0].live == 1
    assert s.pairs(s.ids) == [[b"9-0", [b"f", b"9"]], [b"10-0", [b"f", b"10"]]]
    assert s.range_ids(0, MAX_ID, 1, rev=True) == [make_id(10, 0)]
    assert s.range_ids(0, make_id(9, 0), 5) == [make_id(9, 0)]
    assert s.range_ids(make_id(10, 0), MAX_ID, 5, rev=True) == [make_id(10, 0)]


def test_copy_is_deep_and_groups_follow():
    s = _stream(5)
    s.groups = {b"g": Group(make_id(2, 0), 2)}
    group = s.groups[b"g"]
    consumer, created = group.consumer(b"c", 100)
    assert created
    group.assign(make_id(1, 0), consumer, 100)
    group.assign(make_id(2, 0), consumer, 100)
    dup = s.copy()
    s.delete([make_id(1, 0)])
    group.ack(make_id(2, 0))
    dgroup = dup.groups[b"g"]
    assert dup.length == 5 and sorted(dgroup.pel) == [make_id(1, 0), make_id(2, 0)]
    assert dgroup.consumers[b"c"].pel[make_id(2, 0)] is dgroup.pel[make_id(2, 0)]
    assert dgroup.delete_consumer(b"c") == 2 and dgroup.pel_ids == []
    assert lag(dup, dgroup) == 3 and estimate_read(s, make_id(5, 0)) == 5
