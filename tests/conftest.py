"""Fixtures: the real keydb-ft server as a subprocess on a free port, a real redis-server
7.0 for differential tests, and redis-py clients (RESP2 and RESP3) talking to them."""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import redis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=30.0, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = open(log).read() if log and os.path.exists(log) else ""
            raise RuntimeError(f"server exited with {proc.returncode}:\n{text[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


class _Process:
    """A server subprocess on 127.0.0.1:self.port."""

    def client(self, **kw):
        kw.setdefault("socket_timeout", 30)
        return redis.Redis(port=self.port, **kw)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class ServerProcess(_Process):
    """A keydb-ft started with `python -m keydb_ft`; args override the defaults."""

    def __init__(self, tmpdir, threads=4, args=(), config_text=None):
        self.port = free_port()
        self.dir = str(tmpdir)
        self.log = os.path.join(self.dir, "server.log")
        cmd = [sys.executable, "-m", "keydb_ft"]
        if config_text is not None:
            conf = os.path.join(self.dir, "keydb.conf")
            with open(conf, "w") as fh:
                fh.write(config_text)
            cmd.append(conf)
        cmd += ["--port", str(self.port), "--bind", "127.0.0.1", "--server-threads", str(threads),
                "--dir", self.dir, "--logfile", self.log, "--save", "",
                "--enable-debug-command", "yes"] + list(args)
        env = dict(os.environ, PYTHON_GIL="0", KEYDB_FT_LOCK_RANKS="1", PYTHONPATH=ROOT)
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_for_port(self.port, self.proc, log=self.log)

    def log_text(self):
        try:
            with open(self.log) as fh:
                return fh.read()
        except OSError:
            return ""


class RealRedis(_Process):
    """Debian's redis-server 7.0, the yardstick."""

    def __init__(self, tmpdir, args=()):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.dir = str(tmpdir)
        cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
               "--enable-debug-command", "yes", "--logfile", os.path.join(self.dir, "redis.log")]
        self.proc = subprocess.Popen(cmd + list(args), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("keydb"))
    yield srv
    assert srv.alive(), "keydb-ft died during the test session:\n" + srv.log_text()[-4000:]
    srv.stop()
    problems = [line for line in srv.log_text().splitlines()
                if "Unexpected error" in line or "LockOrderError" in line]
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def real_redis(tmp_path_factory):
    srv = RealRedis(tmp_path_factory.mktemp("redis"))
    yield srv
    srv.stop()


def _fresh_client(srv, **kw):
    client = srv.client(**kw)
    client.flushall()
    return client


@pytest.fixture
def r(server):
    """A redis-py client with redis-py's defaults on an empty keydb-ft."""
    with _fresh_client(server) as client:
        yield client


@pytest.fixture
def r3(server):
    """A RESP3 redis-py client on an empty keydb-ft (explicitly)."""
    with _fresh_client(server, protocol=3) as client:
        yield client


@pytest.fixture
def r2(server):
    """A RESP2 redis-py client on an empty keydb-ft."""
    with _fresh_client(server, protocol=2) as client:
        yield client


@pytest.fixture
def real2(real_redis):
    """A RESP2 redis-py client on an empty redis-server 7.0."""
    with _fresh_client(real_redis, protocol=2) as client:
        yield client


@pytest.fixture
def real(real_redis):
    """A redis-py client with redis-py's defaults on an empty redis-server 7.0."""
    with _fresh_client(real_redis) as client:
        yield client


def send_until(port, data, end, timeout=10):
    """Send data on a fresh connection; (what came back once it ends with end, whether
    the server closed the connection first)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        got = b""
        while not got.endswith(end):
            chunk = sock.recv(65536)
            if not chunk:
                return got, True
            got += chunk
        return got, False


def raw_reply(client, *args):
    """Send a command and return the reply without redis-py's response callbacks;
    errors come back as the ResponseError instance."""
    conn = client.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        try:
            return conn.read_response()
        except redis.ResponseError as exc:
            return exc
    finally:
        client.connection_pool.release(conn)


def normalize(reply):
    """Errors (also nested in arrays) become ('error', text) so replies compare."""
    if isinstance(reply, Exception):
        return ("error", type(reply).__name__, str(reply))
    if isinstance(reply, list):
        return [normalize(x) for x in reply]
    if isinstance(reply, dict):
        return {normalize(k): normalize(v) for k, v in reply.items()}
    return reply


def same(ours, theirs, *args):
    """Run args on both servers; return both replies, errors compared by text."""
    return normalize(raw_reply(ours, *args)), normalize(raw_reply(theirs, *args))


@pytest.fixture
def diff(r, real):
    """diff(*args) asserts keydb-ft and redis-server give the same reply to args."""
    def check(*args):
        ours, theirs = same(r, real, *args)
        assert ours == theirs, f"{args!r}: keydb-ft {ours!r} != redis {theirs!r}"
        return ours
    return check
