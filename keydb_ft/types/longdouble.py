"""Arithmetic as Redis's INCRBYFLOAT / HINCRBYFLOAT do it on x86-64: in 80-bit long
double (64-bit significand, round to nearest even), printed with "%.17Lf" and trailing
zeros removed. Python has no long double, so values are exact Fractions rounded to a
64-bit significand after every step, which gives the same bits and the same text."""

import re
from decimal import Decimal
from fractions import Fraction

_SIG_BITS = 64
_MAX_EXP = 16384           # values at or above 2**16384 overflow to infinity
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?")
_MAX_CHARS = 5 * 1024      # string2ld refuses texts this long (MAX_LONG_DOUBLE_CHARS)
_LIMIT = Fraction(2) ** _MAX_EXP
_TINY = Fraction(1, 2 ** 16446)     # half the smallest subnormal: up to it strtold gives 0


class NotANumber(ValueError):
    """The text is not a number strtold would take, or the result is inf / nan."""


class Infinite(NotANumber):
    """The text is a valid infinity: any sum with it is not finite."""


def parse(text):
    """Redis's string2ld: strtold on the whole text -- decimal, hex (0x...p...) or inf;
    spaces, nan and texts of 5120 characters or more are rejected, and so is a value
    strtold can only give as infinity or as zero (ERANGE). The size is judged from the
    exponent before any big number is built: '1e999999999' costs what '1e9' does."""
    if len(text) >= _MAX_CHARS:
        raise NotANumber("too long")
    s = text.decode("ascii", "replace") if isinstance(text, (bytes, bytearray)) else text
    m = _NUMBER.fullmatch(s)
    if m:
        whole, _, frac = m.group(1).partition(".")
        mantissa = int(Decimal(whole + frac))    # no int-from-text digit limit
        if mantissa == 0:
            return Fraction(0)
        exp = _exponent(s, m.group(2))
        lead = whole.lstrip("0")                # decimal exponent of the leading digit:
        order = exp + (len(lead) - 1 if lead else -(len(frac) - len(frac.lstrip("0")) + 1))
        if not -4975 < order < 4940:
            raise NotANumber(s)
        value = Fraction(mantissa) * Fraction(10) ** (exp - len(frac))
        return _in_range(s, _round(-value if s[:1] == "-" else value))
    m = _HEX.fullmatch(s)
    if m:
        whole, _, frac = m.group(1).partition(".")
        mantissa = int((whole + frac) or "0", 16)
        if mantissa == 0:
            return Fraction(0)
        exp = _exponent(s, m.group(2))
        order = mantissa.bit_length() - 1 + exp - 4 * len(frac)
        if not -16500 < order < 16450:           # binary exponent of the leading bit
            raise NotANumber(s)
        value = Fraction(mantissa) * Fraction(2) ** (exp - 4 * len(frac))
        return _in_range(s, _round(-value if s[:1] == "-" else value))
    low = s.lower().lstrip("+-")
    if low in ("inf", "infinity"):
        raise Infinite(s)
    raise NotANumber(s)


def _exponent(text, part):
    """The exponent after 'e' or 'p' (0 if none); one of more than 9 digits puts any
    nonzero value out of range."""
    if not part:
        return 0
    digits = part[1:].lstrip("+-").lstrip("0")
    if len(digits) > 9:
        raise NotANumber(text)
    return -int(digits or "0") if part[1:2] == "-" else int(digits or "0")


def _in_range(text, value):
    if abs(value) >= _LIMIT or 0 < abs(value) <= _TINY:
        raise NotANumber(text)
    return value


def add(a, b):
    result = _round(a + b)
    if abs(result) >= Fraction(2) ** _MAX_EXP:
        raise NotANumber("overflow")
    return result


def _round(x):
    if x == 0:
        return Fraction(0)
    negative = x < 0
    a = -x if negative else x
    n, d = a.numerator, a.denominator
    shift = _SIG_BITS - 1 - (n.bit_length() - d.bit_length())
    num, den = (n << shift, d) if shift >= 0 else (n, d << -shift)
    if num < den << (_SIG_BITS - 1):
        shift += 1
        num <<= 1
    m, rem = divmod(num, den)
    if rem * 2 > den or (rem * 2 == den and m & 1):
        m += 1
    if m >> _SIG_BITS:
        m >>= 1
        shift -= 1
    value = Fraction(m, 1 << shift) if shift >= 0 else Fraction(m << -shift)
    return -value if negative else value


def to_text(value):
    """%.17Lf with trailing zeros (and a trailing dot) removed; -0 prints as 0."""
    negative = value < 0
    a = -value if negative else value
    scaled = a * 10 ** 17
    q, r = divmod(scaled.numerator, scaled.denominator)
    if r * 2 > scaled.denominator or (r * 2 == scaled.denominator and q & 1):
        q += 1
    whole, frac = divmod(q, 10 ** 17)
    # Decimal, not str(): a long double reaches 4933 digits, past Python's int-to-text
    # limit (4300), and Decimal's conversion has none
    text = f"{Decimal(whole):f}.{frac:017d}".rstrip("0").rstrip(".")
    if negative and text != "0":
        text = "-" + text
    return text.encode()
