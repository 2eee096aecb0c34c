"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the declarative option table."""

import re

from .. import config as config_mod
from .. import errors
from ..errors import CommandError
from ..resp.writer import OK
from .args import glob_matcher
from .registry import command, help_reply
from ..threadstate import peek

_GLOB_CHARS = re.compile(rb"[\[*?]")

_DOC = dict(group="server")
_ADMIN = "admin noscript loading stale"


@command("config|get", -3, _ADMIN, **_DOC)
def cmd_config_get(c, argv):
    """Each pattern without * ? [ names one option or alias, in any case, and the reply
    spells it as asked; any other is Redis's glob over every option's and alias's name,
    case-insensitive. A name (in any case) matched twice is shown once, as first found."""
    cfg = c.server.config
    found = {}                                  # lower-case name -> (name shown, value)
    for raw in argv[2:]:
        if not _GLOB_CHARS.search(raw):
            name = raw.decode("utf-8", "replace")
            opt = peek(config_mod.BY_NAME, name.lower())
            if opt is not None and name.lower() not in found:
                found[name.lower()] = (raw, cfg.shown(opt).encode())
            continue
        match = glob_matcher(raw, nocase=True)
        for name, opt in config_mod.BY_NAME.items():
            if name not in found and not opt.hidden and match(name.encode()):
                found[name] = (name.encode(), cfg.shown(opt).encode())
    return dict(found.values())


# values MONITOR and the slowlog never show (Redis's SENSITIVE_CONFIG options)
_SENSITIVE = frozenset((b"requirepass", b"masterauth"))


def _config_secrets(argv):
    """CONFIG SET name value ...: the values of the sensitive options."""
    return [i + 1 for i in range(2, len(argv) - 1, 2) if argv[i].lower() in _SENSITIVE]


@command("config|set", -4, _ADMIN, tips=("request_policy:all_nodes",
         "response_policy:all_succeeded"), redact=_config_secrets, **_DOC)
def cmd_config_set(c, argv):
    if len(argv) % 2:
        raise CommandError("ERR wrong number of arguments for 'config|set' command")
    cfg = c.server.config
    pairs = []
    seen = set()
    for i in range(2, len(argv), 2):
        name = argv[i].decode("utf-8", "replace").lower()
        opt = peek(config_mod.BY_NAME, name)
        if opt is None:
            raise CommandError(f"ERR Unknown option or number of arguments for CONFIG SET - "
                               f"'{name}'")
        if opt.name in seen:
            raise CommandError(f"ERR CONFIG SET failed (possibly related to argument "
                               f"'{name}') - duplicate parameter")
        seen.add(opt.name)
        pairs.append((name, opt, argv[i + 1].decode("utf-8", "replace")))
    # validate everything first, so a failure changes nothing
    for name, opt, text in pairs:
        if not opt.mutable or (opt.protected and not config_mod.allows(
                cfg.enable_protected_configs, c)):
            what = "immutable" if not opt.mutable else "protected"
            raise CommandError(f"ERR CONFIG SET failed (possibly related to argument "
                               f"'{name}') - can't set {what} config")
        if opt.deny_loading and c.server.loading:
            raise CommandError(errors.LOADING)
        try:
            value = opt.parse([text] if opt.kind != "list" else text.split())
            if opt.name == "save" and value:
                config_mod._check_save(value)
        except config_mod.ConfigError as exc:
            raise CommandError(f"ERR CONFIG SET failed (possibly related to argument "
                               f"'{name}') - {exc}") from None
    old = {opt.attr: getattr(cfg, opt.attr) for _, opt, _ in pairs}
    applied = []
    try:
        for name, opt, text in pairs:
            cfg.set_from_words(name, [text] if opt.kind != "list" else text.split())
            applied.append(opt)
    except config_mod.ConfigError as exc:
        for attr, value in old.items():
            setattr(cfg, attr, value)
        # as Redis: what the options set before the failing one applied is undone too
        # (their old values applied again: an oom score, a listener)
        cfg.reapply(applied)
        raise CommandError(f"ERR CONFIG SET failed (possibly related to argument "
                           f"'{name}') - {exc}") from None
    c.server.config_changed()
    return OK


@command("config|resetstat", 2, _ADMIN, **_DOC)
def cmd_config_resetstat(c, argv):
    c.server.reset_stats()
    return OK


@command("config|rewrite", 2, _ADMIN, **_DOC)
def cmd_config_rewrite(c, argv):
    try:
        config_mod.rewrite(c.server.config)
    except config_mod.ConfigError as exc:
        raise CommandError(f"ERR {exc}") from None
    except OSError as exc:
        raise CommandError(f"ERR Rewriting config file: {exc.strerror}") from None
    return OK


@command("config|help", 2, "loading stale",
         **_DOC)
def cmd_config_help(c, argv):
    return help_reply("CONFIG")
