"""Garbage-collection policy.

The free-threaded collector of CPython 3.13 is not generational: every automatic
collection walks every tracked object and stops all threads while it does. A keyspace
holds millions of tracked containers (hash, list, set, zset and stream values), so the
default thresholds trigger a full, stop-the-world walk every few thousand new containers:
measured here, 300k list inserts spent 1.9 s of 2.6 s inside the collector.

So the server turns automatic collection off, freezes what exists once start-up and
loading are done (frozen objects are never walked), and runs one collection from cron
every `gc-interval-seconds` (0 = never) to reclaim the rare reference cycle, logging its
pause when it is noticeable. Values themselves never form cycles.
"""

import gc
import time

from .log import log


class GcPolicy:
    def __init__(self, config):
        self.config = config
        self.last = time.monotonic()
        self.collections = 0
        self.last_pause_ms = 0.0

    def start(self):
        gc.disable()
        gc.collect()
        gc.freeze()

    def cron(self):
        interval = self.config.gc_interval_seconds
        now = time.monotonic()
        if not interval or now - self.last < interval:
            return
        self.last = now
        start = time.perf_counter()
        found = gc.collect()
        self.last_pause_ms = (time.perf_counter() - start) * 1000
        self.collections += 1
        level = log.notice if self.last_pause_ms > 100 else log.verbose
        level(f"Cycle collection: {found} unreachable objects, {self.last_pause_ms:.0f} ms")

    def info(self):
        return [("gc_automatic", int(gc.isenabled())), ("gc_collections", self.collections),
                ("gc_last_pause_ms", f"{self.last_pause_ms:.1f}"),
                ("gc_frozen_objects", gc.get_freeze_count())]
