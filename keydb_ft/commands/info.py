"""INFO: sections built from the server, the merged per-loop counters and providers that
subsystems register (server.info_providers: section name -> fn(server) -> [(k, v)])."""

import os
import platform
import resource
import sys
import time

from .. import REDIS_VERSION, __version__
from ..resp.writer import Verbatim
from ..latency import percentile_label, percentile_us
from ..stats import merged, merged_commands, merged_durations, merged_errors
from .memory import memory_breakdown
from .registry import command
from ..threadstate import peek

DEFAULT = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
           "modules", "errorstats", "cluster", "keyspace", "keydb")
ALL = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
       "commandstats", "errorstats", "latencystats", "cluster", "keyspace", "keydb", "threads")


def section_server(server):
    cfg = server.config
    uptime = int(time.time() - server.started)
    return [("redis_version", REDIS_VERSION), ("keydb_ft_version", __version__),
            ("redis_git_sha1", "00000000"), ("redis_git_dirty", 0), ("redis_build_id", "0"),
            ("redis_mode", "cluster" if cfg.cluster_enabled else "standalone"),
            ("os", f"{platform.system()} {platform.release()} {platform.machine()}"),
            ("arch_bits", 64), ("monotonic_clock", "POSIX clock_gettime"),
            ("multiplexing_api", "epoll"), ("atomicvar_api", "c11-builtin"),
            ("gcc_version", "0.0.0"),
            ("python_version", platform.python_version()),
            ("gil_enabled", int(server.gil_enabled)),
            ("process_id", os.getpid()), ("process_supervised", "no"),
            ("run_id", server.run_id), ("tcp_port", cfg.port),
            ("server_time_usec", time.time_ns() // 1000),
            ("uptime_in_seconds", uptime), ("uptime_in_days", uptime // 86400),
            ("hz", cfg.hz), ("configured_hz", cfg.hz), ("lru_clock", int(time.time()) & 0xFFFFFF),
            ("executable", os.path.abspath(sys.argv[0])),
            ("config_file", cfg.path or ""), ("io_threads_active", 0),
            ("server_threads", cfg.server_threads)]


def section_clients(server):
    clients = server.client_list()
    # as Redis counts them: clients held by CLIENT PAUSE are blocked too, and the timeout
    # table holds the waits that have a timeout
    blocked = sum(1 for c in clients if c.blocked is not None or c.paused_requests is not None)
    timed = sum(1 for c in clients if c.blocked is not None and c.blocked.timer is not None)
    return [("connected_clients", len(clients)), ("cluster_connections", 0),
            ("maxclients", server.config.maxclients),
            ("client_recent_max_input_buffer", max((c.parser.pending for c in clients), default=0)),
            ("client_recent_max_output_buffer", max((c.output_size() for c in clients), default=0)),
            ("blocked_clients", blocked), ("tracking_clients", 0),
            ("clients_in_timeout_table", timed)]


def _human(n):
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{n}B"


def _total_system_memory():
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def section_memory(server):
    """Redis 7.0's fields in its order. keydb-ft measures its resident size, so the
    allocator and RSS figures are that size (ratios 1.00); there is no Lua VM, no
    replication backlog and no cluster bus, so those are 0."""
    m = memory_breakdown(server)
    used, peak, startup, dataset = m["used"], m["peak"], m["startup"], m["dataset"]
    net = used - startup
    maxmem = server.config.maxmemory
    system = _total_system_memory()
    return [("used_memory", used), ("used_memory_human", _human(used)),
            ("used_memory_rss", used), ("used_memory_rss_human", _human(used)),
            ("used_memory_peak", peak), ("used_memory_peak_human", _human(peak)),
            ("used_memory_peak_perc", f"{100.0 * used / peak if peak else 100:.2f}%"),
            ("used_memory_overhead", m["overhead"]), ("used_memory_startup", startup),
            ("used_memory_dataset", dataset),
            ("used_memory_dataset_perc", f"{100.0 * dataset / net if net > 0 else 0:.2f}%"),
            ("allocator_allocated", used), ("allocator_active", used),
            ("allocator_resident", used),
            ("total_system_memory", system), ("total_system_memory_human", _human(system)),
            ("used_memory_lua", 0), ("used_memory_vm_eval", 0), ("used_memory_lua_human", "0B"),
            ("used_memory_scripts_eval", 0), ("number_of_cached_scripts", 0),
            ("number_of_functions", 0), ("number_of_libraries", 0),
            ("used_memory_vm_functions", 0), ("used_memory_vm_total", 0),
            ("used_memory_vm_total_human", "0B"), ("used_memory_functions", 0),
            ("used_memory_scripts", 0), ("used_memory_scripts_human", "0B"),
            ("maxmemory", maxmem), ("maxmemory_human", _human(maxmem)),
            ("maxmemory_policy", server.config.maxmemory_policy),
            ("allocator_frag_ratio", "1.00"), ("allocator_frag_bytes", 0),
            ("allocator_rss_ratio", "1.00"), ("allocator_rss_bytes", 0),
            ("rss_overhead_ratio", "1.00"), ("rss_overhead_bytes", 0),
            ("mem_fragmentation_ratio", "1.00"), ("mem_fragmentation_bytes", 0),
            ("mem_not_counted_for_evict", m["aof_buffer"]), ("mem_replication_backlog", 0),
            ("mem_total_replication_buffers", 0), ("mem_clients_slaves", 0),
            ("mem_clients_normal", m["clients"]), ("mem_cluster_links", 0),
            ("mem_aof_buffer", m["aof_buffer"]), ("mem_allocator", "pymalloc"),
            ("active_defrag_running", 0),
            ("lazyfree_pending_objects", server.keyspace.lazyfree.pending),
            ("lazyfreed_objects", server.keyspace.lazyfree.freed)]


def section_stats(server):
    stats = server.all_stats()
    hist = server.ops_history
    ops = in_kbps = out_kbps = 0
    if len(hist) >= 2:
        (t0, c0, i0, o0), (t1, c1, i1, o1) = hist[0], hist[-1]
        span = max(t1 - t0, 1e-6)
        ops = int((c1 - c0) / span)
        in_kbps, out_kbps = (i1 - i0) / span / 1024, (o1 - o0) / span / 1024
    channels, patterns, shard_channels = server.pubsub_counts()
    return [("total_connections_received", merged(stats, "connections")),
            ("total_commands_processed", merged(stats, "total_commands")),
            ("instantaneous_ops_per_sec", ops),
            ("total_net_input_bytes", merged(stats, "net_in")),
            ("total_net_output_bytes", merged(stats, "net_out")),
            ("total_net_repl_input_bytes", 0), ("total_net_repl_output_bytes", 0),
            ("instantaneous_input_kbps", f"{in_kbps:.2f}"),
            ("instantaneous_output_kbps", f"{out_kbps:.2f}"),
            ("instantaneous_input_repl_kbps", "0.00"), ("instantaneous_output_repl_kbps", "0.00"),
            ("rejected_connections", merged(stats, "rejected_connections")),
            ("sync_full", server.master.sync_full),
            ("sync_partial_ok", server.master.sync_partial_ok),
            ("sync_partial_err", server.master.sync_partial_err),
            ("expired_keys", merged(stats, "expired_keys")),
            ("expired_stale_perc", "0.00"), ("expired_time_cap_reached_count", 0),
            ("expire_cycle_cpu_milliseconds", server.expire_cycle_us // 1000),
            ("evicted_keys", merged(stats, "evicted_keys")), ("evicted_clients", 0),
            ("total_eviction_exceeded_time", 0), ("current_eviction_exceeded_time", 0),
            ("keyspace_hits", merged(stats, "keyspace_hits")),
            ("keyspace_misses", merged(stats, "keyspace_misses")),
            ("pubsub_channels", channels), ("pubsub_patterns", patterns),
            ("pubsubshard_channels", shard_channels),
            ("latest_fork_usec", 0), ("total_forks", 0),
            ("migrate_cached_sockets", 0), ("slave_expires_tracked_keys", 0),
            ("active_defrag_hits", 0), ("active_defrag_misses", 0),
            ("active_defrag_key_hits", 0), ("active_defrag_key_misses", 0),
            ("total_active_defrag_time", 0), ("current_active_defrag_time", 0),
            ("tracking_total_keys", 0), ("tracking_total_items", 0),
            ("tracking_total_prefixes", 0),
            ("unexpected_error_replies", merged(stats, "unexpected_errors")),
            ("total_error_replies", merged(stats, "error_replies")),
            ("dump_payload_sanitizations", 0),
            ("total_reads_processed", merged(stats, "reads")),
            ("total_writes_processed", merged(stats, "writes")),
            ("io_threaded_reads_processed", 0), ("io_threaded_writes_processed", 0),
            ("reply_buffer_shrinks", 0), ("reply_buffer_expands", 0)]


def section_cpu(server):
    self_ = resource.getrusage(resource.RUSAGE_SELF)
    return [("used_cpu_sys", f"{self_.ru_stime:.6f}"), ("used_cpu_user", f"{self_.ru_utime:.6f}"),
            ("used_cpu_sys_children", "0.000000"), ("used_cpu_user_children", "0.000000"),
            ("used_cpu_sys_main_thread", f"{self_.ru_stime:.6f}"),
            ("used_cpu_user_main_thread", f"{self_.ru_utime:.6f}")]


def section_commandstats(server):
    rows = merged_commands(server.all_stats())
    out = []
    for cmd, (calls, usec, rejected, failed) in sorted(rows.items(), key=lambda r: r[0].fullname):
        per = usec / calls if calls else 0.0
        out.append((f"cmdstat_{cmd.fullname}",
                    f"calls={calls},usec={usec},usec_per_call={per:.2f},"
                    f"rejected_calls={rejected},failed_calls={failed}"))
    return out


def section_latencystats(server):
    if not server.latency_tracking:
        return []
    wanted = [float(w) for w in server.config.latency_tracking_info_percentiles.split()]
    out = []
    for cmd, durations in sorted(merged_durations(server.all_stats()).items(),
                                 key=lambda r: r[0].fullname):
        values = ",".join(f"{percentile_label(p)}={percentile_us(durations, p):.3f}"
                          for p in wanted)
        out.append((f"latency_percentiles_usec_{cmd.fullname}", values))
    return out


def section_errorstats(server):
    return [(f"errorstat_{code}", f"count={n}")
            for code, n in sorted(merged_errors(server.all_stats()).items())]


def section_keyspace(server):
    out = []
    for db in server.keyspace.dbs:
        keys = db.size()
        if keys:
            out.append((f"db{db.id}", f"keys={keys},expires={db.expires_count()},avg_ttl=0"))
    return out


def section_threads(server):
    out = []
    for loop in server.loops:
        out.append((f"thread_{loop.index}",
                    f"clients={len(loop.clients)},ops={loop.stats.total_commands},"
                    f"tid={loop.thread_id or 0},cpu={'' if loop.cpu is None else loop.cpu}"))
    return out


def section_keydb(server):
    return [("server_threads", server.config.server_threads),
            ("gil_enabled", int(server.gil_enabled)),
            ("storage_provider", server.storage_provider_name())] + server.gc_policy.info()


def section_replication(server):
    master = server.master
    link = server.link
    role = [("role", "master")]
    if link is not None:                  # the fields redis-server 7.0 shows on a replica
        up = link.state == "connected"
        role = [("role", "slave"), ("master_host", link.host), ("master_port", link.port),
                ("master_link_status", "up" if up else "down"),
                ("master_last_io_seconds_ago", int(time.time() - link.last_io) if up else -1),
                ("master_sync_in_progress", int(link.state == "sync")),
                ("slave_read_repl_offset", link.offset()), ("slave_repl_offset", link.offset()),
                ("slave_priority", server.config.replica_priority),
                ("slave_read_only", int(server.config.replica_read_only)),
                ("replica_announced", 1)]
    return [*role, *master.info(), ("master_failover_state", "no-failover"),
            ("master_replid", server.run_id[:40]), ("master_replid2", "0" * 40),
            ("master_repl_offset", master.offset), ("second_repl_offset", -1),
            ("repl_backlog_active", 0), ("repl_backlog_size", server.config.repl_backlog_size),
            ("repl_backlog_first_byte_offset", 0), ("repl_backlog_histlen", 0)]


def section_persistence(server):
    return [("loading", int(server.loading)), ("async_loading", 0),
            ("current_cow_peak", 0), ("current_cow_size", 0), ("current_cow_size_age", 0),
            ("current_fork_perc", "0.00"), ("current_save_keys_processed", 0),
            ("current_save_keys_total", 0), ("rdb_changes_since_last_save", 0),
            ("rdb_bgsave_in_progress", 0), ("rdb_last_save_time", int(server.started)),
            ("rdb_last_bgsave_status", "ok"), ("rdb_last_bgsave_time_sec", -1),
            ("rdb_current_bgsave_time_sec", -1), ("rdb_saves", 0),
            ("rdb_last_cow_size", 0), ("rdb_last_load_keys_expired", 0),
            ("rdb_last_load_keys_loaded", 0), ("aof_enabled", int(server.config.appendonly)),
            ("aof_rewrite_in_progress", 0), ("aof_rewrite_scheduled", 0),
            ("aof_last_rewrite_time_sec", -1), ("aof_current_rewrite_time_sec", -1),
            ("aof_last_bgrewrite_status", "ok"), ("aof_rewrites", 0),
            ("aof_rewrites_consecutive_failures", 0), ("aof_last_write_status", "ok"),
            ("aof_last_cow_size", 0), ("module_fork_in_progress", 0),
            ("module_fork_last_cow_size", 0)]


def section_cluster(server):
    return [("cluster_enabled", int(server.config.cluster_enabled))]


SECTIONS = {
    "server": section_server, "clients": section_clients, "memory": section_memory,
    "persistence": section_persistence, "stats": section_stats,
    "replication": section_replication, "cpu": section_cpu, "modules": lambda s: [],
    "commandstats": section_commandstats, "errorstats": section_errorstats,
    "latencystats": section_latencystats,
    "cluster": section_cluster, "keyspace": section_keyspace, "threads": section_threads,
    "keydb": section_keydb,
}


def render(server, names):
    providers = server.info_providers
    parts = []
    for name in names:
        fn = peek(providers, name) or peek(SECTIONS, name)
        if fn is None:
            continue
        title = "KeyDB" if name == "keydb" else name.capitalize()
        if name == "cpu":
            title = "CPU"
        lines = [f"# {title}"] + [f"{k}:{v}" for k, v in fn(server)]
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)


@command("info", -1, "loading stale", acl="dangerous",
         tips=("nondeterministic_output", "request_policy:all_shards",
               "response_policy:special"), group="server")
def cmd_info(c, argv):
    wanted = [a.decode("utf-8", "replace").lower() for a in argv[1:]]
    if not wanted or "default" in wanted:
        names = list(DEFAULT)
    else:
        names = []
    for w in wanted:
        if w in ("all", "everything"):
            names = list(ALL)
            break
        if w != "default" and w not in names:
            names.append(w)
    return Verbatim(render(c.server, names))
