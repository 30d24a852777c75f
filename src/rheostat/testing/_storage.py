"""The conformance suite every storage backend must pass (the contract of ``storage._base``).

The tests live in two parts: ``_storage_log`` (studies and the event log) and
``_storage_claims`` (claims and concurrent appends); ``_storage_events`` holds what they write
and how they compare it.
"""

from __future__ import annotations

from rheostat.testing._storage_claims import ClaimConformance
from rheostat.testing._storage_events import same_value
from rheostat.testing._storage_log import LogConformance

__all__ = ["StorageConformance", "same_value"]


class StorageConformance(LogConformance, ClaimConformance):
    """Tests that every ``rheostat.storage.Storage`` backend must pass.

    Subclass it in a test module (name the subclass ``Test…`` so pytest collects it) and define a
    ``storage`` fixture that yields a fresh, empty backend and closes it afterwards::

        import pytest
        from rheostat.testing import StorageConformance

        class TestMyStorage(StorageConformance):
            @pytest.fixture
            def storage(self, tmp_path):
                backend = MyStorage(tmp_path / "db")
                yield backend
                backend.close()

    The tests check the contract in ``rheostat.storage._base``: studies are created, listed and
    deleted with their directions; missing and duplicated studies raise the documented errors;
    ``append`` numbers events 1, 2, 3, … and ``read(since=s)`` returns exactly the events after
    ``s``; every event type comes back unchanged (NaN and infinite values, unicode, nested JSON);
    an event JSON cannot hold raises ``TypeError`` and nothing is written; a claim is taken at most
    once per study, a refused append writes nothing and takes none of its claims, ``unless``
    refuses when a key is taken, and appends without common keys never refuse each other;
    concurrent appends from many threads leave a log with no gap and no duplicate, each contested
    claim won by exactly one thread, and threads may come and go without exhausting the backend;
    replaying the log rebuilds the trials. The whole suite takes about a second per backend.
    """
