"""COMMAND INFO / COUNT / LIST / GETKEYS agree with redis-server 7.0 for every command
keydb-ft implements that redis-server 7.0 also has."""

import pytest

from conftest import raw_reply

# keydb-ft commands that redis-server 7.0 does not have (KeyDB extensions, newer Redis)
EXTRA = {b"expiremember", b"expirememberat", b"pexpirememberat", b"hexpire", b"hpexpire",
         b"hexpireat", b"hpexpireat", b"httl", b"hpttl", b"hexpiretime", b"hpexpiretime",
         b"hpersist", b"client|setinfo", b"keydb.cron", b"keydb.mexists"}


def _by_name(info):
    out = {}
    for entry in info:
        out[entry[0]] = entry
        for sub in entry[9]:
            out[sub[0]] = sub
    return out


def _shape(entry):
    """The comparable part of an entry: everything but key-spec notes and subcommands."""
    name, arity, flags, first, last, step, acl, tips, specs = entry[:9]
    specs = [{k: v for k, v in dict(zip(s[0::2], s[1::2])).items() if k != b"notes"}
             if isinstance(s, list) else {k: v for k, v in s.items() if k != b"notes"}
             for s in specs]
    return (name, arity, sorted(flags), first, last, step, sorted(acl), sorted(tips), specs)


def test_command_info_matches_redis(r, real):
    ours = _by_name(raw_reply(r, "COMMAND"))
    theirs = _by_name(raw_reply(real, "COMMAND"))
    unknown = set(ours) - set(theirs) - EXTRA
    assert not unknown, f"commands redis 7.0 does not know: {sorted(unknown)}"
    bad = [(name, _shape(ours[name]), _shape(theirs[name]))
           for name in sorted(set(ours) & set(theirs))
           if _shape(ours[name]) != _shape(theirs[name])]
    assert not bad, "\n".join(f"{n}:\n  ours   {a}\n  theirs {b}" for n, a, b in bad)


def test_flags_are_in_redis_order(r, real):
    ours = _by_name(raw_reply(r, "COMMAND"))
    theirs = _by_name(raw_reply(real, "COMMAND"))
    for name in set(ours) & set(theirs):
        assert ours[name][2] == theirs[name][2], name


@pytest.mark.parametrize("args", [
    ("SET", "a", "b"), ("MSET", "a", "1", "b", "2"), ("DEL", "a", "b", "c"),
    ("RENAME", "x", "y"), ("COPY", "a", "b", "DB", "1"), ("LCS", "k1", "k2"),
    ("MGET", "a", "b"), ("OBJECT", "ENCODING", "k"), ("EXPIRE", "k", "10"),
])
def test_getkeys_matches_redis(diff, args):
    diff("COMMAND", "GETKEYS", *args)
    diff("COMMAND", "GETKEYSANDFLAGS", *args)


def test_getkeys_errors(diff):
    diff("COMMAND", "GETKEYS", "PING")
    diff("COMMAND", "GETKEYS", "NOSUCH", "a")
    diff("COMMAND", "GETKEYS", "GET")
    diff("COMMAND", "INFO", "get", "nosuch")


def test_command_count_and_list_consistent(r):
    count = raw_reply(r, "COMMAND", "COUNT")
    info = raw_reply(r, "COMMAND")
    assert count == len(info)
    names = set(raw_reply(r, "COMMAND", "LIST"))
    assert {b"get", b"set", b"config|get", b"client|list"} <= names
    filtered = raw_reply(r, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "string")
    assert b"get" in filtered and b"del" not in filtered
    assert set(raw_reply(r, "COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*")) >= {
        b"config|get", b"config|set"}
