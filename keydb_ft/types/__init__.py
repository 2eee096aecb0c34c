"""Pure data structures, one per module. No replies, no locks, no sockets.

A string value is bytes (or a bytearray once APPEND / SETRANGE grew it in place); every
other type is a class that registers its TYPE name with register_type().
"""

from ..threadstate import peek

TYPE_NAMES = {bytes: "string", bytearray: "string"}


def register_type(cls, name):
    TYPE_NAMES[cls] = name
    return cls


def type_name(value):
    return peek(TYPE_NAMES, type(value), "none")


def is_string(value):
    t = type(value)
    return t is bytes or t is bytearray


ENCODERS = {}


def register_encoding(cls, fn):
    """fn(value, config) -> OBJECT ENCODING name for values of cls."""
    ENCODERS[cls] = fn


def _string_encoding(value, config):
    if type(value) is bytes:
        if len(value) <= 20 and _is_long(value):
            return "int"
        return "embstr" if len(value) <= 44 else "raw"
    return "raw"


def _is_long(raw):
    if raw.isdigit():
        return (raw[0] != 48 or len(raw) == 1) and int(raw) < 1 << 63
    return raw[:1] == b"-" and raw[1:].isdigit() and raw[1] != 48 and int(raw) <= 1 << 63


ENCODERS[bytes] = ENCODERS[bytearray] = _string_encoding


def encoding_of(value, config):
    fn = peek(ENCODERS, type(value))
    return fn(value, config) if fn else "unknown"


def copy_value(value):
    """A deep copy for COPY; every container type has a copy() method."""
    if type(value) is bytes:
        return value
    if type(value) is bytearray:
        return bytearray(value)
    return value.copy()
