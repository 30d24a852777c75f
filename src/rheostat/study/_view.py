"""Reading a study: its identity, its trials, the best of them, its attributes."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rheostat.analysis import VALIDATION_OF_ATTR
from rheostat.distributions import ParamValue
from rheostat.storage import Storage, StudyState
from rheostat.trial import Direction, TrialRecord, TrialState, best_of

if TYPE_CHECKING:
    import pandas as pd

    from rheostat.analysis import Finding
    from rheostat.space import Space

__all__ = ["StudyView"]


class StudyView:
    """Read-only access to a study in a storage: what ``Study`` inherits for reading.

    Every read first catches up with the storage's log (only the events it has not seen), so it
    shows what other workers wrote. Thread-safe.
    """

    def __init__(
        self, *, study_name: str, storage: Storage, directions: Sequence[Direction]
    ) -> None:
        self._name = study_name
        self._storage = storage
        self._directions = tuple(directions)
        self._state = StudyState(study_name, self._directions)
        self._lock = threading.RLock()
        self._sync()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(study_name={self._name!r}, storage={self._storage.url!r})"

    # -- identity --------------------------------------------------------------------------------

    @property
    def study_name(self) -> str:
        """The study's name, unique within its storage."""
        return self._name

    @property
    def storage(self) -> Storage:
        """The storage backend holding the study."""
        return self._storage

    @property
    def directions(self) -> tuple[Direction, ...]:
        """One direction per objective."""
        return self._directions

    @property
    def direction(self) -> Direction:
        """The direction of a single-objective study."""
        if len(self._directions) != 1:
            raise ValueError(
                f"study {self._name!r} has {len(self._directions)} objectives; use .directions"
            )
        return self._directions[0]

    @property
    def seed(self) -> int:
        """The study's seed (stored with the study, so a resumed study keeps it)."""
        seed = self._state.system_attrs.get("seed")
        return int(seed) if isinstance(seed, int) else 0

    def _sync(self) -> None:
        with self._lock:
            self._state.apply(self._storage.read(self._name, since=self._state.seq))

    # -- trials ----------------------------------------------------------------------------------

    @property
    def trials(self) -> list[TrialRecord]:
        """Every trial, in number order, as frozen records (read fresh from storage)."""
        return self.get_trials()

    def get_trials(self, states: Iterable[TrialState] | None = None) -> list[TrialRecord]:
        """The trials in one of ``states`` (all when ``None``), in number order."""
        with self._lock:
            self._sync()
            records = list(self._state.records())
        if states is None:
            return records
        wanted = set(states)
        return [t for t in records if t.state in wanted]

    @property
    def best_trial(self) -> TrialRecord:
        """The best ``COMPLETE`` trial (lowest number on ties); ``ValueError`` if there is none.

        Validation re-runs (``validate_top``) are not search trials and are left out: a lucky
        re-run never becomes the best trial; rank configurations by ``validate_top``'s result."""
        if len(self._directions) != 1:
            raise ValueError(
                f"study {self._name!r} has {len(self._directions)} objectives, so no single best "
                "trial; use study.best_trials (the Pareto front)"
            )
        done = self.get_trials((TrialState.COMPLETE,))
        best = best_of([t for t in done if VALIDATION_OF_ATTR not in t.user_attrs], self.direction)
        if best is None:
            raise ValueError(
                f"study {self._name!r} has no completed trial yet; run optimize() first"
            )
        return best

    @property
    def best_value(self) -> float:
        """The objective value of ``best_trial``."""
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, ParamValue]:
        """The parameters of ``best_trial``."""
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[TrialRecord]:
        """The ``COMPLETE`` trials no other trial dominates (the Pareto front), in number order."""
        done = [t for t in self.get_trials((TrialState.COMPLETE,)) if t.values is not None]
        signs = [1.0 if d is Direction.MINIMIZE else -1.0 for d in self._directions]

        def key(t: TrialRecord) -> tuple[float, ...]:
            return tuple(s * v for s, v in zip(signs, t.values or (), strict=False))

        keys = [key(t) for t in done]
        front = []
        for i, t in enumerate(done):
            ki = keys[i]
            dominated = any(
                all(a <= b for a, b in zip(kj, ki, strict=False)) and kj != ki for kj in keys
            )
            if not dominated:
                front.append(t)
        return front

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attributes."""
        with self._lock:
            self._sync()
            return dict(self._state.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """Attributes rheostat keeps for the study (its seed, what a sampler chose and why)."""
        with self._lock:
            self._sync()
            return dict(self._state.system_attrs)

    def trials_dataframe(self) -> pd.DataFrame:
        """The trials as a pandas DataFrame (``pip install 'rheostat[pandas]'``)."""
        from rheostat.study._dataframe import trials_dataframe

        return trials_dataframe(self.trials, self._directions)

    def doctor(self, *, trial_budget: int | None = None) -> list[Finding]:
        """Check the study against a tuning checklist: findings, most severe first, each with a
        code, evidence and a fix. ``trial_budget``: the trials you mean to run, if known. See
        ``rheostat.analysis.doctor``."""
        from rheostat.analysis import doctor

        trials, info = self.trials, self._sampler_info()
        return doctor(
            trials,
            self._directions,
            sampler_info=info,
            trial_budget=trial_budget,
            study_attrs=self.system_attrs,
        )

    def importance(self, *, n_trees: int = 64, seed: int = 0) -> dict[str | tuple[str, str], float]:
        """Each parameter's (and pair's) share of the objective's variance: fANOVA on a random
        forest (``pip install 'rheostat[sklearn]'``). See ``rheostat.analysis.importance``."""
        from rheostat.analysis import importance

        return importance(self.trials, self._directions, n_trees=n_trees, seed=seed)

    def refine_space(self, *, top_k: int = 10, margin: float = 0.1) -> Space:
        """The refine phase of explore -> refine -> validate: a narrowed space around the
        ``top_k`` best distinct configurations, each numeric range widened by ``margin`` of the
        original range in the parameter's own scale (log for log parameters) and kept inside
        the original bounds; categoricals keep the choices seen among the top. Run a new study
        on it, then ``validate_top``. See ``rheostat.analysis.refine_space``."""
        from rheostat.analysis import refine_space

        return refine_space(self.trials, self.direction, top_k=top_k, margin=margin)

    def _sampler_info(self) -> dict[str, Any] | None:
        return self._state.system_attrs.get("sampler")
