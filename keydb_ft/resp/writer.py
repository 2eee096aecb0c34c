"""Reply encoding: the ONLY place that knows RESP2 from RESP3.

Handlers return plain Python values; encode() turns them into bytes for the client's
protocol version:

    bytes / bytearray / memoryview -> bulk string      str        -> simple string (+OK)
    int                            -> integer           bool       -> boolean (RESP2: 1/0)
    float                          -> double (RESP2: bulk, Redis's %.17g)
    DoubleText (bytes)             -> double with the given digits (RESP2: bulk)
    None                           -> null bulk (RESP3: null)
    NULL_ARRAY                     -> null array (RESP3: null)
    list / tuple                   -> array             dict       -> map (RESP2: flat array)
    PairMap [(k, v)]               -> map (RESP2: array of [key, value] arrays)
    set / frozenset                -> set (RESP2: array)
    Error                          -> error             Verbatim   -> verbatim (RESP2: bulk)
    Push                           -> push (RESP2: array)
    Raw                            -> these bytes as they are
    No type makes a RESP3 attribute: only DEBUG PROTOCOL attrib sends one, as Raw bytes.
"""

import math


class Error(str):
    """An error reply; the text starts with its code, e.g. 'ERR syntax error'."""
    __slots__ = ()


class Verbatim(str):
    """A verbatim string (RESP3 '=' with the 'txt' format); a bulk string in RESP2."""
    __slots__ = ()


class Push(list):
    """An out-of-band push message (pub/sub, invalidations); an array in RESP2."""
    __slots__ = ()


class SetReply(list):
    """An ordered set: RESP3 '~' keeping the given order; an array in RESP2."""
    __slots__ = ()


class PairMap(list):
    """A list of (key, value) pairs: a map in RESP3 (repeats allowed), an array of
    [key, value] arrays in RESP2 (XREAD's reply)."""
    __slots__ = ()


class DoubleText(bytes):
    """A double whose digits the handler chose (GEOPOS's human format): RESP3 ',text',
    a bulk string in RESP2."""
    __slots__ = ()


class Raw(bytes):
    """Bytes already encoded for this client (the replies inside EXEC's array)."""
    __slots__ = ()


class _NullArray:
    __slots__ = ()

    def __repr__(self):
        return "NULL_ARRAY"


NULL_ARRAY = _NullArray()
OK = "OK"
QUEUED = "QUEUED"


def format_double(value):
    """Redis 7.0's double text: inf / -inf / nan, otherwise %.17g."""
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if value != value:
        return b"nan"
    return b"%.17g" % value


_BIG = 16 * 1024
# A bulk reply's first line for values under 4 KiB. The GET lanes (dispatch) append it,
# the value and CRLF instead of formatting the three into one string: 0.2 us less per
# pipelined GET in-process.
BULK_LINES = tuple(b"$%d\r\n" % n for n in range(4096))


def _bulk(out, value, resp3):
    if len(value) < _BIG:
        out.append(b"$%d\r\n%s\r\n" % (len(value), value))
    else:
        out.append(b"$%d\r\n" % len(value))
        out.append(bytes(value))
        out.append(b"\r\n")


def _simple(out, value, resp3):
    out.append(b"+" + value.encode() + b"\r\n")


def _error(out, value, resp3):
    text = value.replace("\r", " ").replace("\n", " ")
    out.append(b"-" + text.encode("utf-8", "replace") + b"\r\n")


def _integer(out, value, resp3):
    out.append(b":%d\r\n" % value)


def _boolean(out, value, resp3):
    if resp3:
        out.append(b"#t\r\n" if value else b"#f\r\n")
    else:
        out.append(b":1\r\n" if value else b":0\r\n")


def _double(out, value, resp3):
    text = format_double(value)
    if resp3:
        out.append(b"," + text + b"\r\n")
    else:
        out.append(b"$%d\r\n%s\r\n" % (len(text), text))


def _double_text(out, value, resp3):
    if resp3:
        out.append(b"," + value + b"\r\n")
    else:
        _bulk(out, value, resp3)


def _null(out, value, resp3):
    out.append(b"_\r\n" if resp3 else b"$-1\r\n")


def _null_array(out, value, resp3):
    out.append(b"_\r\n" if resp3 else b"*-1\r\n")


def _items(out, items, resp3):
    """The elements of an aggregate; short byte strings (most elements: members, fields,
    values) are written here rather than through a call each (0.3 us a call)."""
    append = out.append
    for item in items:
        if type(item) is bytes and len(item) < _BIG:
            append(b"$%d\r\n%s\r\n" % (len(item), item))
        else:
            _ENCODERS[type(item)](out, item, resp3)


def _array(out, value, resp3):
    out.append(b"*%d\r\n" % len(value))
    _items(out, value, resp3)


def _push(out, value, resp3):
    out.append((b">%d\r\n" if resp3 else b"*%d\r\n") % len(value))
    _items(out, value, resp3)


def _set(out, value, resp3):
    out.append((b"~%d\r\n" if resp3 else b"*%d\r\n") % len(value))
    _items(out, value, resp3)


def _map(out, value, resp3):
    if resp3:
        out.append(b"%%%d\r\n" % len(value))
    else:
        out.append(b"*%d\r\n" % (2 * len(value)))
    for key, item in value.items():
        _ENCODERS[type(key)](out, key, resp3)
        _ENCODERS[type(item)](out, item, resp3)


def _pair_map(out, value, resp3):
    out.append((b"%%%d\r\n" if resp3 else b"*%d\r\n") % len(value))
    for key, item in value:
        if not resp3:
            out.append(b"*2\r\n")
        _ENCODERS[type(key)](out, key, resp3)
        _ENCODERS[type(item)](out, item, resp3)


def _raw(out, value, resp3):
    out.append(value)


def _verbatim(out, value, resp3):
    data = value.encode("utf-8", "replace")
    if resp3:
        out.append(b"=%d\r\ntxt:%s\r\n" % (len(data) + 4, data))
    else:
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))


_ENCODERS = {
    bytes: _bulk, bytearray: _bulk, memoryview: _bulk, str: _simple, Error: _error,
    int: _integer, bool: _boolean, float: _double, type(None): _null,
    _NullArray: _null_array, list: _array, tuple: _array, Push: _push, set: _set,
    frozenset: _set, SetReply: _set, dict: _map, Verbatim: _verbatim, Raw: _raw,
    PairMap: _pair_map, DoubleText: _double_text,
}


ENCODERS = _ENCODERS   # type -> fn(out, value, resp3); the dispatcher's hot path uses it


def encode(out, value, resp3=False):
    """Append the encoding of value to the list of chunks out."""
    _ENCODERS[type(value)](out, value, resp3)


def register(kind, like):
    """Encode instances of kind (a subclass of a reply type) as like is encoded."""
    _ENCODERS[kind] = _ENCODERS[like]
