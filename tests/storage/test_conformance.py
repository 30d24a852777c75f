"""Every storage backend passes the one conformance suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rheostat.storage import InMemoryStorage, SQLStorage, Storage
from rheostat.testing import StorageConformance


class TestInMemoryStorage(StorageConformance):
    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        backend = InMemoryStorage()
        yield backend
        backend.close()


class TestSQLiteStorage(StorageConformance):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[Storage]:
        backend = SQLStorage(f"sqlite:///{tmp_path}/x.db")
        yield backend
        backend.close()
