"""Every module in this package is imported here, which registers its handlers through
@command; install() wires the server-wide hooks the commands rely on. A new command
group is a new module: nothing else needs to list it."""

import importlib
import pkgutil

from .registry import COMMANDS  # noqa: F401

INSTALLERS = []   # fn(server) called once the Server exists (subsystems register here)

_SKIP = {"registry", "dispatch", "args"}
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name not in _SKIP:
        importlib.import_module(f"{__name__}.{_info.name}")


def apply_renames(config):
    """The config's rename-command lines, in order, on the command table (before the
    server is made: loading an AOF already uses the new names, as Redis does)."""
    from ..config import ConfigFileError
    from .registry import rename
    for number, text, old, new in config.renames:
        try:
            rename(old, new)
        except ValueError as exc:
            raise ConfigFileError(number, text, str(exc)) from None


def install(server):
    """Connect config apply hooks and per-server callbacks after the Server exists."""
    import os

    from ..config import ConfigError
    from ..log import log
    from ..process import OomScore
    cfg = server.config

    def apply_dir(config, opt, value):
        try:
            os.chdir(value)
        except OSError as exc:
            raise ConfigError("No such file or directory") from exc
        config.dir = os.getcwd()        # a relative dir is relative to the old one once

    cfg.hooks["dir"] = apply_dir

    def apply_listen(config, opt, value):
        try:
            server.relisten(config.bind, config.port)
        except OSError:
            raise ConfigError("Unable to listen on this port. Check server logs."
                              if opt.name == "port" else
                              "Failed to bind to specified addresses.") from None

    cfg.hooks["listen"] = apply_listen
    cfg.hooks["obuf"] = lambda config, opt, value: server.set_output_limits(value)

    oom = server.oom = OomScore(server)

    def apply_oom(config, opt, value):
        if not oom.apply(config):
            raise ConfigError("Failed to set current oom_score_adj. Check server logs.")

    cfg.hooks["oom"] = apply_oom
    oom.apply(cfg)
    cfg.hooks["slow"] = lambda config, opt, value: server.update_slow_floor()
    cfg.hooks["tracking"] = lambda config, opt, value: setattr(server, "latency_tracking",
                                                               value)
    server.update_slow_floor()
    log.configure(cfg.loglevel, cfg.logfile)
    for installer in INSTALLERS:
        installer(server)
