"""A held-out test set that refuses to be scored until tuning is declared finished.

>>> import rheostat
>>> study = rheostat.create_study(seed=0, heartbeat_interval=None)
>>> holdout = study.register_holdout([[1.0], [2.0]], [0, 1])
>>> holdout.score(lambda X, y: 0.5)
Traceback (most recent call last):
...
rheostat.exceptions.HoldoutLockedError: ...
>>> study.finish_tuning()
>>> holdout.score(lambda X, y: 0.5)
0.5

The study stores a fingerprint of the data (a SHA-256 of the arrays' types, shapes and bytes),
when tuning finished, and every scoring; never the data. These are study system attributes, so
every process that opens the study sees them; the doctor reports ``holdout-peeked`` when the
holdout was scored more than once or before the search stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from rheostat.analysis import HOLDOUT_ATTR, HOLDOUT_SCORES_ATTR, TUNING_FINISHED_ATTR
from rheostat.exceptions import (
    HoldoutLockedError,
    HoldoutMismatchError,
    StorageConflictError,
    TuningFinishedError,
)
from rheostat.storage import AttrSet
from rheostat.study._claims import TUNING_FINISHED

if TYPE_CHECKING:
    from rheostat.study._study import Study

__all__ = ["Holdout", "check_tuning_open", "finish_tuning", "fingerprint", "register_holdout"]

logger = logging.getLogger("rheostat")

_R = TypeVar("_R")
_RETRIES = 1000


def _feed(h: Any, data: Any) -> tuple[int, ...] | None:
    """Hash ``data`` into ``h``; return its shape (``None`` for ``None``)."""
    if data is None:
        h.update(b"none;")
        return None
    import numpy as np

    if hasattr(data, "tocsr") and hasattr(data, "toarray"):  # a scipy sparse matrix
        data = data.toarray()
    arr = np.asarray(data)
    h.update(f"{arr.dtype.str};{arr.shape};".encode())
    if arr.dtype.hasobject:  # object arrays (mixed DataFrames): hash the values, not pointers
        h.update(json.dumps(arr.tolist(), default=repr, sort_keys=True).encode())
    else:
        h.update(np.ascontiguousarray(arr).tobytes())
    return tuple(int(n) for n in arr.shape)


def fingerprint(X: Any, y: Any = None) -> tuple[str, int | None]:  # noqa: N803
    """A SHA-256 hex digest of ``X`` and ``y`` (anything numpy can turn into an array), and
    the number of rows of ``X`` (``None`` for a scalar)."""
    h = hashlib.sha256(b"rheostat-holdout-v1;")
    shape = _feed(h, X)
    _feed(h, y)
    return h.hexdigest(), (shape[0] if shape else None)


def _append_attr(
    study: Study, key: str, make: Callable[[Any], Any], claim: Callable[[Any], str]
) -> Any:
    """Set the study system attribute ``key`` to ``make(current value)``, appended with the
    claim ``claim(current value)`` (retried when it is taken), so concurrent writers lose
    nothing. When ``make`` returns the current value itself, nothing is written."""
    for _ in range(_RETRIES):
        with study._lock:
            study._sync()
            old = study._state.system_attrs.get(key)
            value = make(old)
            if old is not None and value is old:
                return value
            try:
                study._write([AttrSet(None, key, value, system=True)], [claim(old)])
                return value
            except StorageConflictError:
                continue
    raise StorageConflictError(f"could not record {key!r} in study {study.study_name!r}")


class Holdout:
    """A study's held-out test set: the data lives here, in memory, and only its fingerprint
    is stored with the study. Get one from ``study.register_holdout(X, y)``.

    ``score(fn)`` calls ``fn(X, y)`` and records the call; before ``study.finish_tuning()`` it
    raises ``HoldoutLockedError`` without calling ``fn``. Thread-safe (each scoring claims its
    index, so concurrent scorings are all kept).
    """

    def __init__(self, study: Study, X: Any, y: Any, digest: str) -> None:  # noqa: N803
        self._study = study
        self._X = X
        self._y = y
        self.fingerprint = digest

    def __repr__(self) -> str:
        return f"Holdout(study={self._study.study_name!r}, fingerprint={self.fingerprint[:12]!r})"

    @property
    def scores(self) -> list[dict[str, Any]]:
        """Every recorded scoring (any process), oldest first: ``{"time", "value"}``."""
        return [dict(s) for s in self._study.system_attrs.get(HOLDOUT_SCORES_ATTR) or []]

    def score(self, fn: Callable[[Any, Any], _R]) -> _R:
        """Return ``fn(X, y)`` on the held-out data, once tuning is finished.

        ``HoldoutLockedError`` (and ``fn`` is not called) until ``study.finish_tuning()``.
        Each call is recorded in the study with its value (when a number); a second call
        logs a warning and the doctor reports ``holdout-peeked``: report the first score.
        """
        finished = self._study.system_attrs.get(TUNING_FINISHED_ATTR)
        if not finished:
            raise HoldoutLockedError(
                f"the held-out test set of study {self._study.study_name!r} cannot be scored "
                "before tuning is declared finished; choose the final configuration (e.g. with "
                "study.validate_top), call study.finish_tuning(), then score it once"
            )
        result = fn(self._X, self._y)
        value = (
            result if isinstance(result, (int, float)) and not isinstance(result, bool) else None
        )
        entry = {"time": time.time(), "value": None if value is None else float(value)}
        scores = _append_attr(
            self._study,
            HOLDOUT_SCORES_ATTR,
            lambda old: [*(old or []), entry],
            lambda old: f"holdout-score:{len(old or [])}",
        )
        if len(scores) > 1:
            logger.warning(
                "the held-out test set of study %r has now been scored %d times; report the "
                "first score, not the best",
                self._study.study_name,
                len(scores),
            )
        return result


def register_holdout(study: Study, X: Any, y: Any = None) -> Holdout:  # noqa: N803
    """Register ``(X, y)`` as the study's held-out test set (its fingerprint is stored), or,
    when the study already has one, check that this is the same data and return a handle."""
    digest, n_rows = fingerprint(X, y)

    def make(old: Any) -> Any:
        if old is None:
            return {"fingerprint": digest, "n_rows": n_rows, "time": time.time()}
        if old.get("fingerprint") != digest:
            raise HoldoutMismatchError(
                f"study {study.study_name!r} already has a held-out test set (fingerprint "
                f"{str(old.get('fingerprint'))[:12]}…, {old.get('n_rows')} rows) and this data "
                f"differs ({digest[:12]}…, {n_rows} rows); a study has one held-out set: pass "
                "the same data, or start a new study"
            )
        return old

    current = study.system_attrs.get(HOLDOUT_ATTR)
    if current is None:
        _append_attr(study, HOLDOUT_ATTR, make, lambda _old: "holdout")
    else:
        make(current)
    return Holdout(study, X, y, digest)


def check_tuning_open(study: Study, attrs: Mapping[str, Any] | None = None) -> None:
    """Raise ``TuningFinishedError`` if ``finish_tuning`` was called (``attrs``: the study's
    system attributes as already read; by default they are read now)."""
    attrs = study.system_attrs if attrs is None else attrs
    finished = attrs.get(TUNING_FINISHED_ATTR)
    if finished:
        at = finished.get("n_trials") if isinstance(finished, Mapping) else None
        raise TuningFinishedError(
            f"study {study.study_name!r}: tuning was declared finished (finish_tuning) after "
            f"{at} trials, so no new trial may run: it could be selected on the held-out test "
            "set. Run validate_top before finish_tuning, or tune further in a new study"
        )


def finish_tuning(study: Study) -> None:
    """Record that tuning is over (once; later calls change nothing)."""
    if study.system_attrs.get(TUNING_FINISHED_ATTR):
        return
    n_trials = len(study.trials)
    _append_attr(
        study,
        TUNING_FINISHED_ATTR,
        lambda old: old or {"time": time.time(), "n_trials": n_trials},
        lambda _old: TUNING_FINISHED,
    )
