"""Striped key locks, the briefly-held global key lock and debug lock ranks."""

from .striped import STRIPES, KeyLocks, stripe_of  # noqa: F401
from .ranks import RankedLock, ranks_enabled  # noqa: F401
