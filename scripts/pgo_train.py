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
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (pipeline, requests per command) for each round of redis-benchmark
ROUNDS = ((16, 300_000), (1, 40_000))
TESTS = "set,get,incr,lpush,sadd,hset"


def say(text):
    print(f"pgo-train: {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def wait_for(port, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def shut_down(port, proc):
    """SHUTDOWN NOSAVE, so the server leaves through Python's normal exit: the
    instrumented interpreter writes its counts then, and only then."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"SHUTDOWN NOSAVE\r\n")
            s.recv(64)
    except OSError:
        pass
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def train_server():
    benchmark = shutil.which("redis-benchmark")
    if benchmark is None:
        say("redis-benchmark not found: the profile is CPython's task alone")
        return
    work = tempfile.mkdtemp(prefix="keydb-ft-pgo-")
    try:
        packages = os.path.join(work, "site")
        if not install_packages(packages):
            say("hiredis / sortedcontainers not installed: the profile is CPython's task alone")
            return
        port = free_port()
        env = dict(os.environ, PYTHON_GIL="0", PYTHONPATH=os.pathsep.join((REPO, packages)))
        proc = subprocess.Popen(
            [sys.executable, "-m", "keydb_ft", "--port", str(port), "--bind", "127.0.0.1",
             "--server-threads", "2", "--save", "", "--appendonly", "no", "--dir", work,
             "--logfile", os.path.join(work, "server.log")], env=env)
        if not wait_for(port, proc):
            proc.kill()
            proc.wait()
            say("the server did not start: the profile is CPython's task alone")
            return
        try:
            for pipeline, requests in ROUNDS:
                subprocess.run([benchmark, "-p", str(port), "-c", "50", "-d", "64",
                                "-r", "100000", "-P", str(pipeline), "-n", str(requests),
                                "-t", TESTS, "-q"], stdout=subprocess.DEVNULL, timeout=600)
        finally:
            status = shut_down(port, proc)
        say(f"trained on the server (exit status {status}): "
            f"{', '.join(f'-P {p} x{n}' for p, n in ROUNDS)} of {TESTS}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    status = subprocess.call([sys.executable, "-m", "test", "--pgo"])
    try:
        train_server()
    except Exception as exc:        # a build must not fail on its optional part
        say(f"the server part failed ({exc!r}): the profile is CPython's task alone")
    return status


if __name__ == "__main__":
    sys.exit(main())
