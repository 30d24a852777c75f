"""Create, load and delete studies."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import secrets
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from rheostat.artifacts import ArtifactStore
from rheostat.exceptions import DuplicatedStudyError
from rheostat.samplers import AutoSampler, Sampler, restore_sampler
from rheostat.schedulers import FIFOScheduler, Scheduler
from rheostat.storage import AttrSet, InMemoryStorage, Storage, open_storage
from rheostat.study._recovery import Heartbeater
from rheostat.study._study import Study
from rheostat.trial import Direction

__all__ = ["create_study", "delete_study", "load_study"]


def _directions(
    direction: str | Direction | None, directions: Sequence[str | Direction] | None
) -> tuple[Direction, ...]:
    if direction is not None and directions is not None:
        raise ValueError(
            f"create_study: got direction={direction!r} and directions={directions!r}; give "
            "direction (one objective) or directions (several), not both"
        )
    if directions is None:
        return (Direction.parse(direction or "minimize"),)
    if isinstance(directions, str) or not isinstance(directions, Sequence) or not directions:
        raise ValueError(
            f"create_study: directions must be a non-empty list such as ['minimize', "
            f"'maximize'], got {directions!r}"
        )
    return tuple(Direction.parse(d) for d in directions)


def _check_name(study_name: object) -> str:
    if not isinstance(study_name, str) or not study_name.strip() or len(study_name) > 512:
        raise ValueError(
            f"study_name={study_name!r} must be a non-empty str of at most 512 characters"
        )
    return study_name


def _check_plugins(sampler: object, scheduler: object) -> None:
    if sampler is not None and not isinstance(sampler, Sampler):
        raise TypeError(
            f"sampler={sampler!r} is not a Sampler; use e.g. rheostat.samplers.RandomSampler()"
        )
    if scheduler is not None and not isinstance(scheduler, Scheduler):
        raise TypeError(
            f"scheduler={scheduler!r} is not a Scheduler; use e.g. "
            "rheostat.schedulers.MedianPruner()"
        )


def create_study(
    study_name: str | None = None,
    storage: str | Storage | None = None,
    direction: str | Direction | None = None,
    directions: Sequence[str | Direction] | None = None,
    sampler: Sampler | None = None,
    scheduler: Scheduler | None = None,
    load_if_exists: bool = False,
    seed: int | None = None,
    heartbeat_interval: float | None = 10.0,
    grace_period: float | None = None,
    max_retries: int = 0,
    artifacts: str | os.PathLike[str] | ArtifactStore | None = None,
) -> Study:
    """Create a study, or with ``load_if_exists=True`` continue the one of that name.

    ``storage``: ``None`` (in memory), ``"sqlite:///study.db"`` or a ``Storage``. ``direction``
    is ``"minimize"`` (default) or ``"maximize"``; ``directions`` lists one per objective.
    ``seed`` makes the study reproducible; without one a seed is drawn and stored with the study,
    so a resumed study keeps it. The default sampler is ``AutoSampler`` seeded from the study.

    Lost workers: each running trial sends a heartbeat every ``heartbeat_interval`` seconds
    (``None``: off); a trial silent for longer than ``grace_period`` (default three intervals)
    is failed by whichever worker notices, and retried with the same parameters up to
    ``max_retries`` times. These settings are stored with the study, so every worker uses them.

    ``artifacts`` is the folder (or fsspec URL, or ``ArtifactStore``) for trials' checkpoints;
    by default ``<name>.artifacts`` beside a SQLite file, else a temporary folder.
    ``ArtifactStore(folder, policy="delete_stopped")`` deletes pruned trials' checkpoints.

    >>> study = create_study(seed=1)
    >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=40)
    >>> round(study.best_value, 1)
    0.0
    """
    dirs = _directions(direction, directions)
    recovery = _recovery_settings(heartbeat_interval, grace_period, max_retries)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"create_study: seed={seed!r} must be an int or None")
    _check_plugins(sampler, scheduler)
    if study_name is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        study_name = f"study-{stamp}-{secrets.token_hex(3)}"
    name = _check_name(study_name)
    backend = open_storage(storage)
    created = True
    with _closed_on_error(backend, storage):
        try:
            backend.create_study(name, dirs)
        except DuplicatedStudyError:
            if not load_if_exists:
                raise
            created = False
            stored = backend.get_study(name).directions
            if stored != dirs:
                raise ValueError(
                    f"create_study: study {name!r} exists with directions "
                    f"{[d.value for d in stored]}, not {[d.value for d in dirs]}; pass the same "
                    "directions or another study_name"
                ) from None
    study = Study(
        study_name=name,
        storage=backend,
        directions=dirs,
        sampler=sampler if sampler is not None else AutoSampler(),
        scheduler=scheduler if scheduler is not None else FIFOScheduler(),
    )
    attrs = study.system_attrs
    events = []
    try:
        sampler_info = json.loads(json.dumps(study.sampler.dump()))
    except (TypeError, ValueError):
        sampler_info = {"type": type(study.sampler).__name__}
    if attrs.get("sampler") != sampler_info:
        events.append(AttrSet(None, "sampler", sampler_info, system=True))
    if created or attrs.get("seed") is None or (seed is not None and seed != attrs["seed"]):
        chosen = seed if seed is not None else secrets.randbits(31)
        events.append(AttrSet(None, "seed", chosen, system=True))
    events += [
        AttrSet(None, key, value, system=True)
        for key, value in recovery.items()
        if created or attrs.get(key, _MISSING) != value
    ]
    if events:
        study._write(events)
    _apply_recovery(study, recovery)
    study._artifacts = _artifact_store(backend, artifacts)
    return study


def _artifact_store(
    backend: Storage, artifacts: str | os.PathLike[str] | ArtifactStore | None
) -> ArtifactStore | None:
    if isinstance(artifacts, ArtifactStore):
        return artifacts
    if artifacts is not None:
        return ArtifactStore(artifacts)
    url = backend.url
    if url.startswith("sqlite:///") and ":memory:" not in url:
        path = Path(url[len("sqlite:///") :])
        return ArtifactStore(path.with_name(path.stem + ".artifacts"))
    return None  # the study makes a temporary folder when a trial first saves


_MISSING = object()


def _recovery_settings(
    heartbeat_interval: object, grace_period: object, max_retries: object
) -> dict[str, Any]:
    def seconds(name: str, value: object) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(
                f"create_study: {name}={value!r} must be a number of seconds > 0, or None"
            )
        return float(value)

    interval = seconds("heartbeat_interval", heartbeat_interval)
    grace = seconds("grace_period", grace_period)
    if grace is None and interval is not None:
        grace = 3 * interval
    if grace is not None and interval is not None and grace <= interval:
        raise ValueError(
            f"create_study: grace_period={grace:g} must be longer than heartbeat_interval="
            f"{interval:g}, or live trials would be failed; use a few intervals, e.g. "
            f"{3 * interval:g}"
        )
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"create_study: max_retries={max_retries!r} must be an integer >= 0")
    return {"heartbeat_interval": interval, "grace_period": grace, "max_retries": max_retries}


def _apply_recovery(study: Study, settings: Mapping[str, Any]) -> None:
    interval = settings.get("heartbeat_interval")
    if isinstance(study.storage, InMemoryStorage):
        interval = None  # one process: every worker is alive while the study is
    study._heartbeat_interval = interval
    study._heartbeater = Heartbeater(study, interval)
    study._grace_period = settings.get("grace_period") if interval is not None else None
    study._max_retries = int(settings.get("max_retries") or 0)


def load_study(
    study_name: str | None,
    storage: str | Storage,
    sampler: Sampler | None = None,
    scheduler: Scheduler | None = None,
    artifacts: str | os.PathLike[str] | ArtifactStore | None = None,
) -> Study:
    """Open an existing study; ``StudyNotFoundError`` if there is none of that name.

    ``study_name=None`` opens the only study in the storage. Without ``sampler`` the study
    samples as its creator chose: a built-in sampler is rebuilt from the settings the study
    stored (``rheostat.samplers.restore_sampler``), so every worker that opens the study by
    name uses it; a sampler of your own must be passed again (else ``AutoSampler``).

    ``artifacts`` is where trials' checkpoints live, as for ``create_study``: a folder, an
    fsspec URL or an ``ArtifactStore`` (with its policy); by default ``<name>.artifacts`` beside
    a SQLite file. Workers that share a study must give the same place, or a trial resumed by
    one would not find the checkpoint another saved.
    """
    _check_plugins(sampler, scheduler)
    backend = open_storage(storage)
    with _closed_on_error(backend, storage):
        if study_name is None:
            names = [s.name for s in backend.list_studies()]
            if len(names) != 1:
                raise ValueError(
                    f"load_study: study_name=None needs exactly one study in {backend.url}, "
                    f"found {len(names)}: {names[:10]}; pass the name"
                )
            study_name = names[0]
        info = backend.get_study(_check_name(study_name))
    study = Study(
        study_name=info.name,
        storage=backend,
        directions=info.directions,
        sampler=sampler if sampler is not None else AutoSampler(),
        scheduler=scheduler if scheduler is not None else FIFOScheduler(),
    )
    stored = study.system_attrs.get("sampler")
    if sampler is None and isinstance(stored, Mapping):
        study.sampler = restore_sampler(stored) or study.sampler
    _apply_recovery(study, study.system_attrs)
    study._artifacts = _artifact_store(backend, artifacts)
    study._sampler_given = sampler is not None
    return study


def delete_study(study_name: str, storage: str | Storage) -> None:
    """Delete a study and all its trials from ``storage``."""
    backend = open_storage(storage)
    try:
        backend.delete_study(_check_name(study_name))
    finally:
        if backend is not storage:  # opened here from a URL
            backend.close()


@contextlib.contextmanager
def _closed_on_error(backend: Storage, storage: object) -> Iterator[None]:
    """Close ``backend`` when the block raises and it was opened here (from a URL), so a failed
    ``create_study`` or ``load_study`` leaves no connection open."""
    try:
        yield
    except BaseException:
        if backend is not storage:
            backend.close()
        raise
