"""Shared argument parsing: integers, floats, timeouts, glob patterns, option words.
Everything raises CommandError with Redis's text."""

import math
import re

from .. import errors
from ..errors import CommandError
from ..threadstate import peek

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


U64_MAX = (1 << 64) - 1
_CURSOR = re.compile(rb"[+-]?[0-9]*")


def parse_scan_cursor(raw):
    """A SCAN-family cursor as Redis's parseScanCursorOrReply reads it with strtoul: an
    optional sign, digits up to the first NUL ("" is 0), negatives wrapped, more than
    64 bits or anything else -> invalid cursor."""
    text = errors.c_string(raw)
    if not _CURSOR.fullmatch(text) or text in (b"+", b"-"):
        raise CommandError(errors.INVALID_CURSOR)
    digits = text.lstrip(b"+-").lstrip(b"0")        # short before int() sees it
    value = 0 if not digits else int(digits) if len(digits) <= 20 else U64_MAX + 1
    if value > U64_MAX:
        raise CommandError(errors.INVALID_CURSOR)
    return (-value if text[:1] == b"-" else value) & U64_MAX


def to_int(raw, error=errors.NOT_INTEGER):
    """Redis's string2ll: optional '-', digits, no '+', no spaces, no leading zeros
    (except '0' itself), within int64. More than 20 characters never fit (and int() of
    more than 4300 digits raises, so it must not see them)."""
    if len(raw) > 20:
        raise CommandError(error)
    if raw.isdigit():
        if (raw[0] == 48 and len(raw) > 1) or len(raw) > 18:
            if raw[0] == 48 or int(raw) > INT64_MAX:
                raise CommandError(error)
        return int(raw)
    if raw[:1] == b"-" and raw[1:].isdigit() and raw[1] != 48:
        value = -int(raw[1:])
        if value < INT64_MIN:
            raise CommandError(error)
        return value
    raise CommandError(error)


def to_int_or_none(raw):
    try:
        return to_int(raw)
    except CommandError:
        return None


def to_nonneg_int(raw, error=errors.MUST_BE_POSITIVE):
    value = to_int(raw)
    if value < 0:
        raise CommandError(error)
    return value


_FLOAT_RE = re.compile(rb"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity)",
                       re.IGNORECASE)


def to_float(raw, error=errors.NOT_FLOAT):
    """Redis's strtod-based parsing: no spaces, no NaN; inf and -inf accepted."""
    if not _FLOAT_RE.fullmatch(raw):
        raise CommandError(error)
    value = float(raw)
    if value != value:
        raise CommandError(error)
    return value


def is_float_text(raw):
    return bool(_FLOAT_RE.fullmatch(raw))


def to_timeout(raw):
    """Blocking timeout in seconds (float) -> absolute deadline offset; 0 means forever."""
    try:
        value = to_float(raw, errors.TIMEOUT_NOT_FLOAT)
    except CommandError:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT) from None
    if value < 0:
        raise CommandError(errors.NEGATIVE_TIMEOUT)
    if math.isinf(value):
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    return value


def lower(raw):
    return raw.lower()


# -- glob patterns (Redis's stringmatchlen) ------------------------------------------------
_PATTERNS = {}      # shared by every loop, unlocked: entries are immutable matchers and a
                    # lost insert (or a clear() racing one) only means compiling again


def glob_matcher(pattern, nocase=False):
    """A compiled matcher with Redis's glob rules: * ? [abc] [^a] [a-z] and \\x escapes."""
    key = (pattern, nocase)
    m = peek(_PATTERNS, key)       # shared by every loop: not dict.get
    if m is None:
        if pattern == b"*":
            m = _match_all
        else:
            flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
            m = re.compile(_glob_to_regex(pattern), flags).fullmatch
        if len(_PATTERNS) > 1000:
            _PATTERNS.clear()
        _PATTERNS[key] = m
    return m


def _match_all(_text):
    return True


def _glob_to_regex(pat):
    """Redis's matcher commits to the first place the part after a * matches (when the
    rest fails from there, it fails from anywhere later too): each middle part becomes
    an atomic group, so a pattern like a*a*a*...b costs time linear in its parts, not
    exponential, as it does with plain .* backtracking."""
    parts = [[]]                                  # the pattern split at its * runs
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == 42:  # *
            while i + 1 < n and pat[i + 1] == 42:
                i += 1
            parts.append([])
        elif c == 63:  # ?
            parts[-1].append(b".")
        elif c == 91:  # [
            i, cls = _glob_class(pat, i + 1)
            parts[-1].append(cls)
        elif c == 92 and i + 1 < n:  # backslash escape
            i += 1
            parts[-1].append(re.escape(pat[i:i + 1]))
        else:
            parts[-1].append(re.escape(pat[i:i + 1]))
        i += 1
    parts = [b"".join(part) for part in parts]
    if len(parts) == 1:
        return parts[0]
    middle = b"".join(b"(?>.*?" + part + b")" for part in parts[1:-1])
    return parts[0] + middle + b".*" + parts[-1]


def _glob_class(pat, i):
    """Parse a [...] class starting after '['; returns (index of ']', regex)."""
    n = len(pat)
    negate = i < n and pat[i] == 94
    if negate:
        i += 1
    items = []
    while i < n and pat[i] != 93:
        if pat[i] == 92 and i + 1 < n:
            i += 1
            items.append(re.escape(pat[i:i + 1]))
        elif i + 2 < n and pat[i + 1] == 45:       # a range; "]" can end one, as in Redis
            lo, hi = pat[i], pat[i + 2]
            if lo > hi:
                lo, hi = hi, lo
            items.append(re.escape(bytes([lo])) + b"-" + re.escape(bytes([hi])))
            i += 2
        else:
            items.append(re.escape(pat[i:i + 1]))
        i += 1
    # an unterminated class ends at the pattern's end, as in Redis
    body = b"".join(items)
    if not body:
        return i, (b"[^\\x00-\\xff]" if not negate else b"[\\x00-\\xff]")
    return i, b"[" + (b"^" if negate else b"") + body + b"]"


class Options:
    """Walks optional words after the fixed arguments of a command."""

    __slots__ = ("argv", "i")

    def __init__(self, argv, start):
        self.argv = argv
        self.i = start

    def __bool__(self):
        return self.i < len(self.argv)

    def word(self):
        w = self.argv[self.i].lower()
        self.i += 1
        return w

    def has_value(self, count=1):
        return self.i + count <= len(self.argv)

    def value(self):
        if self.i >= len(self.argv):
            raise CommandError(errors.SYNTAX)
        v = self.argv[self.i]
        self.i += 1
        return v


def expire_at_ms(raw, unit_ms, relative, command, now):
    """Absolute expiry in ms from an EX / PX / EXAT / PXAT style argument, with Redis's
    checks: an integer, > 0, no overflow (else 'invalid expire time in <cmd>')."""
    value = to_int(raw)
    invalid = errors.INVALID_EXPIRE.format(command)
    if value <= 0 or (unit_ms == 1000 and value > INT64_MAX // 1000):
        raise CommandError(invalid)
    ms = value * unit_ms
    if relative:
        ms += now
        if ms > INT64_MAX:
            raise CommandError(invalid)
    return ms
