"""keydb-ft: a multithreaded, Redis-compatible server on free-threaded CPython."""

__version__ = "0.1.0"
# The Redis release whose behaviour keydb-ft matches; INFO reports it as redis_version.
REDIS_VERSION = "7.0.15"
