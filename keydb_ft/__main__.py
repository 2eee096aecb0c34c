"""`python -m keydb_ft [keydb.conf] [--option value ...]`, like redis-server."""

import os
import sys

from . import REDIS_VERSION, __version__


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-v", "--version"):
        print(f"keydb-ft v={__version__} redis_version={REDIS_VERSION}")
        return 0
    from .config import ConfigFileError
    from .log import log
    from .server import Server, banner, handle_signals, install_signals, main_config
    from . import commands  # noqa: F401  (registers every command)
    try:
        cfg = main_config(argv)
        commands.apply_renames(cfg)
    except ConfigFileError as exc:
        sys.stderr.write(f"\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n"
                         f"Reading the configuration file, at line {exc.line}\n"
                         f">>> '{exc.text.strip()}'\n{exc.reason}\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"Fatal error, can't open config file '{os.path.abspath(argv[0])}': "
                         f"{exc.strerror}\n")
        return 1
    if cfg.daemonize:
        from .process import daemonize
        daemonize()                     # before any thread starts
        if not cfg.pidfile:
            cfg.pidfile = "/var/run/redis.pid"   # redis-server's default when daemonized
    log.configure(cfg.loglevel, cfg.logfile)
    if cfg.disable_thp:
        from .process import disable_thp
        disable_thp()
    if cfg.dir:
        try:
            os.chdir(cfg.dir)
        except OSError as exc:
            log.warning(f"Can't chdir to '{cfg.dir}': {exc.strerror}")
            return 1
    cfg.dir = os.getcwd()               # CONFIG GET dir says where, as Redis's getcwd()
    server = Server(cfg)
    commands.install(server)
    banner(server)
    server.listen()
    if cfg.pidfile:
        with open(cfg.pidfile, "w") as fh:
            fh.write(f"{os.getpid()}\n")
    install_signals(server)
    server.start()
    log.notice("Ready to accept connections tcp")
    while not server.stopped.wait(0.1):
        handle_signals(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
