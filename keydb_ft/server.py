"""Builds the keyspace and subsystems, starts the loop threads, the listener and cron.

Shared state and its discipline:
- config: attributes replaced whole by CONFIG SET (readers take one attribute once);
- keyspace entries: stripe locks (db/keyspace.py);
- clients (id -> Client): client_lock (leaf); a Client itself is owned by its loop;
- slowlog: its own leaf lock; monitors: monitor_lock (leaf);
- counters: per loop (EventLoop.stats), merged on read.
"""

import errno
import os
import signal
import socket
import sys
import threading
import time

from . import REDIS_VERSION, __version__
from . import config as config_mod
from .connection import REPLY_BUFFER, Client, configure_socket
from .db.access import lru_clock
from .db.keyspace import Keyspace, bind_thread_stats
from .eventloop import EventLoop
from .locks import KeyLocks
from .locks.striped import leaf_lock
from .log import log
from .gcpolicy import GcPolicy
from .process import parse_cpulist, pin_thread
from .latency import LatencyMonitor
from . import immortal
from .slowlog import SlowLog
from .stats import LoopStats


# Redis's processCommand refuses in this order: too few good replicas for a write
# (min-replicas-to-write), then a replica's READONLY and MASTERDOWN, then LOADING
GATE_ORDER = ("noreplicas", "replica", "loading")


def _chain(checks):
    """One callable for the gate checks, in order: the first error text wins."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    def gate(c, cmd, argv):
        for check in checks:
            text = check(c, cmd, argv)
            if text is not None:
                return text
        return None
    return gate


# errors that say the address family cannot be had here: Redis passes over such an
# address whether or not it is marked optional
_NO_FAMILY = {errno.ENOPROTOOPT, errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT,
              errno.EPFNOSUPPORT, errno.EAFNOSUPPORT}


def _open_listeners(bind, port, backlog):
    """Listening sockets for each bind address on port, as Redis's listenToPort: none
    for an empty bind list or port 0; '*' and '::*' are any address of their family; an
    address with a '-' before it is passed over when the machine lacks it, and one whose
    family the machine lacks always is (each logged). OSError when one cannot be
    opened; the ones opened before it are closed."""
    opened = []
    if not port:
        return opened
    for raw in bind:
        optional = raw.startswith("-")
        host = raw[1:] if optional else raw
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        host = {"*": "0.0.0.0", "::*": "::"}.get(host, host)
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            log.warning(f"Warning: Could not create server TCP listening socket "
                        f"{raw.lstrip('-')}:{port}: {exc.strerror}")
            if exc.errno in _NO_FAMILY:
                continue
            for other in opened:
                other.close()
            raise
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            sock.listen(backlog)
        except OSError as exc:
            sock.close()
            log.warning(f"Warning: Could not create server TCP listening socket "
                        f"{raw.lstrip('-')}:{port}: {exc.strerror}")
            if (exc.errno == errno.EADDRNOTAVAIL and optional) or exc.errno in _NO_FAMILY:
                continue
            for other in opened:
                other.close()
            raise
        sock.setblocking(False)
        opened.append(sock)
    return opened


def _open_unix_listener(path, perm, backlog):
    """unixsocket: a listening unix socket at path (a file left there is replaced, as
    Redis does), its mode perm when not 0."""
    try:
        os.unlink(path)
    except OSError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        if perm:
            os.chmod(path, perm)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class Server:
    # Slots for the attributes the loops read per request or per read (the rest, and
    # what other modules attach, in __dict__): a slot read skips the dict lookup
    __slots__ = ("config", "keyspace", "key_locks", "gated", "gate_checks", "pause_until",
                 "latency_tracking", "slow_floor", "output_floor", "monitors", "loops",
                 "__dict__")

    def __init__(self, config):
        self.config = config
        self.started = time.time()
        self.started_monotonic = time.monotonic()
        self.run_id = os.urandom(20).hex()
        self.keyspace = Keyspace(config.databases)
        self.key_locks = KeyLocks()
        self.client_lock = leaf_lock(20, "clients")
        self.clients = {}
        self._next_id = 0
        self.monitor_lock = leaf_lock(21, "monitors")
        self.monitors = []
        self.slowlog = SlowLog(config)
        self.gate_checks = None        # the installed gate checks in one call (set_gate)
        # gate_checks or pause_until set: the one attribute the dispatcher reads per
        # command to know it may skip the gate (regate() keeps it)
        self.gated = False
        self.gates = {}                # name -> check(c, cmd, argv) -> error text or None
        self.gate_lock = leaf_lock(14, "gates")
        self.link = None               # ReplicaLink while this server is a replica
        self.loops = []
        self.listeners = []
        self.listening = ([], 0)       # the bind addresses and port of `listeners`
        self.unix_listener = None      # unixsocket's (CONFIG SET bind / port leave it)
        self.cron_stats = LoopStats()
        self.shutting_down = False
        self.stopped = threading.Event()
        self.used_memory = 0
        self.startup_memory = 0
        self.latency = LatencyMonitor()        # LATENCY's events (latency.py)
        self.slow_floor = 10000                # see update_slow_floor()
        self.latency_tracking = config.latency_tracking   # per-command histograms
        self.peak_memory = 0
        self.ops_history = []          # (monotonic, total commands) samples from cron
        self.pause_until = 0          # an int: small ints are immortal, read per command
        self.pause_all = False
        self.extensions = []           # subsystems with start/stop/cron hooks; frozen at start
        self.close_hooks = []          # called on a client's loop when it closes; frozen
        self.reset_hooks = []          # RESET of a client (pub/sub, tracking); frozen
        self.flush_hooks = []          # FLUSHDB / FLUSHALL, with the stripes held; frozen
        self.flushall_hooks = []       # after FLUSHALL (a save when save points exist)
        self.swapdb_hooks = []         # after SWAPDB, with every stripe held
        self.info_providers = {}       # INFO section name -> fn(server) -> [(key, value)]
        self.active_expire_enabled = True
        self.pubsub = None             # set by commands/pubsub.py's installer
        self.output_limits = {}        # client-output-buffer-limit by class (set_output_limits)
        self.output_floor = 0          # the smallest limit set for normal / pubsub clients
        self.soft_limited = {}         # clients past their soft limit: the cron looks
        self.set_output_limits(config.client_output_buffer_limit)
        self.loading = False
        self.next_loop = 0
        self.expire_cursor = 0
        self.expire_cycle_us = 0          # time in active expiry (cron thread only)
        self.gil_enabled = _gil_enabled()
        self.gc_policy = GcPolicy(config)

    def set_output_limits(self, text):
        """client-output-buffer-limit changed (canonical text): the limits by class, and
        the size below which a flush need not look at them."""
        limits = config_mod.output_limits(text)
        self.output_limits = {"normal": limits["normal"], "pubsub": limits["pubsub"]}
        sizes = [size for kind in ("normal", "pubsub") for size in limits[kind][:2] if size]
        # the shortest output whose overflow (connection._overflow, whole 16 KiB
        # blocks) can reach the smallest limit
        self.output_floor = (REPLY_BUFFER + 1 + (min(sizes) - 1) // REPLY_BUFFER * REPLY_BUFFER
                             if sizes else float("inf"))

    # -- gate checks -----------------------------------------------------------------------
    def set_gate(self, name, check):
        """Install check(c, cmd, argv) -> error text or None under name (one of
        GATE_ORDER), or remove it (check None). Every command that is not plain goes
        through `gate_checks`, which runs the installed checks in Redis's order and is
        None when there are none: then the loops keep their fast lanes. A check judges
        EXEC by the commands it would run (commands.dispatch.gate_needs)."""
        with self.gate_lock:
            gates = dict(self.gates)
            if check is None:
                gates.pop(name, None)
            else:
                gates[name] = check
            self.gates = gates
            self.gate_checks = _chain([gates[n] for n in GATE_ORDER if n in gates])
            self.regate()

    def regate(self):
        """gate_checks or pause_until changed."""
        self.gated = self.gate_checks is not None or bool(self.pause_until)

    # -- helpers read by handlers ----------------------------------------------------------
    def auth_required(self):
        return bool(self.config.requirepass)

    def default_user_nopass(self):
        return not self.config.requirepass

    def authenticate(self, client, user, password):
        """AUTH / HELLO AUTH. The default user only, until ACL users replace this."""
        if user != b"default":
            return False
        required = self.config.requirepass
        if required and password != required.encode():
            return False
        client.set_authenticated(True)
        client.user = "default"
        return True

    def role_name(self):
        return "master"

    def role_reply(self):
        link = self.link
        if link is not None:
            return [b"slave", link.host.encode(), link.port, link.state.encode(), link.offset()]
        return [b"master", self.master.offset, self.master.role_replicas()]

    def storage_provider_name(self):
        return "none"

    def pubsub_counts(self):
        return (0, 0, 0)

    def config_changed(self):
        """After CONFIG SET: refresh values cached outside the config object."""
        from .log import log as _log
        _log.configure(self.config.loglevel, self.config.logfile)

    def reset_stats(self):
        for stats in self.all_stats():
            if hasattr(stats, "reset"):
                stats.reset()
        self.expire_cycle_us = 0
        self.slowlog.reset()
        self.keyspace.lazyfree.reset_stats()

    def reset_client(self, client):
        """RESET: back to a fresh connection's state."""
        from .commands.transactions import end_transaction
        end_transaction(client)
        for hook in self.reset_hooks:
            hook(client)
        client.db = self.keyspace.dbs[0]
        client.resp3 = False
        client.reply_mode = "on"
        client.replain()
        client.mute = False
        client.name = None
        client.no_evict = False
        client.no_touch = False
        self.drop_monitor(client)
        client.set_authenticated(not self.auth_required())
        client.user = "default"

    # -- CLIENT PAUSE ----------------------------------------------------------------------
    def pause(self, seconds, mode):
        import time as _t
        self.pause_all = mode == "all"
        self.pause_until = max(self.pause_until, _t.monotonic() + seconds)
        self.regate()
        self.keyspace.paused_until = self.pause_until

    def unpause(self):
        self.pause_until = 0
        self.regate()
        self.keyspace.paused_until = 0
        for client in self.client_list():
            if client.paused_requests is not None:
                client.loop.post(_resume_paused, client)

    @property
    def slowlog_threshold(self):
        return self.config.slowlog_log_slower_than

    def update_slow_floor(self):
        """The shortest command time (us) the slowlog or the latency monitor records: the
        dispatcher compares each command's time with this one number (_slow does the
        rest). Immortal, as every loop loads it per command."""
        cfg = self.config
        floors = [cfg.slowlog_log_slower_than] if cfg.slowlog_log_slower_than >= 0 else []
        if cfg.latency_monitor_threshold > 0:
            floors.append(cfg.latency_monitor_threshold * 1000)
        floor = min(floors) if floors else 1 << 62
        if cfg.shared_objects_immortal:
            immortal.keep(floor)
        self.slow_floor = floor

    def all_stats(self):
        return [loop.stats for loop in self.loops] + [self.cron_stats]

    def client_list(self):
        with self.client_lock:
            return list(self.clients.values())

    # -- clients ---------------------------------------------------------------------------
    def _accept(self, listener):
        for _ in range(64):
            try:
                sock, addr = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE):
                    log.warning(f"Error accepting a client connection: {exc}")
                return
            self.loops[0].stats.connections += 1
            if len(self.clients) >= self.config.maxclients:
                self.loops[0].stats.rejected_connections += 1
                try:
                    sock.send(b"-ERR max number of clients reached\r\n")
                finally:
                    sock.close()
                continue
            if self._protected_mode_denies(addr):
                self.loops[0].stats.rejected_connections += 1
                try:
                    sock.send(PROTECTED_MODE_TEXT)
                finally:
                    sock.close()
                continue
            configure_socket(sock, self.config.tcp_keepalive)
            loop = self._pick_loop()
            if loop is self.loops[0]:
                self.adopt(loop, sock, addr)
            else:
                loop.post(self.adopt, loop, sock, addr)

    def _pick_loop(self):
        loops = self.loops
        self.next_loop = (self.next_loop + 1) % len(loops)
        return loops[self.next_loop]

    def _protected_mode_denies(self, addr):
        """protected-mode with no password: only 127.0.0.1, ::1 and the unix socket are
        served (Redis's islocalClient; other loopback addresses are not), whatever bind
        says."""
        if not self.config.protected_mode or self.config.requirepass:
            return False
        return isinstance(addr, tuple) and addr[0] not in ("127.0.0.1", "::1")

    def adopt(self, loop, sock, addr, cls=Client):
        """On loop's thread: a Client (or cls) for an accepted socket. The socket object
        is made again here so that the loop thread owns everything it touches per
        request."""
        if loop is not self.loops[0]:
            sock = socket.socket(sock.family, sock.type, sock.proto, fileno=sock.detach())
            sock.setblocking(False)
        with self.client_lock:
            self._next_id += 1
            client_id = self._next_id
        client = cls(self, loop, sock, addr, client_id)
        with self.client_lock:
            self.clients[client_id] = client
        loop.add_client(client)
        return client

    def client_closed(self, client):
        with self.client_lock:
            self.clients.pop(client.id, None)
        self.drop_monitor(client)
        for hook in self.close_hooks:
            hook(client)

    def drop_monitor(self, client):
        """client stops being a MONITOR (RESET, or it closed): no more feeding, and while
        any monitor is listed the loops feed it every command and run no read by column."""
        if client.monitor:
            client.monitor = False
            client.flags_extra = client.flags_extra.replace("O", "")
            with self.monitor_lock:
                if client in self.monitors:
                    self.monitors.remove(client)

    def feed_monitors(self, client, argv):
        line = _monitor_line(client, argv)
        with self.monitor_lock:
            targets = list(self.monitors)
        for mon in targets:
            mon.loop.post(_deliver_raw, mon, line)

    # -- start / stop ----------------------------------------------------------------------
    def listen(self):
        cfg = self.config
        try:
            self.listeners = _open_listeners(cfg.bind, cfg.port, cfg.tcp_backlog)
        except OSError:
            log.warning(f"Failed listening on port {cfg.port} (tcp), aborting.")
            sys.exit(1)
        self.listening = (list(cfg.bind), cfg.port)
        if cfg.unixsocket:
            try:
                self.unix_listener = _open_unix_listener(
                    cfg.unixsocket, int(cfg.unixsocketperm, 8), cfg.tcp_backlog)
            except OSError as exc:
                log.warning(f"Failed opening Unix socket: {exc.strerror}")
                sys.exit(1)
        if not self.listeners and self.unix_listener is None:
            log.warning("Configured to not listen anywhere, exiting.")
            sys.exit(1)

    def relisten(self, bind, port):
        """CONFIG SET bind / port, as Redis's changeBindAddr: the old listeners close,
        the new ones open; connected clients stay. When one cannot be opened the old
        ones open again and OSError says so. The listeners are loop 0's, so the change
        runs there and the caller waits for it."""
        if (list(bind), port) == self.listening:
            return
        loop = self.loops[0] if self.loops else None
        if loop is None or loop.thread_id in (None, threading.get_native_id()):
            return self._relisten(bind, port)
        done, finished = [], threading.Event()

        def run():
            try:
                self._relisten(bind, port)
                done.append(None)
            except OSError as exc:
                done.append(exc)
            finally:
                finished.set()
        loop.post(run)
        if not finished.wait(10):
            raise OSError("loop 0 did not answer")
        if done[0] is not None:
            raise done[0]

    def _relisten(self, bind, port):
        loop = self.loops[0] if self.loops else None
        backlog = self.config.tcp_backlog
        for sock in self.listeners:
            if loop is not None:
                loop.unregister(sock)
            sock.close()
        try:
            self.listeners = _open_listeners(bind, port, backlog)
            self.listening = (list(bind), port)
        except OSError:
            self.listeners = _open_listeners(*self.listening, backlog)
            raise
        finally:
            if loop is not None:
                for sock in self.listeners:
                    loop.register(sock, lambda s=sock: self._accept(s))

    def start(self):
        cfg = self.config
        self.startup_memory = self.used_memory = _rss()    # MEMORY STATS startup.allocated
        cpus = _affinity_plan(cfg.server_thread_affinity, cfg.server_threads, cfg.server_cpulist)
        self.loops = [EventLoop(self, i, cpus[i] if cpus else None)
                      for i in range(cfg.server_threads)]
        for sock in self.listeners + [self.unix_listener] * (self.unix_listener is not None):
            self.loops[0].register(sock, lambda s=sock: self._accept(s))
        for ext in self.extensions:
            ext.start(self)
        self.gc_policy.start()           # after loading: freeze the loaded dataset
        if cfg.shared_objects_immortal:  # before the loop threads start (keydb_ft/immortal.py)
            from .immortal import immortalize
            count = immortalize(self)
            log.verbose(f"{count} shared objects made immortal" if count else
                        "shared-objects-immortal: not supported by this interpreter")
        for loop in self.loops:
            loop.start()
        self.cron = threading.Thread(target=self._cron, name="cron", daemon=True)
        self.cron.start()

    def _cron(self):
        from .db.expire import active_expire_cycle
        pin_thread("server_cpulist", "cron", self.config.server_cpulist)
        self.cron_stats = LoopStats()     # made by the thread that counts in it (eventloop.run)
        bind_thread_stats(self.cron_stats)
        while not self.stopped.wait(1.0 / self.config.hz):
            try:
                self.keyspace.tick(lru_clock())     # Redis's server.lruclock
                active_expire_cycle(self)
                self._sample()
                self.gc_policy.cron()
                for ext in self.extensions:
                    ext.cron(self)
            except Exception:
                import traceback
                log.warning("Unexpected error in cron:\n" + traceback.format_exc())

    def _sample(self):
        now = time.monotonic()
        total = sum(s.total_commands for s in self.all_stats())
        net_in = sum(s.net_in for s in self.all_stats())
        net_out = sum(s.net_out for s in self.all_stats())
        self.ops_history.append((now, total, net_in, net_out))
        if len(self.ops_history) > 16:
            del self.ops_history[0]
        self.used_memory = _rss()
        self.peak_memory = max(self.peak_memory, self.used_memory)
        timeout = self.config.timeout
        if timeout:
            for client in self.client_list():
                client.loop.post(_check_idle, client, timeout)
        for client in list(self.soft_limited):       # past a soft limit, maybe idle
            client.loop.post(client.check_soft_limit)

    def shutdown(self, save=None, force=False):
        """Stop serving; run the shutdown hooks (final save, AOF flush) first. save:
        None saves when save points are set; force exits even when a hook fails."""
        if self.shutting_down:
            return True
        self.shutting_down = True
        log.warning("User requested shutdown...")
        for ext in self.extensions:
            if not ext.stop(self, save):
                if force:
                    log.warning("Errors trying to shut down the server, exiting anyway "
                                "(FORCE).")
                    continue
                self.shutting_down = False
                return False
        for sock in self.listeners:
            try:
                sock.close()
            except OSError:
                pass
        if self.unix_listener is not None:
            self.unix_listener.close()
            log.notice("Removing the unix socket file.")
            try:
                os.unlink(self.config.unixsocket)
            except OSError:
                pass
        if self.config.pidfile:
            try:
                os.unlink(self.config.pidfile)
            except OSError:
                pass
        log.warning("Redis is now ready to exit, bye bye...")
        self.stopped.set()
        return True


PROTECTED_MODE_TEXT = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from "
    b"the loopback interface. If you want to connect from external computers to Redis you may "
    b"adopt one of the following solutions: 1) Just disable protected mode sending the command "
    b"'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    b"the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    b"from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    b"Alternatively you can just disable the protected mode by editing the Redis configuration "
    b"file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    b"If you started the server manually just for testing, restart it with the '--protected-mode "
    b"no' option. 4) Set up an authentication password for the default user. NOTE: You only need "
    b"to do one of the above things in order for the server to start accepting connections from "
    b"the outside.\r\n")


def _resume_paused(client):
    client.paused_requests = None
    client.replain()
    client.resume()


def _check_idle(client, timeout):
    if client.closed or client.blocked is not None or client.replica is not None:
        return
    if "M" in client.flags_extra:                # the master's link
        return
    if client.channels or client.patterns or client.monitor:
        return
    if time.time() - client.last_interaction > timeout:
        log.verbose("Closing idle client")
        client.close()


def _deliver_raw(client, data):
    if not client.closed:
        client.write_raw(data)
        client.flush()


def _monitor_line(client, argv):
    parts = " ".join('"' + _escape(a) + '"' for a in argv)
    addr = client.addr if client.fd >= 0 else "lua"
    return (f"+{time.time():.6f} [{client.db.id} {addr}] {parts}\r\n").encode()


def _escape(arg):
    out = []
    for b in arg:
        ch = chr(b)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif 32 <= b < 127:
            out.append(ch)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def _affinity_plan(setting, threads, cpulist=""):
    """One CPU per loop for server-thread-affinity, taken from server_cpulist when that
    is set (else from the CPUs this process may use); None when it is off."""
    text = str(setting).strip().lower()
    if text in ("false", "no", "", "0"):
        return None
    cpus = sorted(parse_cpulist(cpulist) or os.sched_getaffinity(0))
    return [cpus[i % len(cpus)] for i in range(threads)]


def _rss():
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _gil_enabled():
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return bool(is_enabled()) if is_enabled else True


def _logo(cfg, gil_enabled):
    """The start-up box always-show-logo asks for (or a terminal gets): what runs,
    where, and its PID -- the line Redis's own test harness waits for."""
    lines = [f"keydb-ft {__version__}  (Redis {REDIS_VERSION} behaviour)  64 bit",
             f"Running in standalone mode, {cfg.server_threads} server threads, "
             f"gil_enabled:{int(gil_enabled)}",
             f"Port: {cfg.port}",
             f"PID: {os.getpid()}"]
    width = max(map(len, lines)) + 4
    rule = "  +" + "-" * width + "+\n"
    return "\n" + rule + "".join(f"  |  {line.ljust(width - 4)}  |\n" for line in lines) + rule + "\n"


def banner(server):
    cfg = server.config
    log.notice("oO0OoO0OoO0Oo keydb-ft is starting oO0OoO0OoO0Oo")
    log.notice(f"keydb-ft version={__version__}, redis_version={REDIS_VERSION}, bits=64, "
               f"pid={os.getpid()}, just started")
    log.notice(f"Configuration loaded" if cfg.path else
               "Warning: no config file specified, using the default config.")
    if cfg.always_show_logo or (not cfg.logfile and sys.stdout.isatty()):
        log.raw(_logo(cfg, server.gil_enabled))
    log.notice(f"Running mode=standalone, port={cfg.port}, server-threads={cfg.server_threads}, "
               f"gil_enabled:{int(server.gil_enabled)}")
    if server.gil_enabled:
        log.warning("WARNING: the GIL is enabled: threads will not run in parallel. "
                    "Run a free-threaded CPython 3.13 with PYTHON_GIL=0.")


def install_signals(server):
    """SIGTERM / SIGINT only note the signal: the handler runs in the main thread between
    any two of its bytecodes, maybe inside the logger holding its lock, so the logging
    and the shutdown happen in handle_signals(), called by the main thread's wait loop."""
    def handler(signum, _frame):
        server.signal_received = signum
    server.signal_received = None
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def handle_signals(server):
    """Start the shutdown a noted SIGTERM / SIGINT asks for (shutdown-on-sigterm / -sigint:
    save, nosave, force)."""
    signum, server.signal_received = server.signal_received, None
    if signum is None:
        return
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    log.warning(f"Received {name} scheduling shutdown...")
    flags = (server.config.shutdown_on_sigterm if signum == signal.SIGTERM
             else server.config.shutdown_on_sigint).lower().split()
    save = True if "save" in flags else False if "nosave" in flags else None
    threading.Thread(target=server.shutdown, args=(save, "force" in flags),
                     daemon=True).start()


def main_config(argv):
    """Parse `[config file] [-] [--option value ...]` like redis-server: the options
    are config text read after the file (config.command_line_options), and a lone `-`
    first or last reads more config from stdin before them."""
    cfg = config_mod.Config()
    path = None
    args = list(argv)
    if args and not args[0].startswith("-"):
        path = args.pop(0)
    stdin = b""
    if args and (args[-1] == "-" or (args[0] == "-" and path is None)):
        args.remove("-")              # the first argument or the last, as Redis reads it
        stdin = sys.stdin.buffer.read()
    # one text, numbered as Redis numbers it: the file's lines, stdin's, "\n", the options
    overrides = stdin + b"\n" + config_mod.command_line_options(args)
    config_mod.load(cfg, path, overrides)
    return cfg
