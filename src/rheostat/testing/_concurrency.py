"""Several processes appending to one study at once: a race every shared backend must win.

``race_appends`` starts ``n_procs`` Python processes that open the storage URL and, released
together, each append ``n_appends`` study attributes: the even-numbered ones plainly, the
odd-numbered ``i``-th with the claim ``race:i``, for which every process competes. ``check_race``
then asserts the log has every plain event exactly once, each contested one from exactly one
process, in order per process, with gap-free sequence numbers.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rheostat.storage import AttrSet, Event, Storage

__all__ = ["check_race", "race_appends"]

_WORKER = textwrap.dedent(
    """
    import pathlib, sys, time
    from rheostat.exceptions import StorageConflictError
    from rheostat.storage import AttrSet, open_storage

    url, study, wid, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    folder, pause = pathlib.Path(sys.argv[5]), float(sys.argv[6])
    storage = open_storage(url)
    (folder / f"ready-{wid}").touch()
    while not (folder / "go").exists():
        time.sleep(0.002)
    conflicts = 0
    for i in range(n):
        events = [AttrSet(None, f"{wid}:{i}", i)]
        if i % 2:
            try:
                storage.append(study, events, [f"race:{i}"])
            except StorageConflictError:
                conflicts += 1
        else:
            storage.append(study, events)
        time.sleep(pause)  # let the other processes take the write lock in between
    storage.close()
    print(conflicts)
    """
)


def race_appends(
    url: str, study: str, *, n_procs: int, n_appends: int, folder: Path, pause: float = 0.001
) -> int:
    """Run the race (the study must exist); return how many appends were refused (a contested
    claim another process took first)."""
    script = folder / "append_worker.py"
    script.write_text(_WORKER)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                url,
                study,
                f"p{k}",
                str(n_appends),
                str(folder),
                str(pause),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(n_procs)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(folder.glob("ready-*"))) < n_procs:
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise AssertionError(
                    f"the append workers did not start: {[p.communicate() for p in procs]}"
                )
            time.sleep(0.01)
        (folder / "go").touch()  # all start appending at once
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for p, (_out, err) in zip(procs, outputs, strict=True):
        if p.returncode != 0:
            raise AssertionError(f"an append worker failed: {err}")
    return sum(int(out) for out, _ in outputs)


def check_race(storage: Storage, study: str, *, n_procs: int, n_appends: int) -> list[Event]:
    """Assert every plain event is in the log exactly once, each contested one (``race:i``)
    from exactly one process, every process's events in order; return the log."""
    log = storage.read(study)
    contested = range(1, n_appends, 2)
    total = n_procs * len(range(0, n_appends, 2)) + len(contested)
    assert len(log) == total, f"{len(log)} events, expected {total}"
    keys = [e.key for e in log if isinstance(e, AttrSet)]
    assert len(keys) == total
    assert len(set(keys)) == total, "an event was stored twice"
    plain = {f"p{k}:{i}" for k in range(n_procs) for i in range(0, n_appends, 2)}
    assert plain <= set(keys), "a plain append was lost"
    winners = [key for key in keys if key not in plain]
    won = sorted(int(key.partition(":")[2]) for key in winners)
    assert won == list(contested), f"contested appends stored: {winners}"
    for k in range(n_procs):
        own = [e.value for e in log if isinstance(e, AttrSet) and e.key.startswith(f"p{k}:")]
        assert own == sorted(own), f"process {k}'s events are out of order"
    return log
