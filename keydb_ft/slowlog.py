"""SLOWLOG entries, shared by every loop under one leaf lock."""

import time

from .locks.striped import leaf_lock

MAX_ARGS = 32
MAX_ARG_LEN = 128


class SlowLog:
    def __init__(self, config):
        self.config = config
        self.lock = leaf_lock(30, "slowlog")
        self.entries = []        # newest first
        self.next_id = 0

    def add(self, client, argv, usec):
        args = []
        for i, arg in enumerate(argv):
            if i == MAX_ARGS - 1 and len(argv) > MAX_ARGS:
                args.append(b"... (%d more arguments)" % (len(argv) - MAX_ARGS + 1))
                break
            if len(arg) > MAX_ARG_LEN:
                arg = arg[:MAX_ARG_LEN] + b"... (%d more bytes)" % (len(arg) - MAX_ARG_LEN)
            args.append(arg)
        entry = [0, int(time.time()), usec, args, client.addr.encode(),
                 (client.name or "").encode()]
        with self.lock:
            entry[0] = self.next_id
            self.next_id += 1
            self.entries.insert(0, entry)
            del self.entries[max(0, self.config.slowlog_max_len):]

    def get(self, count):
        with self.lock:
            return [list(e) for e in (self.entries if count < 0 else self.entries[:count])]

    def __len__(self):
        return len(self.entries)

    def reset(self):
        with self.lock:
            self.entries = []
