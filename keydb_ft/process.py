"""Process-level settings Redis applies to itself: daemonize, transparent huge pages
(disable-thp), the OOM killer's score (oom-score-adj / oom-score-adj-values). Linux
only, as the rest of the server; failures are logged the way Redis logs them."""

import ctypes
import os
import sys

from .locks.striped import leaf_lock
from .log import log

_PR_SET_THP_DISABLE = 41
_OOM_PATH = "/proc/self/oom_score_adj"


def daemonize():
    """Fork into the background before any thread exists: the parent exits, the child
    leads a new session with its standard streams on /dev/null (as redis-server)."""
    if os.fork():
        os._exit(0)
    os.setsid()
    fd = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(fd, stream)
    if fd > 2:
        os.close(fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")


def parse_cpulist(text):
    """The CPUs of a Redis CPU list ("0-7:2,10,12-13": single CPUs, ranges, ranges with
    a step), or None when text is empty or not such a list."""
    cpus = set()
    for part in filter(None, text.replace(" ", "").split(",")):
        span, _, step = part.partition(":")
        first, _, last = span.partition("-")
        try:
            lo = int(first)
            hi = int(last) if last else lo
            stride = int(step) if step else 1
        except ValueError:
            return None
        if lo < 0 or hi < lo or stride < 1:
            return None
        cpus.update(range(lo, hi + 1, stride))
    return cpus or None


def pin_thread(setting, name, text):
    """Pin the calling thread to the CPU list in a *_cpulist setting (server_cpulist,
    bgsave_cpulist, ...), as Redis pins its threads; nothing when it is empty."""
    if not text:
        return
    cpus = parse_cpulist(text)
    try:
        if cpus is None:
            raise ValueError(f"not a CPU list: {text!r}")
        os.sched_setaffinity(0, cpus)          # 0: the calling thread
    except (OSError, ValueError) as exc:
        log.warning(f"Could not pin the {name} thread to {setting} {text}: {exc}")


def disable_thp():
    """Transparent huge pages off for this process (disable-thp yes)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    except (OSError, AttributeError) as exc:
        log.verbose(f"Failed to disable transparent huge pages: {exc}")


class OomScore:
    """oom-score-adj: no (leave the score alone, or put back the one found at the first
    change), yes or relative (this role's value of oom-score-adj-values added to the
    score found at the first change), absolute (that value alone); clamped to
    -1000..1000. The role is the master's, or the replica's while the server follows a
    master (REPLICAOF applies it again), as Redis's setOOMScoreAdj."""

    def __init__(self, server):
        # CONFIG SET may run on two loops at once: base and the file under one leaf lock
        self.lock = leaf_lock(40, "oom-score")
        self.base = None            # the score before keydb-ft first changed it
        self.server = server

    def apply(self, config):
        """Write the score config asks for; False (after logging) if it cannot."""
        with self.lock:
            return self._apply(config)

    def _apply(self, config):
        mode = config.oom_score_adj
        if mode != "no":
            if self.base is None:
                self.base = self._read()
            replica = self.server.link is not None
            value = int(config.oom_score_adj_values.split()[replica])  # master, replica
            if mode != "absolute":
                value += self.base
            value = max(-1000, min(1000, value))
        elif self.base is not None:
            value, self.base = self.base, None
        else:
            return True
        try:
            with open(_OOM_PATH, "w") as fh:
                fh.write(f"{value}\n")
        except OSError as exc:
            log.warning(f"Unable to write oom_score_adj: {exc.strerror}")
            return False
        return True

    @staticmethod
    def _read():
        try:
            with open(_OOM_PATH) as fh:
                return int(fh.read().strip())
        except (OSError, ValueError):
            return 0
