"""Arithmetic as Redis's INCRBYFLOAT / HINCRBYFLOAT do it on x86-64: in 80-bit long
double (64-bit significand, round to nearest even), printed with "%.17Lf" and trailing
zeros removed. Python has no long double, so values are exact Fractions rounded to a
64-bit significand after every step, which gives the same bits and the same text."""

import re
from fractions import Fraction

_SIG_BITS = 64
_MAX_EXP = 16384           # values at or above 2**16384 overflow to infinity
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class NotANumber(ValueError):
    """The text is not a number strtold would take, or the result is inf / nan."""


class Infinite(NotANumber):
    """The text is a valid infinity: any sum with it is not finite."""


def parse(text):
    """strtold on the whole text: decimal or inf; spaces and nan are rejected."""
    s = text.decode("ascii", "replace") if isinstance(text, (bytes, bytearray)) else text
    if _NUMBER.fullmatch(s):
        return _round(Fraction(s))
    low = s.lower().lstrip("+-")
    if low in ("inf", "infinity"):
        raise Infinite(s)
    raise NotANumber(s)


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
    text = f"{whole}.{frac:017d}".rstrip("0").rstrip(".")
    if negative and text != "0":
        text = "-" + text
    return text.encode()
