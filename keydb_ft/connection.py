"""A client connection. Owned by exactly one loop thread: only that thread reads, writes
or changes it. Other threads reach a client only by posting work to its loop's mailbox
(the two exceptions, both single attribute writes: dirty_cas, set under the watch lock by
the writer of a watched key, and kill_requested, set by CLIENT KILL)."""

import socket
import time

from .commands.dispatch import client_plain, run_batch, run_columns
from .log import log
from .resp.parser import RequestParser
from .resp.writer import Error, encode

READ_SIZE = 64 * 1024
# Redis writes a client's first 16 KiB of replies into a buffer of its own and counts
# only what overflows it against client-output-buffer-limit; so does this server
REPLY_BUFFER = 16 * 1024
_time = time.time


class Client:
    # Slots: the dispatcher reads a dozen of these per command, and a slot load is about a
    # quarter cheaper than an instance-dict load in the free-threaded interpreter (33 vs
    # 44 ns measured). __dict__ stays for attributes other modules attach.
    __slots__ = ("server", "loop", "sock", "fd", "id", "addr", "laddr", "local", "name",
                 "lib_name", "lib_ver", "db", "resp3", "authenticated", "user", "parser",
                 "out", "out_pending", "write_armed", "closing", "closed", "kill_requested",
                 "created", "last_interaction", "last_cmd", "in_multi", "multi_queue",
                 "multi_error", "watched", "dirty_cas", "channels", "patterns",
                 "shard_channels", "reply_mode", "mute", "no_evict", "no_touch", "flags_extra",
                 "blocked", "deny_blocking", "backlog", "paused_requests", "monitor", "in_exec",
                 "propagate_as", "dirty_as", "replica", "plain", "unix", "soft_since",
                 "__dict__")

    def __init__(self, server, loop, sock, addr, client_id):
        self.server = server
        self.loop = loop
        self.sock = sock
        self.fd = sock.fileno()
        self.id = client_id
        self.unix = sock.family == socket.AF_UNIX
        try:
            self.laddr = _fmt_addr(sock.getsockname())
        except OSError:
            self.laddr = ""
        # a unix socket client is shown by the socket's path, as Redis shows it
        self.addr = self.laddr if self.unix else _fmt_addr(addr)
        self.local = addr[0] in ("127.0.0.1", "::1") if isinstance(addr, tuple) else True
        self.name = None
        self.lib_name = None
        self.lib_ver = None
        self.db = server.keyspace.dbs[0]
        self.resp3 = False
        self.user = "default"
        self.parser = RequestParser(server.config.proto_max_bulk_len)
        self.out = []
        self.out_pending = b""
        self.write_armed = False
        self.closing = False          # close once the output is flushed
        self.closed = False
        self.kill_requested = False
        self.created = time.time()
        self.last_interaction = self.created
        self.last_cmd = "NULL"
        # transactions
        self.in_multi = False
        self.multi_queue = []
        self.multi_error = False
        self.watched = []             # [(db id, key)]
        self.dirty_cas = False
        # pub/sub
        self.channels = set()
        self.patterns = set()
        self.shard_channels = set()
        # flags
        self.reply_mode = "on"        # on / off / skip (the next command only)
        self.mute = False             # this command's reply is not sent (CLIENT REPLY)
        self.no_evict = False
        self.no_touch = False
        self.flags_extra = ""         # role letters for CLIENT LIST (M, S, O, ...)
        self.blocked = None           # the db.blocking.Waiter while a blocking command waits
        self.deny_blocking = False    # blocking commands time out at once (scripts)
        self.backlog = []             # requests read while blocked
        self.paused_requests = None
        self.monitor = False
        self.in_exec = False
        self.propagate_as = None
        self.dirty_as = None          # Redis's change count for this command (settle_dirty)
        self.replica = None           # replication link state when this is a replica
        self.soft_since = None        # when output passed the soft limit (monotonic)
        self.set_authenticated(not server.auth_required())     # and sets `plain`

    def replain(self):
        """Recompute `plain` (dispatch.client_plain): called wherever one of the states
        it reads changes, so run_batch reads one attribute per read instead of ten.
        The test suite's servers check the flag against the states on every read."""
        self.plain = client_plain(self)

    def set_authenticated(self, flag):
        self.authenticated = flag
        self.parser.unauthenticated = not flag     # Redis's tighter request limits
        self.replain()

    # -- I/O -----------------------------------------------------------------------------
    def on_readable(self, tuple_=tuple):
        """The loop's call when the socket is readable: the number of bytes read, or
        None when nothing was (or the connection closed). The loop counts the bytes and
        the read (total_net_input_bytes, total_reads_processed) in locals for its whole
        pass, and sends this client's replies after the pass (EventLoop.run): a loop
        pass is where a read's attribute updates add up. tuple_ is never passed: a
        default is a local, a builtin two dict lookups (dispatch.run_batch)."""
        try:
            data = self.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            self.close()
            return None
        if not data:
            self.close()
            return None
        if self.plain or (self.blocked is None and self.paused_requests is None):
            # requests kept from a block or pause run first (process_input)
            parser = self.parser
            requests = None if self.backlog else parser.take(data)
            if requests is not None:
                # The usual read: whole requests, nothing buffered, no protocol error.
                # run_requests() without its error branch, inline (a call costs more).
                self.last_interaction = _time()
                if requests.__class__ is not tuple_:
                    ran = run_batch(self, requests)
                    if ran < len(requests) and not (self.closing or self.closed):
                        self.backlog.extend(requests[ran:])   # blocked or paused: later
                else:                                # same-length requests, by column
                    run_columns(self, requests)
            elif parser.feed(data):
                self.process_input()
            else:
                self._check_query_limit()
            return len(data)
        self.parser.feed(data)
        self._check_query_limit()
        return len(data)

    def _check_query_limit(self):
        if self.parser.pending > self.server.config.client_query_buffer_limit:
            log.warning(f"Closing client that reached max query buffer length: id={self.id} "
                        f"addr={self.addr} (qbuf initial bytes omitted)")
            self.close()

    def process_input(self):
        requests = self.parser.parse()
        if self.backlog:
            requests = self.backlog + requests
            self.backlog = []
        self.run_requests(requests)
        if not self.closed:
            self._check_query_limit()

    def run_requests(self, requests):
        """Run requests in order; a protocol error after them (parser.error) is replied
        once they have run, and then the connection closes, as Redis does."""
        self.last_interaction = _time()
        ran = run_batch(self, requests)
        if ran < len(requests) and not (self.closing or self.closed):
            self.backlog.extend(requests[ran:])      # blocked or paused: run them later
            self.flush()
            return
        error = self.parser.error
        if error is not None and not self.closing:
            log.verbose(f"Protocol error ({error}) from client: id={self.id} addr={self.addr}")
            self.mute = self.reply_mode == "off"
            self.write_error(f"ERR {error}")
            self.closing = True
            self.replain()
        self.flush()

    def resume(self):
        """Continue with requests read while blocked or paused."""
        if self.closed:
            return
        requests, self.backlog = self.backlog, []
        requests += self.parser.parse()
        self.run_requests(requests)

    # -- replies ---------------------------------------------------------------------------
    def reply(self, value):
        if not self.mute:
            encode(self.out, value, self.resp3)

    def reply_push(self, value):
        """A pub/sub message or (un)subscribe confirmation: sent whatever CLIENT REPLY
        says, as Redis sends them."""
        encode(self.out, value, self.resp3)

    def write_error(self, text):
        if not self.mute:
            self.out.append(b"-" + text.replace("\r", " ").replace("\n", " ").encode() + b"\r\n")

    def write_raw(self, data):
        self.out.append(data)

    def flush(self):
        """Send what the replies so far add up to, counted in the loop's statistics."""
        sent = self.write_out()
        if sent:
            stats = self.loop.stats
            stats.net_out += sent
            stats.writes += 1

    def write_out(self, join=b"".join, len_=len):
        """flush() without the statistics: the bytes sent (0 for none). The loop calls
        this once per client read in a pass and counts in locals (EventLoop.run). join
        and len_ are never passed: a method lookup and a builtin made locals
        (dispatch.run_batch says why)."""
        if self.closed:
            return 0
        loop = self.loop
        durable = loop.durable
        if durable is not None and durable.must_wait():   # appendfsync always
            loop.held[self] = None
            return 0
        out = self.out
        pending = self.out_pending
        if out:
            data = join(out)
            out.clear()
            if pending:
                data = pending + data
        else:
            data = pending
        if data:
            # client-output-buffer-limit: only output as big as the smallest limit set
            # for normal or pub/sub clients is looked at (one comparison per flush)
            size = len_(data)
            checked = size >= self.server.output_floor
            if checked and self._over_output_limit(_overflow(size)):
                return 0
            if self.write_armed:
                self.out_pending = data
                return 0
            try:
                sent = self.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.close()
                return 0
            if sent < size:
                self.out_pending = data[sent:]
                self.write_armed = True
                loop.want_write(self, True)
                return sent
            if pending:
                self.out_pending = b""
            if checked:
                self.output_drained()
            if self.closing:
                self.close()
            return sent
        if self.closing:
            self.close()
        return 0

    def _over_output_limit(self, size):
        """client-output-buffer-limit for this client's class (pubsub while subscribed,
        else normal; a replica's stream has its own check): past the hard limit, or past
        the soft one for longer than its seconds, the client is closed, nothing more
        sent, and True returned, as Redis closes it."""
        if self.replica is not None or "M" in self.flags_extra:
            return False
        hard, soft, seconds = self.server.output_limits[self._output_class()]
        if hard and size >= hard:
            return self._close_for_output()
        if soft and size >= soft:
            now = time.monotonic()
            if self.soft_since is None:
                self.soft_since = now
                self.server.soft_limited[self] = None      # the cron checks it, idle too
            elif now - self.soft_since > seconds:
                return self._close_for_output()
        elif self.soft_since is not None:
            self.output_drained()
        return False

    def _output_class(self):
        """client-output-buffer-limit's class: pubsub while subscribed, else normal."""
        return "pubsub" if (self.channels or self.patterns or self.shard_channels) else "normal"

    def output_drained(self):
        """The output went below the soft limit: its clock stops."""
        if self.soft_since is not None:
            self.soft_since = None
            self.server.soft_limited.pop(self, None)

    def check_soft_limit(self):
        """The cron's look at a client over its soft limit with no traffic."""
        since = self.soft_since
        if since is None or self.closed:
            return
        seconds = self.server.output_limits[self._output_class()][2]
        if time.monotonic() - since > seconds:
            self._close_for_output()

    def _close_for_output(self):
        log.warning(f"Client id={self.id} addr={self.addr} scheduled to be closed ASAP for "
                    "overcoming of output buffer limits.")
        self.out.clear()
        self.out_pending = b""
        self.close()
        return True

    def on_writable(self):
        data = self.out_pending
        try:
            sent = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        stats = self.loop.stats
        stats.net_out += sent
        stats.writes += 1
        self.out_pending = data[sent:]
        if not self.out_pending:
            self.write_armed = False
            self.loop.want_write(self, False)
            self.output_drained()
            if self.out:
                self.flush()
            elif self.closing:
                self.close()

    def output_size(self):
        return len(self.out_pending) + sum(map(len, self.out))

    def close(self):
        if self.closed:
            return
        self.closed = True
        if self.soft_since is not None:
            self.server.soft_limited.pop(self, None)
        self.replain()
        self.loop.forget(self)
        try:
            self.sock.close()
        except OSError:
            pass
        self.server.client_closed(self)

    # -- CLIENT LIST / INFO -------------------------------------------------------------------
    def flags(self):
        """CLIENT LIST's flags, in Redis's order."""
        f = self.flags_extra
        if self.channels or self.patterns or self.shard_channels:
            f += "P"
        if self.in_multi:
            f += "x"
        if self.blocked is not None or self.paused_requests is not None:
            f += "b"                             # CLIENT PAUSE holds it: blocked too
        if self.dirty_cas:
            f += "d"
        if self.closing:
            f += "A"
        if self.unix:
            f += "U"
        if self.no_evict:
            f += "e"
        if self.no_touch:
            f += "T"
        return f or "N"

    def info_line(self, running=0):
        """CLIENT LIST's line. running: the size of the command this client is running
        when it asks about itself, which Redis's query buffer still holds then."""
        now = time.time()
        qbuf = self.parser.pending + running
        pending = self.output_size()
        obl = min(pending, REPLY_BUFFER)        # Redis's own reply buffer, then its list
        omem = _overflow(pending)
        events = "rw" if self.write_armed else "r"
        multi = len(self.multi_queue) if self.in_multi else -1
        return (f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} "
                f"name={self.name or ''} age={int(now - self.created)} "
                f"idle={int(now - self.last_interaction)} flags={self.flags()} "
                f"db={self.db.id} sub={len(self.channels)} psub={len(self.patterns)} "
                f"ssub={len(self.shard_channels)} multi={multi} qbuf={qbuf} "
                f"qbuf-free={max(0, READ_SIZE - qbuf)} argv-mem=0 multi-mem=0 rbs={READ_SIZE} "
                f"rbp=0 obl={obl} oll={len(self.out)} omem={omem} tot-mem={qbuf + pending + 1024} "
                f"events={events} cmd={self.last_cmd} user={self.user} redir=-1 "
                f"resp={3 if self.resp3 else 2}"
                + (f" lib-name={self.lib_name}" if self.lib_name else "")
                + (f" lib-ver={self.lib_ver}" if self.lib_ver else ""))


def _overflow(size):
    """What output of size bytes counts against client-output-buffer-limit and shows as
    omem: what overflows the 16 KiB reply buffer, in the 16 KiB blocks Redis would
    allocate for it."""
    over = size - REPLY_BUFFER
    return -(-over // REPLY_BUFFER) * REPLY_BUFFER if over > 0 else 0


def _fmt_addr(addr):
    if isinstance(addr, tuple):
        host = addr[0]
        return f"{host}:{addr[1]}" if ":" not in host else f"[{host}]:{addr[1]}"
    return f"{addr}:0" if addr else "/unixsocket:0"      # a unix socket's path


def configure_socket(sock, keepalive):
    sock.setblocking(False)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if keepalive:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, keepalive)
    except OSError:
        pass


__all__ = ["Client", "Error", "configure_socket"]
