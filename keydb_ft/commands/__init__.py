"""Every command module is imported here, which registers its handlers; install() wires
the server-wide hooks the commands rely on."""

from . import (client, command_cmd, config_cmd, connection, info, keys,  # noqa: F401
               server, strings, transactions)
from .registry import COMMANDS  # noqa: F401


def install(server):
    """Connect config apply hooks and per-server callbacks after the Server exists."""
    from ..log import log
    cfg = server.config

    def apply_dir(config, opt, value):
        import os
        try:
            os.chdir(value)
        except OSError as exc:
            from ..config import ConfigError
            raise ConfigError(f"No such file or directory") from exc

    cfg.hooks["dir"] = apply_dir
    log.configure(cfg.loglevel, cfg.logfile)
