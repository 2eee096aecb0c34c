"""LCS: longest common subsequence of two strings, with LEN, IDX, MINMATCHLEN and
WITHMATCHLEN, walking the table back exactly as Redis does so IDX lists the same ranges."""

from array import array

from .. import errors
from ..errors import CommandError
from ..types import is_string
from .args import to_int
from .registry import command, ks

NOT_STRINGS = "ERR The specified keys must contain string values"


def _value(c, key):
    value = c.db.lookup_read(key)
    if value is None:
        return b""
    if not is_string(value):
        raise CommandError(NOT_STRINGS)
    return bytes(value)


def _table(a, b):
    """rows[i][j] = LCS length of a[:i] and b[:j]."""
    width = len(b) + 1
    rows = [array("I", bytes(4 * width))]
    for i in range(1, len(a) + 1):
        prev = rows[-1]
        row = array("I", bytes(4 * width))
        ch = a[i - 1]
        for j in range(1, width):
            if ch == b[j - 1]:
                row[j] = prev[j - 1] + 1
            else:
                up, left = prev[j], row[j - 1]
                row[j] = up if up > left else left
        rows.append(row)
    return rows


@command("lcs", -3, "readonly", acl="string", keys=[ks("RO access", 1, last=1)],
         group="string")
def cmd_lcs(c, argv):
    a, b = _value(c, argv[1]), _value(c, argv[2])   # as Redis: the types before the options
    want_len = want_idx = with_len = False
    min_len = 0
    i = 3
    while i < len(argv):
        word = argv[i].lower()
        if word == b"idx":
            want_idx = True
        elif word == b"len":
            want_len = True
        elif word == b"withmatchlen":
            with_len = True
        elif word == b"minmatchlen" and i + 1 < len(argv):
            min_len = max(0, to_int(argv[i + 1]))
            i += 1
        else:
            raise CommandError(errors.SYNTAX)
        i += 1
    if want_len and want_idx:
        raise CommandError("ERR If you want both the length and indexes, please just use IDX.")
    if (len(a) + 1) * (len(b) + 1) * 4 > c.server.config.proto_max_bulk_len:
        raise CommandError("ERR Insufficient memory, transient memory for LCS exceeds "
                           "proto-max-bulk-len")
    rows = _table(a, b)
    total = rows[len(a)][len(b)]
    if want_len:
        return total
    text, matches = _walk(a, b, rows, total, min_len, with_len)
    if want_idx:
        return {b"matches": matches, b"len": total}
    return bytes(text)


def _walk(a, b, rows, total, min_len, with_len):
    alen = len(a)
    text = bytearray(total)
    matches = []
    i, j, idx = len(a), len(b), total
    a_start = a_end = b_start = b_end = alen
    a_start = alen
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            text[idx - 1] = a[i - 1]
            if a_start == alen:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if rows[i - 1][j] > rows[i][j - 1]:
                i -= 1
            else:
                j -= 1
            if a_start != alen:
                emit = True
        if emit:
            length = a_end - a_start + 1
            if min_len == 0 or length >= min_len:
                match = [[a_start, a_end], [b_start, b_end]]
                if with_len:
                    match.append(length)
                matches.append(match)
            a_start = alen
    return text, matches
