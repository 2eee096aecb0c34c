"""The command table's own rules, checked in-process."""

import pytest

from keydb_ft.commands import registry


def test_recorded_commands_cannot_declare_docs_again():
    with pytest.raises(ValueError, match="redis_docs"):
        registry._check_docs("get", {"summary": "Get a value"})
    with pytest.raises(ValueError, match="redis_docs"):
        registry._check_docs("config|nosuch", {"container_summary": "x"})
    with pytest.raises(ValueError, match="group"):
        registry._check_docs("get", {"group": "hash"})
    registry._check_docs("get", {"group": "string"})
    registry._check_docs("keydb.nosuch", {"summary": "an extension", "since": "6.0.0"})
