"""Loading the AOF at start-up (and DEBUG LOADAOF): the manifest, then the base file (an
RDB preamble, possibly followed by commands, or commands), then each incremental file.

Commands run through the dispatcher on a loader client (no socket, replies dropped), so
every command behaves exactly as when it was first executed. A MULTI ... EXEC block is
collected and run when its EXEC arrives. A last file that ends in the middle of a
command is loaded up to the last complete one and truncated there when
aof-load-truncated is yes (an unfinished MULTI block is dropped too); anything else
that does not parse stops start-up with Redis's messages.
"""

import os
import socket

from ..log import log
from ..stats import LoopStats
from .aof import Manifest
from .rdb import LoadError


class Truncated(Exception):
    def __init__(self, offset):
        super().__init__(offset)
        self.offset = offset


class BadFormat(Exception):
    def __init__(self, offset):
        super().__init__(offset)
        self.offset = offset


def iter_commands(data, pos=0):
    """Yield (argv, start, end) for each command of an AOF; skips #annotations."""
    n = len(data)
    find = data.find
    while pos < n:
        first = data[pos]
        if first == 35:                         # '#': annotation line
            eol = find(b"\n", pos)
            if eol < 0:
                raise Truncated(pos)
            pos = eol + 1
            continue
        if first != 42:                         # '*'
            raise BadFormat(pos)
        eol = find(b"\r\n", pos)
        if eol < 0:
            raise Truncated(pos)
        try:
            argc = int(data[pos + 1:eol])
        except ValueError:
            raise BadFormat(pos) from None
        if argc < 1:
            raise BadFormat(pos)
        p = eol + 2
        argv = []
        for _ in range(argc):
            if p >= n:
                raise Truncated(pos)
            if data[p] != 36:                   # '$'
                raise BadFormat(p)
            eol = find(b"\r\n", p)
            if eol < 0:
                raise Truncated(pos)
            try:
                length = int(data[p + 1:eol])
            except ValueError:
                raise BadFormat(p) from None
            p = eol + 2
            if p + length + 2 > n:
                raise Truncated(pos)
            if data[p + length:p + length + 2] != b"\r\n":
                raise BadFormat(p + length)
            argv.append(bytes(data[p:p + length]))
            p += length + 2
        yield argv, pos, p
        pos = p


class _Sock:
    family = socket.AF_INET

    def fileno(self):
        return -1

    def getsockname(self):
        return ("", 0)


class _Loop:
    def __init__(self):
        self.stats = LoopStats()
        self.durable = None
        self.held = {}

    def post(self, fn, *args):
        pass

    def call_later(self, delay, fn, *args):
        return [0, 0, None, ()]

    def cancel(self, entry):
        pass

    def want_write(self, client, on):
        pass

    def forget(self, client):
        pass


_LOADER_CLASS = []


def LoaderClient(server):
    """A client without a socket: replies are dropped, errors counted."""
    if not _LOADER_CLASS:
        from ..connection import Client     # late: connection imports the commands

        class _LoaderClient(Client):
            def __init__(self, server):
                super().__init__(server, _Loop(), _Sock(), ("127.0.0.1", 0), -1)
                self.deny_blocking = True
                self.errors = 0

            def reply(self, value):
                pass

            def write_error(self, text):
                self.errors += 1

            def write_raw(self, data):
                pass

            def flush(self):
                pass

        _LOADER_CLASS.append(_LoaderClient)
    return _LOADER_CLASS[0](server)


def run_commands(client, data, name, pos=0, last_file=True, truncate_ok=True,
                 progress=None):
    """Execute the commands of one AOF file's bytes; returns the number run.

    Returns a (count, truncate_at) pair: truncate_at is the offset where the valid part
    ends when the file was truncated and loading went on anyway, else None.

    The commands count in the loader's stats; the thread's own come back after, since
    DEBUG LOADAOF loads on a loop thread, whose writes would otherwise count their
    changes where its dispatcher never looks, and so never reach the AOF."""
    from ..db.keyspace import bind_thread_stats, thread_stats
    outer = thread_stats()
    bind_thread_stats(client.loop.stats)
    try:
        return _run_file(client, data, name, pos, last_file, truncate_ok, progress)
    finally:
        bind_thread_stats(outer)


def _run_file(client, data, name, pos, last_file, truncate_ok, progress):
    from ..commands import dispatch
    queue = None
    queue_start = 0
    count = 0
    try:
        for argv, start, _end in iter_commands(data, pos):
            word = argv[0].lower()
            if word == b"multi":
                queue, queue_start = [], start
                continue
            if word == b"exec" and queue is not None:
                for args in queue:
                    _run(client, dispatch, args, name)
                count += len(queue)
                queue = None
                continue
            if queue is not None:
                queue.append(argv)
                continue
            _run(client, dispatch, argv, name)
            count += 1
            if progress is not None and count & 4095 == 0:
                progress(_end)
    except Truncated as exc:
        if not last_file or not truncate_ok:
            log.warning(f"Unexpected end of file reading the append only file {name}. You can: "
                        f"1) Make a backup of your AOF file, then use ./redis-check-aof --fix "
                        f"<filename.manifest>. 2) Alternatively you can set the "
                        f"'aof-load-truncated' configuration option to yes and restart the "
                        f"server.")
            raise LoadError(f"truncated AOF file {name} at offset {exc.offset}") from None
        cut = queue_start if queue is not None else exc.offset
        log.warning(f"!!! Warning: short read while loading the AOF file {name}!!!")
        log.warning(f"!!! Truncating the AOF {name} at offset {cut} !!!")
        log.warning(f"AOF {name} loaded anyway because aof-load-truncated is enabled")
        return count, cut
    except BadFormat as exc:
        log.warning(f"Bad file format reading the append only file {name}: make a backup of "
                    f"your AOF file, then use ./redis-check-aof --fix <filename.manifest>")
        raise LoadError(f"bad AOF format in {name} at offset {exc.offset}") from None
    if queue is not None:
        if not last_file or not truncate_ok:
            raise LoadError(f"unfinished MULTI block at the end of {name}")
        log.warning("Revert incomplete MULTI/EXEC transaction in AOF file")
        return count, queue_start
    return count, None


def _run(client, dispatch, argv, name):
    from ..errors import CommandError
    try:
        cmd = dispatch.resolve(argv)
    except CommandError as exc:
        log.warning(f"Unknown command '{argv[0].decode('utf-8', 'replace')}' reading the "
                    f"append only file {name}")
        raise LoadError(exc.text) from None
    client.out = []
    dispatch.run(client, cmd, argv)


def load_manifest(directory, filename):
    path = os.path.join(directory, f"{filename}.manifest")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return None
    try:
        return Manifest.parse(filename, text)
    except ValueError as exc:
        raise LoadError(str(exc)) from None


def load_aof(server, rdb, manifest, directory):
    """Load base + incremental files into the (empty) keyspace. Raises LoadError."""
    cfg = server.config
    client = LoaderClient(server)
    files = []
    if manifest.base:
        files.append(manifest.base[0])
    files += [name for name, _ in manifest.incrs]
    sizes = [_size(os.path.join(directory, name)) for name in files]
    rdb.load_total = sum(sizes)
    total = 0
    for n, name in enumerate(files):
        before = sum(sizes[:n])
        path = os.path.join(directory, name)
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise LoadError(f"The AOF file {name} doesn't exist") from None
        pos = 0
        if data[:5] == b"REDIS":
            loaded = rdb.load_bytes(data, preamble=True)
            pos = loaded.end
            total += loaded.keys_loaded
        last = n == len(files) - 1
        count, cut = run_commands(client, data, name, pos, last, cfg.aof_load_truncated,
                                  lambda at: rdb._progress(before + at, rdb.load_total))
        total += count
        if cut is not None:
            with open(path, "r+b") as fh:
                fh.truncate(cut)
        if not data:
            log.notice(f"DB loaded from {'base' if n == 0 and manifest.base else 'incr'} "
                       f"file {name}: empty")
        else:
            log.notice(f"DB loaded from {'base' if n == 0 and manifest.base else 'incr'} "
                       f"file {name}")
    return total


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
