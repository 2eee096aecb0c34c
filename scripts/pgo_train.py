"""The profiling task of the optimized interpreter build (scripts/ensure-python.sh).

A profile-guided build runs an instrumented interpreter on a task, counts which
branches and functions of the interpreter's C code run, and lays out the final build
so that the counted paths are straight and the rest is out of the way. CPython's own
task is its test suite, single-threaded; perf found a fifth of a pipelined GET's
samples in the part of the interpreter loop that profile laid out as cold.

This task runs CPython's (python -m test --pgo), then the server itself, two loops,
under redis-benchmark: pipelined and unpipelined SET, GET, INCR, LPUSH, SADD and HSET,
the work the server's users send most. perf/README.md ("A profile trained on the
server") has what it changed. The client is redis-benchmark, outside the interpreter
being trained; a load generator of Python threads inside it measured slower, not
faster, because its own code was then laid out as hot too.

Run by `make` in the build directory as PROFILE_TASK, with sys.executable the
instrumented interpreter. The server needs hiredis and sortedcontainers, which it
installs from the package index into a temporary directory with the pip wheel
CPython bundles. If that, or redis-benchmark, is not available, the task says so and
the profile is CPython's task alone: the build is then the one distributions make.
The exit status is CPython's task's, as with the default task.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "perf"))
from servers import Server, redis_benchmark  # noqa: E402  (perf/'s, stdlib only)

# (pipeline, requests per command) for each round of redis-benchmark
ROUNDS = ((16, 300_000), (1, 40_000))
TESTS = "set,get,incr,lpush,sadd,hset"


def say(text):
    print(f"pgo-train: {text}", flush=True)


def install_packages(target):
    """hiredis and sortedcontainers into target, by the bundled pip; True if done."""
    import ensurepip
    wheels = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled",
                                    "pip-*.whl"))
    if not wheels:
        say("no bundled pip wheel")
        return False
    done = subprocess.run(
        [sys.executable, os.path.join(wheels[0], "pip"), "install", "--quiet",
         "--disable-pip-version-check", "--root-user-action=ignore", "--no-cache-dir",
         "--target", target, "hiredis>=3.0", "sortedcontainers>=2.4"],
        env=dict(os.environ, PYTHON_GIL="0"))
    return done.returncode == 0


def train_server():
    """Two loops of the server, started by sys.executable (perf/servers.py), under
    redis-benchmark. The server is stopped by SIGTERM, so it leaves through Python's
    normal exit: the instrumented interpreter writes its counts then, and only then."""
    if shutil.which("redis-benchmark") is None:
        say("redis-benchmark not found: the profile is CPython's task alone")
        return
    packages = tempfile.mkdtemp(prefix="keydb-ft-pgo-")
    try:
        if not install_packages(packages):
            say("hiredis / sortedcontainers not installed: the profile is CPython's task alone")
            return
        os.environ["PYTHONPATH"] = packages
        server = Server("keydb", threads=2)
        try:
            for pipeline, requests in ROUNDS:
                redis_benchmark(server.port, test=TESTS, requests=requests, pipeline=pipeline,
                                keyspace=100000)
        finally:
            server.stop()
        say(f"trained on the server (exit status {server.proc.returncode}): "
            f"{', '.join(f'-P {p} x{n}' for p, n in ROUNDS)} of {TESTS}")
    finally:
        shutil.rmtree(packages, ignore_errors=True)


def main():
    status = subprocess.call([sys.executable, "-m", "test", "--pgo"])
    try:
        train_server()
    except Exception as exc:        # a build must not fail on its optional part
        say(f"the server part failed ({exc!r}): the profile is CPython's task alone")
    return status


if __name__ == "__main__":
    sys.exit(main())
