"""The one gate every request passes, in this order: lookup, arity, auth, ACL, cluster
slot, state (loading, read-only replica, OOM, subscribed mode, MULTI); then the locks of
the command's keys, the handler, propagation of its effect, the reply, the unlock, and
the statistics (commandstats, errorstats, slowlog, MONITOR).
"""

import time
import traceback

from .. import errors
from ..errors import ArityError, CommandError
from ..log import log
from ..threadstate import peek, settle_dirty
from ..resp.parser import as_requests
from ..resp.writer import BULK_LINES, ENCODERS, OK, Error
from ..locks.ranks import ranks_enabled
from ..locks.striped import MASK as STRIPE_MASK
from ..stats import SHORT_US, new_row
from ..db.access import lfu_touch
from ..db.keyspace import now_ms
from .registry import COMMANDS, LANE_GET, LANE_SET, LOCK_ALL, LOCK_KEYS, LOCK_ONE_KEY

_NAMES = {}      # raw command name as sent (any case) -> Command; filled lazily


class _NoReply:
    """Returned by a handler that replies later (blocking) or not at all."""
    __slots__ = ()


NO_REPLY = _NoReply()
_perf = time.perf_counter_ns
_CHECK_PLAIN = ranks_enabled()    # the test suite's servers (KEYDB_FT_LOCK_RANKS) check Client.plain


def resolve(argv, names=_NAMES):
    """Command for argv, subcommands resolved; raises CommandError with Redis's text.

    names caches raw names (as sent, any case) -> Command. The loops pass their own
    dict: a lookup in a dict shared by threads compares against key objects another
    thread created and bumps their reference counts atomically, which made two loop
    threads three times slower per command than one (measured in-process)."""
    raw = argv[0]
    cmd = names[raw] if raw in names else None     # not names.get(): threadstate.peek
    if cmd is None:
        cmd = peek(COMMANDS, raw.lower())
        if cmd is None:
            raise CommandError(errors.unknown_command(argv))
        if len(names) < 4096:
            names[raw] = cmd
    if cmd.subcommands and (len(argv) > 1 or cmd.handler is None):
        if len(argv) < 2:
            raise ArityError(errors.wrong_arity(cmd.fullname), cmd)
        sub = peek(cmd.subcommands, argv[1].lower())
        if sub is None:
            raise CommandError(errors.unknown_subcommand(argv[1], cmd.name))
        cmd = sub
    arity = cmd.arity
    n = len(argv)
    if (arity > 0 and n != arity) or n < -arity:
        raise ArityError(errors.wrong_arity(cmd.fullname), cmd)
    return cmd


def batch_context(loop):
    """What run_batch reads from its loop and the server on every read, in one tuple the
    loop keeps (EventLoop.batch_context): none of it is ever replaced, and one
    attribute load with an unpack costs a tenth of a dozen attribute loads."""
    server = loop.server
    ks = server.keyspace
    stats = loop.stats
    return (loop.command_names, stats, stats.commands, server, ks, server.key_locks,
            server.key_locks.stripes, ks.watched, ks.waiting, server.monitors)


def run_batch(c, requests, len_=len, hash_=hash, type_=type, bytes_=bytes, perf=_perf,
              mask=STRIPE_MASK, lane_get=LANE_GET, lane_set=LANE_SET, error_type=Error,
              short_us=SHORT_US, ok=OK, no_reply=NO_REPLY, encoders=ENCODERS,
              one_key=LOCK_ONE_KEY, check_plain=_CHECK_PLAIN, lines=BULK_LINES):
    """Run requests for c in order, as execute() would one by one; returns how many ran
    (fewer than all when c blocks, pauses or starts closing: the caller keeps the rest).

    Plain commands (Command.plain: they cannot change the client's or the server's
    state) run here with the gate's client checks done once for the whole run instead
    of per command, and with the single-stripe lock, the handler, the reply and the
    statistics inline. Gate hooks, CLIENT PAUSE, propagation and the BGSAVE snapshot are
    still read per command (the last two under the stripe lock); the WATCH table, blocked
    clients and MONITOR list are read once but changed in place, and the slowlog floor
    is read once per read. Anything else goes through execute(). The sequence from the lock to the
    statistics is run()'s, written out again because a call per command costs more
    than the duplication: change the two together.

    Two lanes go further (Command.lane): GET, and SET without options under an LRU
    clock, run their handler's work written out here (cmd_get with Database.lookup_read,
    cmd_set with Database.set and its notify): in-process that halves what a pipelined
    GET or SET costs. Whatever they do not cover -- another type at the key, a TTL that
    has passed, an LFU policy -- goes back to the handler. A change to those handlers or
    Database methods must be made here too; tests/test_lanes.py holds the two to the
    same replies and side effects.

    The arguments after the first two are never passed: they make the globals and
    builtins the loop uses per command locals (without the specializing interpreter
    each global is a dict lookup, two for a builtin, every time). They are positional,
    not keyword-only: a call copies positional defaults from a tuple but looks each
    keyword-only one up in a dict (13 ns each, measured)."""
    # Read once per read, not per command. The containers are changed in place, so a
    # WATCH, MONITOR or blocked client that arrives meanwhile is still seen; a new slowlog
    # threshold applies from the next read (each request of a read was received before
    # the change, as Redis runs a client's whole query buffer in one go).
    (names, stats, rows, server, ks, key_locks, stripe_locks, watched, waiting,
     monitors) = c.loop.batch_context
    out = c.out
    append = out.append
    tracking = server.latency_tracking
    slow_floor = server.slow_floor
    ran = 0
    if check_plain:
        _stale_plain(c)
    fast = c.plain
    if fast:
        c.mute = False
    for argv in requests:
        if not fast:
            if c.closing or c.closed or c.blocked is not None or c.paused_requests is not None:
                return ran
            ran += 1
            execute(c, argv)
            fast = c.plain
            if fast:
                c.mute = False
            continue
        ran += 1
        name = argv[0]
        try:
            cmd = names[name]                  # one lookup; a miss is rare
        except KeyError:
            cmd = None
        if cmd is None or not cmd.plain or server.gated:
            execute(c, argv)
            fast = c.plain
            if fast:
                c.mute = False
            continue
        lane = cmd.lane
        if lane == lane_get and len_(argv) == 2:
            key = argv[1]
            i = hash_(key) & mask
            lock = stripe_locks[i]
            lock.acquire()
            try:                               # (no cost unless something raises)
                snapshot = key_locks.snapshot  # read once: the walker clears it when done
                if snapshot is not None:
                    snapshot.touch((i,))
                start = perf()
                db = c.db
                data = db.data[i]
                value = data[key] if key in data else None
                handler = False
                if value is not None:
                    exp = db.expires[i]
                    if type_(value) is not bytes_ or (exp and key in exp and exp[key] <= now_ms()):
                        handler = True         # another type, or expired: the handler
                    else:
                        clock = db.clock
                        if clock is not None:
                            db.access[i][key] = clock
                        else:
                            lfu_touch(db.access[i], key, ks.config)
            finally:
                lock.release()
            if handler:
                c.last_cmd = cmd.fullname
                run(c, cmd, argv)
                continue
            if value is None:
                stats.keyspace_misses += 1
                append(b"_\r\n" if c.resp3 else b"$-1\r\n")
            else:
                stats.keyspace_hits += 1
                try:                           # no len() check: BULK_LINES stops at 4 KiB
                    out.extend((lines[len_(value)], value, b"\r\n"))
                except IndexError:
                    encoders[bytes_](out, value, c.resp3)
            result = None
        elif lane == lane_set and len_(argv) == 3:
            key = argv[1]
            i = hash_(key) & mask
            lock = stripe_locks[i]
            lock.acquire()
            try:
                snapshot = key_locks.snapshot
                if snapshot is not None:
                    snapshot.touch((i,))
                start = perf()
                db = c.db
                clock = db.clock
                if clock is not None:          # Database.set() and cmd_set's notify
                    hook = ks.notify_hook
                    if hook is not None and key not in db.data[i]:
                        hook(db.id, "n", "new", key)
                    db.data[i][key] = argv[2]
                    exp = db.expires[i]
                    if exp and key in exp:
                        del exp[key]
                    stats.dirty += 1
                    db.access[i][key] = clock
                    if watched:
                        ks.touch_watched(db, key)
                    if waiting[i]:
                        ks.blocking.signal(db, key)
                    if hook is not None:
                        hook(db.id, "$", "set", key)
                else:                          # LFU: keeps or counts the key's counter
                    db.set(key, argv[2])
                    db.notify("$", "set", key)
                if ks.propagating:
                    ks.propagate(db.id, argv)
            finally:
                lock.release()
            append(b"+OK\r\n")
            result = None
        else:
            arity = cmd.arity
            if (arity > 0 and len_(argv) != arity) or len_(argv) < -arity:
                execute(c, argv)
                continue
            if cmd.lock_mode != one_key or len_(argv) <= cmd.simple_key:
                c.last_cmd = cmd.fullname
                run(c, cmd, argv)
                continue
            i = hash_(argv[cmd.simple_key]) & mask
            lock = stripe_locks[i]
            lock.acquire()
            snapshot = key_locks.snapshot      # read once: the walker clears it when done
            if snapshot is not None:
                snapshot.touch((i,))
            dirty = stats.dirty
            c.propagate_as = None
            start = perf()
            try:
                try:
                    result = cmd.handler(c, argv)
                except CommandError as exc:
                    result = Error(exc.text)
                except RecursionError:
                    result = Error("ERR reached the maximum nesting depth")
                except Exception:
                    result = _unexpected(stats, cmd)
                if stats.dirty != dirty and ks.propagating:
                    _propagate(c, argv)
                if c.dirty_as is not None:
                    settle_dirty(c, stats, dirty)
                if result is ok:
                    append(b"+OK\r\n")
                elif type_(result) is bytes_ and len_(result) < 16384:    # writer._bulk, inline
                    append(b"$%d\r\n%s\r\n" % (len_(result), result))
                elif result is not no_reply:
                    encoders[type_(result)](out, result, c.resp3)
            finally:
                lock.release()
        c.last_cmd = cmd.fullname
        elapsed = (perf() - start) // 1000
        try:
            row = rows[cmd]
        except KeyError:                     # the command's first call on this loop
            row = rows[cmd] = new_row()
        row[0] += 1
        row[1] += elapsed
        if tracking:                         # latency-tracking: the command's histogram
            if elapsed < short_us:
                row[4][elapsed] += 1
            else:
                _track_long(row, elapsed)
        if result is not None and type_(result) is error_type:
            row[3] += 1
            _count_error(stats, result)
        if elapsed >= slow_floor:
            _slow(c, server, cmd, argv, elapsed)
        if monitors and not cmd.skip_monitor:
            server.feed_monitors(c, cmd.shown(argv))
    return ran


def run_columns(c, columns, len_=len, hash_=hash, type_=type, bytes_=bytes, perf=_perf,
                mask=STRIPE_MASK, lane_get=LANE_GET, lane_set=LANE_SET, short_us=SHORT_US,
                encoders=ENCODERS, check_plain=_CHECK_PLAIN, lines=BULK_LINES,
                one_key=LOCK_ONE_KEY, ok=OK, no_reply=NO_REPLY, error_type=Error):
    """Run a read of same-length requests, given by column (RequestParser.take:
    columns[j] holds argument j of every request), as run_batch() would. What it leaves
    unrun (c blocked, paused or closing) goes to c.backlog.

    A read that is one plain single-key command over and over -- a pipeline of GETs, of
    SETs, of INCRs or HSETs -- runs here as one loop over its requests: what run_batch
    checks per command (the name, the client's state, the lane, the arity, gate hooks
    and CLIENT PAUSE) is checked once for the read, and the statistics are summed in
    locals. Checking gate hooks and pauses once per read is what Redis does: it runs a
    client's whole query buffer in one go, so nothing another client sends can come
    between two of its commands. Per request, everything else stays: the stripe lock,
    the BGSAVE snapshot and propagation read under it, WATCH, blocked clients,
    keyspace events, errors, the command's own duration for latency-tracking and the
    slowlog. Any other read goes to run_batch() as a list of requests (_run_rows).

    GETs and SETs without options run their lane's work; other commands their
    handler, with run_batch's sequence from the lock to the reply. These loops repeat
    run_batch's (and so cmd_get, cmd_set and run()): change them together;
    tests/test_lanes.py holds them to redis-server's replies and side effects.

    The arguments after the first two are never passed (run_batch says why)."""
    (names, stats, rows, server, ks, key_locks, stripe_locks, watched, waiting,
     monitors) = c.loop.batch_context
    column = columns[0]
    n = len_(column)
    name = column[0]
    cmd = names[name] if name in names else None
    db = c.db
    clock = db.clock
    slow_floor = server.slow_floor
    if (cmd is None or not cmd.plain or column.count(name) != n or not c.plain or monitors
            or not slow_floor or server.gated):
        return _run_rows(c, columns, n)
    k = len_(columns)
    lane = cmd.lane
    if not ((lane == lane_get and k == 2) or (lane == lane_set and k == 3 and clock is not None)):
        lane = 0                             # the handler, as run_batch's other commands
        arity = cmd.arity
        if ((arity > 0 and k != arity) or k < -arity or cmd.lock_mode != one_key
                or k <= cmd.simple_key):
            return _run_rows(c, columns, n)
    if check_plain:
        _stale_plain(c)
    c.mute = False
    c.last_cmd = cmd.fullname
    out = c.out
    append = out.append
    data, expires, access = db.data, db.expires, db.access
    try:
        row = rows[cmd]
    except KeyError:                         # the command's first call on this loop
        row = rows[cmd] = new_row()
    hist = row[4] if server.latency_tracking else None
    hook = ks.notify_hook
    dbid = db.id
    total = timed = 0
    if lane == lane_get:
        misses = handled = 0
        resp3 = c.resp3
        null = b"_\r\n" if resp3 else b"$-1\r\n"
        extend = out.extend
        for key in columns[1]:
            i = hash_(key) & mask
            lock = stripe_locks[i]
            lock.acquire()
            try:
                snapshot = key_locks.snapshot
                if snapshot is not None:
                    snapshot.touch((i,))
                start = perf()
                d = data[i]
                value = d[key] if key in d else None
                if value is not None:
                    exp = expires[i]
                    if type_(value) is not bytes_ or (exp and key in exp and exp[key] <= now_ms()):
                        value = False          # another type, or expired: the handler
                    elif clock is not None:
                        access[i][key] = clock
                    else:
                        lfu_touch(access[i], key, ks.config)
            finally:
                lock.release()
            if value is None:
                misses += 1
                append(null)
            elif value is False:
                run(c, cmd, [name, key])       # its own statistics
                handled += 1
                continue
            else:
                try:                           # no len() check: BULK_LINES stops at 4 KiB
                    extend((lines[len_(value)], value, b"\r\n"))
                except IndexError:
                    encoders[bytes_](out, value, resp3)
            elapsed = perf() - start
            if elapsed >= 1000:                # else 0 us: counted after the loop
                elapsed //= 1000
                timed += 1
                total += elapsed
                if hist is not None:
                    if elapsed < short_us:
                        hist[elapsed] += 1
                    else:
                        _track_long(row, elapsed)
                if elapsed >= slow_floor:
                    _slow(c, server, cmd, [name, key], elapsed)
        n -= handled
        stats.keyspace_hits += n - misses
        stats.keyspace_misses += misses
    elif lane == lane_set:
        for key, value in zip(columns[1], columns[2]):
            i = hash_(key) & mask
            lock = stripe_locks[i]
            lock.acquire()
            try:                               # Database.set() and cmd_set's notify
                snapshot = key_locks.snapshot
                if snapshot is not None:
                    snapshot.touch((i,))
                start = perf()
                if hook is not None and key not in data[i]:
                    hook(dbid, "n", "new", key)
                data[i][key] = value
                exp = expires[i]
                if exp and key in exp:
                    del exp[key]
                access[i][key] = clock
                if watched:
                    ks.touch_watched(db, key)
                if waiting[i]:
                    ks.blocking.signal(db, key)
                if hook is not None:
                    hook(dbid, "$", "set", key)
                if ks.propagating:
                    ks.propagate(dbid, [name, key, value])
            finally:
                lock.release()
            append(b"+OK\r\n")
            elapsed = perf() - start
            if elapsed >= 1000:                # else 0 us: counted after the loop
                elapsed //= 1000
                timed += 1
                total += elapsed
                if hist is not None:
                    if elapsed < short_us:
                        hist[elapsed] += 1
                    else:
                        _track_long(row, elapsed)
                if elapsed >= slow_floor:
                    _slow(c, server, cmd, [name, key, value], elapsed)
        stats.dirty += n
    else:                       # any other plain single-key command: run_batch's sequence
        key_at = cmd.simple_key
        handler = cmd.handler
        resp3 = c.resp3
        for argv in map(list, zip(*columns)):
            i = hash_(argv[key_at]) & mask
            lock = stripe_locks[i]
            lock.acquire()
            snapshot = key_locks.snapshot
            if snapshot is not None:
                snapshot.touch((i,))
            dirty = stats.dirty
            c.propagate_as = None
            start = perf()
            try:
                try:
                    result = handler(c, argv)
                except CommandError as exc:
                    result = Error(exc.text)
                except RecursionError:
                    result = Error("ERR reached the maximum nesting depth")
                except Exception:
                    result = _unexpected(stats, cmd)
                if stats.dirty != dirty and ks.propagating:
                    _propagate(c, argv)
                if c.dirty_as is not None:
                    settle_dirty(c, stats, dirty)
                if result is ok:
                    append(b"+OK\r\n")
                elif type_(result) is bytes_ and len_(result) < 16384:
                    append(b"$%d\r\n%s\r\n" % (len_(result), result))
                elif result is not no_reply:
                    encoders[type_(result)](out, result, resp3)
            finally:
                lock.release()
            if type_(result) is error_type:
                row[3] += 1
                _count_error(stats, result)
            elapsed = perf() - start
            if elapsed >= 1000:                # else 0 us: counted after the loop
                elapsed //= 1000
                timed += 1
                total += elapsed
                if hist is not None:
                    if elapsed < short_us:
                        hist[elapsed] += 1
                    else:
                        _track_long(row, elapsed)
                if elapsed >= slow_floor:
                    _slow(c, server, cmd, argv, elapsed)
    if hist is not None:
        hist[0] += n - timed
    row[0] += n
    row[1] += total


def _run_rows(c, columns, n):
    """run_columns' way out: the read as a list of requests, through run_batch."""
    requests = as_requests(columns)
    ran = run_batch(c, requests)
    if ran < n and not (c.closing or c.closed):
        c.backlog.extend(requests[ran:])        # blocked or paused: later


def _track_long(row, elapsed):
    long = row[5]                            # the loop's own dict (threadstate.peek)
    long[elapsed] = long[elapsed] + 1 if elapsed in long else 1


def _slow(c, server, cmd, argv, elapsed, slowlog=True):
    """A command that took at least server.slow_floor us: the slowlog and the latency
    monitor ("fast-command" for commands flagged fast, else "command"), each by its own
    threshold."""
    cfg = server.config
    if slowlog and elapsed >= cfg.slowlog_log_slower_than >= 0 and not cmd.skip_slowlog:
        server.slowlog.add(c, cmd.shown(argv), elapsed)
    threshold = cfg.latency_monitor_threshold
    if threshold and elapsed // 1000 >= threshold:
        server.latency.add("fast-command" if "fast" in cmd.flags else "command",
                           elapsed // 1000)


def wait_ended(c, ran, serve_us):
    """A blocked command's wait ended served, or by CLIENT UNBLOCK ... ERROR
    (db/blocking.py). As in Redis, the time serving it took adds to its command's time,
    and its latency histogram and slowlog entry take the time it first ran plus that; a
    timeout records neither. ran: (cmd, argv, us) from run()."""
    cmd, argv, elapsed = ran
    server = c.server
    row = peek(c.loop.stats.commands, cmd)
    if row is not None:
        row[1] += serve_us
        if server.latency_tracking:
            total = elapsed + serve_us
            if total < SHORT_US:
                row[4][total] += 1
            else:
                _track_long(row, total)
    total = elapsed + serve_us
    cfg = server.config
    if total >= cfg.slowlog_log_slower_than >= 0:
        server.slowlog.add(c, argv, total)
    threshold = cfg.latency_monitor_threshold
    if threshold and serve_us // 1000 >= threshold:
        server.latency.add("command-unblocking", serve_us // 1000)


def client_plain(c):
    """c's state lets plain commands skip the gate: replies on, authenticated, not in
    MULTI, not subscribed, not blocked, paused or closing. Client.plain holds the answer
    (Client.replain)."""
    return not (c.reply_mode != "on" or not c.authenticated or c.in_multi or c.channels
                or c.patterns or c.shard_channels or c.closing or c.closed
                or c.blocked is not None or c.paused_requests is not None)


def _stale_plain(c):
    """Test-suite servers (KEYDB_FT_LOCK_RANKS): a state change that missed replain()."""
    if c.plain != client_plain(c):
        raise AssertionError(f"Client.plain is {c.plain} for a client whose state says "
                             f"otherwise (a change without replain()): {c.flags()}")


def _unexpected(stats, cmd):
    stats.unexpected_errors += 1
    log.warning(f"Unexpected error in '{cmd.fullname}':\n{traceback.format_exc()}")
    return Error(f"ERR internal error while executing '{cmd.fullname}'")


def execute(c, argv):
    """Run one request for client c (on c's loop thread) and queue its reply.

    The usual request -- a known command with the right arity, from an authenticated
    client that is not muted, queuing a transaction or subscribed, with no gate hooks
    installed and no pause -- goes straight to run(); everything else takes the full
    gate in _execute_gated(), which makes the same decisions one check at a time."""
    names = c.loop.command_names
    name = argv[0]
    cmd = names[name] if name in names else None
    if (cmd is None or cmd.subcommands or c.reply_mode != "on" or not c.authenticated
            or c.in_multi or c.channels or c.patterns or c.shard_channels):
        return _execute_gated(c, argv)
    arity = cmd.arity
    if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
        return _execute_gated(c, argv)
    server = c.server
    if server.gated:
        return _execute_gated(c, argv)
    c.mute = False
    c.last_cmd = cmd.fullname
    run(c, cmd, argv)


def _execute_gated(c, argv):
    stats = c.loop.stats
    mode = c.reply_mode
    if mode != "on":
        c.mute = True
        if mode == "skip":
            c.reply_mode = "on"
            c.replain()
    else:
        c.mute = False
    try:
        cmd = resolve(argv, c.loop.command_names)
    except CommandError as exc:
        if c.in_multi:
            c.multi_error = True
        _reject(c, stats, getattr(exc, "command", None), exc.text, argv)
        return
    c.last_cmd = cmd.fullname
    flags = cmd.flags
    if not c.authenticated and "no_auth" not in flags:
        _reject(c, stats, cmd, errors.NOAUTH, argv)
        return
    server = c.server
    if server.gate_checks is not None:
        text = server.gate_checks(c, cmd, argv)
        if text is not None:
            if c.in_multi:
                if "runs_queue" in flags:       # EXEC: the transaction is discarded
                    text = errors.EXECABORT_BECAUSE.format(text)
                    from .transactions import end_transaction
                    end_transaction(c)
                else:
                    c.multi_error = True
            _reject(c, stats, cmd, text, argv)
            return
    if server.pause_until and _must_pause(c, cmd):
        c.paused_requests = True
        c.replain()
        c.backlog.insert(0, argv)
        c.loop.call_later(max(0.0, server.pause_until - time.monotonic()), _resume, c)
        return
    if c.in_multi and "multi_ok" not in flags:
        if "no_multi" in flags:
            c.multi_error = True
            _reject(c, stats, cmd, f"ERR Command not allowed inside a transaction", argv)
            return
        c.multi_queue.append((cmd, argv))
        c.reply("QUEUED")
        return
    if (c.channels or c.patterns or c.shard_channels) and not c.resp3 and "pubsub_ok" not in flags:
        _reject(c, stats, cmd, f"ERR Can't execute '{cmd.fullname}': only (P|S)SUBSCRIBE / "
                "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", argv)
        return
    run(c, cmd, argv)


def gate_needs(c, cmd):
    """What a gate check judges cmd by, as Redis's processCommand does: (writes, needs
    fresh data, needs the dataset loaded) -- cmd.write, and the lack of the `stale` and
    `loading` flags. EXEC in a transaction is judged by the commands it would run: it
    writes if one of them does, and needs what any one of them needs."""
    if c.in_multi and "runs_queue" in cmd.flags:
        queue = [queued for queued, _ in c.multi_queue]
        return (any(q.write for q in queue), any("stale" not in q.flags for q in queue),
                any("loading" not in q.flags for q in queue))
    flags = cmd.flags
    return cmd.write, "stale" not in flags, "loading" not in flags


def _must_pause(c, cmd):
    server = c.server
    if time.monotonic() >= server.pause_until:
        server.pause_until = 0
        server.regate()
        return False
    if c.replica is not None or "M" in c.flags_extra:
        return False
    if server.pause_all:
        return True
    if c.in_multi and "multi_ok" not in cmd.flags:
        return False
    if cmd.write or "may_replicate" in cmd.flags:
        return True
    if "runs_queue" in cmd.flags and any(q.write or "may_replicate" in q.flags for q, _ in c.multi_queue):
        return True
    return False


def _resume(c):
    if c.paused_requests is not None:
        c.paused_requests = None
        c.replain()
        c.resume()


def run(c, cmd, argv, locked=False):
    """Execute cmd under the locks of its keys (unless the caller holds them).
    run_batch() repeats this sequence inline for plain single-key commands."""
    stats = c.loop.stats
    server = c.server
    lock = stripes = None
    if not locked:
        mode = cmd.lock_mode
        if mode == LOCK_ONE_KEY:
            if len(argv) > cmd.simple_key:          # one stripe: taken directly
                key_locks = server.key_locks
                i = hash(argv[cmd.simple_key]) & STRIPE_MASK
                lock = key_locks.stripes[i]
                lock.acquire()
                snapshot = key_locks.snapshot      # read once (run_batch says why)
                if snapshot is not None:
                    snapshot.touch((i,))
        elif mode == LOCK_KEYS:
            keys = cmd.keys(argv)
            if keys:
                stripes = server.key_locks.stripes_for(keys)
        elif mode == LOCK_ALL:
            stripes = server.key_locks.all
        if stripes is not None:
            server.key_locks.acquire(stripes)
    dirty = stats.dirty
    c.propagate_as = None
    start = _perf()
    try:
        try:
            result = cmd.handler(c, argv)
        except CommandError as exc:
            result = Error(exc.text)
        except RecursionError:
            result = Error("ERR reached the maximum nesting depth")
        except Exception:
            result = _unexpected(stats, cmd)
        if stats.dirty != dirty and server.keyspace.propagating:
            _propagate(c, argv)
        if c.dirty_as is not None:
            settle_dirty(c, stats, dirty)
        if result is not NO_REPLY and not c.mute:
            if result is OK:
                c.out.append(b"+OK\r\n")
            else:
                ENCODERS[type(result)](c.out, result, c.resp3)
    finally:
        if lock is not None:
            lock.release()
        elif stripes is not None:
            server.key_locks.release(stripes)
    elapsed = (_perf() - start) // 1000
    rows = stats.commands
    row = rows.get(cmd)
    if row is None:
        row = rows[cmd] = new_row()
    row[0] += 1
    row[1] += elapsed
    if type(result) is Error:
        row[3] += 1
        _count_error(stats, result)
    if result is NO_REPLY and c.blocked is not None:
        # as Redis: the latency histogram and the slowlog wait for the wait's end
        c.blocked.ran = (cmd, argv, elapsed)
        if elapsed >= server.slow_floor:
            _slow(c, server, cmd, argv, elapsed, slowlog=False)
    else:
        if server.latency_tracking:
            if elapsed < SHORT_US:
                row[4][elapsed] += 1
            else:
                _track_long(row, elapsed)
        if elapsed >= server.slow_floor:
            _slow(c, server, cmd, argv, elapsed)
    if server.monitors and not cmd.skip_monitor:
        server.feed_monitors(c, cmd.shown(argv))
    return result


def _propagate(c, argv):
    ks = c.server.keyspace
    effects = c.propagate_as
    if effects is None:
        ks.propagate(c.db.id, argv)
    else:
        for effect in effects:
            ks.propagate(c.db.id, effect)


def _reject(c, stats, cmd, text, argv):
    if cmd is not None:
        row = stats.commands.get(cmd)
        if row is None:
            row = stats.commands[cmd] = new_row()
        row[2] += 1
    c.write_error(text)
    _count_error(stats, text)


def _count_error(stats, text):
    code = errors.error_code(text)
    stats.errors[code] = stats.errors.get(code, 0) + 1
    stats.error_replies += 1
