"""shared-objects-immortal: the server marks the objects every loop loads per command as
immortal at start-up (keydb_ft/immortal.py). It must say so, keep serving correctly from
many threads, and be possible to turn off."""

import sys

import pytest

from conftest import ServerProcess
from test_concurrency import run_threads
from keydb_ft import immortal


def test_this_interpreter_is_supported():
    assert immortal.supported() == (sys.version_info[:2] == (3, 13)
                                    and not sys._is_gil_enabled())


@pytest.mark.skipif(not immortal.supported(), reason="needs free-threaded CPython 3.13")
def test_marked_object_ignores_reference_counting():
    class Thing:
        pass
    thing = Thing()
    immortal._mark(thing)
    before = sys.getrefcount(thing)
    held = [thing] * 1000
    assert sys.getrefcount(thing) == before
    del held
    assert sys.getrefcount(thing) == before


def _hammer(server, threads=8, rounds=200):
    def work(i):
        c = server.client()
        for j in range(rounds):
            c.set(f"imm:{i}:{j}", j)
            c.incr("imm:total")
            assert int(c.get(f"imm:{i}:{j}")) == j

    run_threads(work, threads)
    assert int(server.client().get("imm:total")) == threads * rounds


@pytest.mark.parametrize("setting", ["yes", "no"])
def test_server_with_and_without_immortal_objects(tmp_path, setting):
    server = ServerProcess(tmp_path, threads=2,
                           args=("--shared-objects-immortal", setting, "--loglevel", "verbose"))
    try:
        c = server.client()
        assert c.config_get("shared-objects-immortal") == {"shared-objects-immortal": setting}
        _hammer(server)
        c.execute_command("DEBUG", "RELOAD")      # a reload replaces the stripe tuples
        assert int(c.get("imm:total")) == 8 * 200
        marked = "shared objects made immortal" in server.log_text()
        assert marked == (setting == "yes" and immortal.supported())
    finally:
        server.stop()


def test_class_attributes_cover_builtin_methods_and_slots():
    """What `obj.name` and `obj.method()` take a reference to on every access: the
    descriptors in the classes' dicts, builtin and the server's own."""
    from keydb_ft.connection import Client
    ids = {id(o) for o in immortal.class_attributes()}
    for cls, name in ((bytes, "split"), (list, "append"), (dict, "pop"),
                      (Client, "out"), (Client, "flush")):
        assert id(vars(cls)[name]) in ids, (cls, name)
    assert id(Client) in ids


def test_items_of_module_tables_are_included():
    from keydb_ft.resp import parser
    ids = {id(o) for o in immortal.module_values()}
    assert id(parser._BULK_HEADERS[64]) in ids and id(parser._COUNT_HEADERS[3]) in ids
    key = next(k for k in parser._ARGUMENT_COUNTS if k == b"*3")
    assert id(key) in ids
