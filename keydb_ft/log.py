"""Redis-style log lines: `pid:R dd Mon yyyy hh:mm:ss.mmm <level-char> message`."""

import os
import sys
import threading
import time

LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3, "nothing": 4}
_MARK = {0: ".", 1: "-", 2: "*", 3: "#"}


class Logger:
    def __init__(self):
        self.level = LEVELS["notice"]
        self.path = ""
        self.role = "M"
        self._lock = threading.Lock()   # leaf: only held while writing a line

    def configure(self, level, path):
        self.level = LEVELS.get(level, 2)
        self.path = path

    def log(self, level, message):
        if level < self.level:
            return
        now = time.time()
        stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(now))
        line = f"{os.getpid()}:{self.role} {stamp}.{int(now * 1000) % 1000:03d} {_MARK[level]} {message}\n"
        with self._lock:
            if self.path:
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(line)
            else:
                sys.stdout.write(line)
                sys.stdout.flush()

    def debug(self, msg):
        self.log(0, msg)

    def verbose(self, msg):
        self.log(1, msg)

    def notice(self, msg):
        self.log(2, msg)

    def warning(self, msg):
        self.log(3, msg)

    def raw(self, text):
        with self._lock:
            out = open(self.path, "a", encoding="utf-8") if self.path else sys.stdout
            out.write(text)
            out.flush()
            if self.path:
                out.close()


log = Logger()
