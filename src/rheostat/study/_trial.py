"""The live trial handed to the objective."""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from rheostat.artifacts import Checkpoint
from rheostat.distributions import (
    Categorical,
    CategoricalChoice,
    Distribution,
    Float,
    Int,
    ParamValue,
)
from rheostat.schedulers import Decision
from rheostat.space import check_param_name
from rheostat.storage import AttrSet, Event, ParamSet, encode_event
from rheostat.trial import TrialRecord, TrialState

if TYPE_CHECKING:
    from rheostat.study._study import Study

__all__ = ["Trial"]

_T = TypeVar("_T")


def _named(name: str, make: Callable[[], _T]) -> _T:
    """Build a distribution, prefixing any validation error with the parameter's name."""
    try:
        return make()
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"parameter {name!r}: {exc}") from None


class Trial:
    """One evaluation of the objective: suggest parameters, report progress, read the budget.

    Created by ``study.ask()`` or by ``study.optimize``; not meant to be built by hand. Values
    suggested here are written to storage with the next ``report`` or when the trial ends.
    """

    def __init__(
        self,
        study: Study,
        number: int,
        *,
        fixed_params: Mapping[str, ParamValue] | None = None,
        proposal: Mapping[str, ParamValue] | None = None,
        params: Mapping[str, ParamValue] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        budget: float | None = None,
        seed: int = 0,
        checkpoint_source: int | None = None,
    ) -> None:
        self._study = study
        self._number = number
        self._fixed = dict(fixed_params or {})
        self._proposal = dict(proposal or {})
        self._params: dict[str, ParamValue] = dict(params or {})
        self._distributions: dict[str, Distribution] = dict(distributions or {})
        self._intermediate: dict[int, float] = dict(intermediate_values or {})
        self._checkpoint_source = checkpoint_source
        self._resumed = checkpoint_source == number  # a paused trial run again
        self._checkpoint: Checkpoint | None = None
        self._user_attrs: dict[str, Any] = {}
        self._pending: list[Event] = []
        self._decision = Decision.CONTINUE
        self._budget = budget
        self._seed = seed
        self._finished = False
        self._live_record: TrialRecord | None = None

    def __repr__(self) -> str:
        return f"Trial(number={self._number}, params={self._params!r})"

    @property
    def number(self) -> int:
        """The trial's number in its study: 0, 1, 2, … unique even with many workers."""
        return self._number

    @property
    def params(self) -> dict[str, ParamValue]:
        """The parameters suggested so far (a copy)."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        """The distribution of each parameter suggested so far (a copy)."""
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The user attributes set in this trial so far (a copy)."""
        return dict(self._user_attrs)

    @property
    def budget(self) -> float | None:
        """The resource the scheduler grants this run (epochs, steps…); ``None``: no limit."""
        return self._budget

    @property
    def checkpoint(self) -> Checkpoint:
        """Save and load this trial's checkpoint: ``trial.checkpoint.save(state)`` before a
        pause, ``trial.checkpoint.load()`` (``None`` on a fresh start) when resumed."""
        if self._checkpoint is None:
            self._checkpoint = Checkpoint(
                self._study.artifacts,
                self._study.study_name,
                self._number,
                self._checkpoint_source,
            )
        return self._checkpoint

    @property
    def seed(self) -> int:
        """A seed for the objective's own randomness, derived from the study seed and number."""
        digest = hashlib.sha256(f"{self._seed}:{self._number}".encode()).digest()
        return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF

    # -- suggestions -----------------------------------------------------------------------------

    def suggest_float(
        self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> float:
        """A float in ``[low, high]``; ``log=True`` samples on a log scale, ``step`` on a grid."""
        key = (Float, type(low), low, type(high), high, log, type(step), step)
        dist = self._study._cached_distribution(
            key, lambda: _named(name, lambda: Float(low, high, log=log, step=step))
        )
        return float(self._suggest(name, dist))  # type: ignore[arg-type]

    def suggest_int(
        self, name: str, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> int:
        """An integer in ``[low, high]``; ``log=True`` samples on a log scale."""
        key = (Int, type(low), low, type(high), high, log, type(step), step)
        dist = self._study._cached_distribution(
            key, lambda: _named(name, lambda: Int(low, high, log=log, step=step))
        )
        return int(self._suggest(name, dist))  # type: ignore[arg-type]

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoice]
    ) -> CategoricalChoice:
        """One of ``choices`` (``None``, ``bool``, ``int``, ``float`` or ``str`` values)."""
        try:
            key: tuple[object, ...] | None = (Categorical, *((type(c), c) for c in choices))
            hash(key)
        except TypeError:  # unhashable choices: let Categorical explain
            key = None
        dist = self._study._cached_distribution(
            key, lambda: _named(name, lambda: Categorical(choices))
        )
        return self._suggest(name, dist)

    def suggest(self, name: str, distribution: Distribution) -> ParamValue:
        """A value of any distribution: ``trial.suggest("lr", Float(1e-5, 1e-1, log=True))``."""
        if not isinstance(distribution, Distribution):
            raise TypeError(
                f"parameter {name!r}: {distribution!r} is not a distribution; use Float, Int or "
                "Categorical"
            )
        return self._suggest(name, distribution)

    def _suggest(self, name: str, dist: Distribution) -> ParamValue:
        check_param_name(name)
        self._check_open()
        if name in self._params:
            old = self._distributions[name]
            if old != dist:
                raise ValueError(
                    f"parameter {name!r} was suggested as {old!r} and now as {dist!r} in trial "
                    f"{self._number}; suggest each name with one distribution"
                )
            return self._params[name]
        self._study._check_distribution(name, dist)
        if name in self._fixed:
            value = self._checked(name, dist, self._fixed[name], "enqueued value")
        elif name in self._proposal:
            value = self._checked(name, dist, self._proposal[name], "sampler's proposal")
        else:
            value = dist.cast(self._study._sample_one(self._record(), name, dist))
        self._params[name] = value
        self._distributions[name] = dist
        self._pending.append(ParamSet(self._number, name, value, dist))
        return value

    @staticmethod
    def _checked(name: str, dist: Distribution, value: ParamValue, origin: str) -> ParamValue:
        try:
            return dist.cast(value)  # ValueError when the value is not in dist
        except ValueError:
            raise ValueError(
                f"parameter {name!r}: the {origin} {value!r} is not in {dist!r}; widen the "
                "range or change the value"
            ) from None

    # -- progress --------------------------------------------------------------------------------

    def report(self, value: float, step: int) -> None:
        """Record an intermediate ``value`` (e.g. validation loss) at ``step`` (e.g. the epoch).

        The scheduler then decides whether the trial should stop: see ``should_prune``. A step
        reported twice keeps its first value.
        """
        self._check_open()
        step_in: object = step
        value_in: object = value
        if isinstance(step_in, bool) or not isinstance(step_in, numbers.Integral) or step < 0:
            raise ValueError(f"trial {self._number}: step must be an integer >= 0, got {step!r}")
        if isinstance(value_in, bool) or not isinstance(value_in, numbers.Real):
            raise TypeError(
                f"trial {self._number}: the reported value {value!r} at step {step} is not a "
                "number; report a float (call .item() on a tensor)"
            )
        step, v = int(step), float(value)
        if step in self._intermediate:
            return
        self._intermediate[step] = v
        self._decision = self._study._report(self, step, v)

    def should_prune(self) -> bool:
        """Whether the scheduler decided, at the last report, that this trial should stop now.

        Raise ``rheostat.TrialPruned`` when it is true. The study records the trial ``PRUNED``,
        or ``PAUSED`` when the scheduler paused it to resume later with a larger budget (save a
        checkpoint before reporting, so the resumed run can continue from it).
        """
        return self._decision is Decision.STOP or self._decision is Decision.PAUSE

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-representable value to the trial (stored with the next write)."""
        self._check_open()
        if not isinstance(key, str) or not key:
            raise ValueError(f"user attribute key {key!r} must be a non-empty str")
        event = AttrSet(self._number, key, value)
        try:
            encode_event(event)  # fail now, with a clear message, if it is not JSON
        except TypeError:
            raise TypeError(
                f"user attribute {key!r} = {value!r} of type {type(value).__name__} cannot be "
                "stored as JSON; store plain numbers, strings, lists and dicts (e.g. str(value))"
            ) from None
        self._user_attrs[key] = value
        self._pending.append(event)

    # -- internals -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._finished:
            raise RuntimeError(
                f"trial {self._number} has finished; ask for a new trial to suggest or report"
            )

    def _take_pending(self) -> list[Event]:
        pending, self._pending = self._pending, []
        return pending

    def _record(self) -> TrialRecord:
        """This running trial as a record, for samplers. Its mappings are read-only *views* of
        the live trial (built once, not copied per suggestion): valid for the call it is
        passed to; a sampler that keeps it sees later suggestions too."""
        if self._live_record is None:
            self._live_record = TrialRecord(
                number=self._number,
                state=TrialState.RUNNING,
                params=MappingProxyType(self._params),
                distributions=MappingProxyType(self._distributions),
                intermediate_values=MappingProxyType(self._intermediate),
                user_attrs=MappingProxyType(self._user_attrs),
                budget=self._budget,
            )
        return self._live_record
