"""Start keydb-ft and redis-server for benchmarks (loopback only, no persistence)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYDB_PYTHON = os.environ.get("KEYDB_FT_PYTHON_BIN", sys.executable)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port, proc):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


class Server:
    def __init__(self, kind, threads=1, extra=()):
        self.kind = kind
        self.threads = threads
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
        if kind == "redis":
            cmd = [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", self.dir, "--logfile",
                   os.path.join(self.dir, "log")]
            env = None
        elif kind in ("bare", "bare-py"):     # perf/bare_server.py: the minimal-loop yardstick
            cmd = [KEYDB_PYTHON, os.path.join(ROOT, "perf", "bare_server.py"), str(self.port),
                   str(threads)] + (["--python-parser"] if kind == "bare-py" else [])
            env = dict(os.environ, PYTHON_GIL="0")
        else:
            cmd = [KEYDB_PYTHON, "-m", "keydb_ft", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--server-threads", str(threads), "--save", "", "--dir", self.dir,
                   "--logfile", os.path.join(self.dir, "log")]
            # the checkout first, then what the caller adds (scripts/pgo_train.py)
            path = os.pathsep.join(filter(None, (ROOT, os.environ.get("PYTHONPATH"))))
            env = dict(os.environ, PYTHON_GIL="0", PYTHONPATH=path)
        self.proc = subprocess.Popen(list(cmd) + list(extra), env=env, cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self.port, self.proc)

    @property
    def label(self):
        if self.kind.startswith("bare"):
            return f"{self.kind} x{self.threads}"
        return "redis-server" if self.kind == "redis" else f"keydb-ft x{self.threads}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_benchmark(port, test=None, command=None, requests=100000, clients=50, pipeline=1,
                    size=64, keyspace=None):
    """ops/s of one redis-benchmark run (CSV output parsed)."""
    cmd = ["redis-benchmark", "-p", str(port), "-n", str(requests), "-c", str(clients),
           "-P", str(pipeline), "-d", str(size), "--csv"]
    if keyspace:
        cmd += ["-r", str(keyspace)]
    if test:
        cmd += ["-t", test]
    if command:
        cmd += list(command)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    rows = [line.split(",") for line in out.splitlines() if line and not line.startswith('"test"')]
    return {row[0].strip('"'): float(row[1].strip('"')) for row in rows}
