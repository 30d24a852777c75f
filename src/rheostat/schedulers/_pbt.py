"""Population-based training (Jaderberg et al. 2017): truncation selection, exploit, explore.

Every trial trains in segments of ``perturbation_interval`` resource units. At the end of a
segment (a boundary, step ``s`` with ``(s + 1) % perturbation_interval == 0``) the trial is
ranked against every trial that reported at that step. One in the bottom ``quantile_fraction``
is stopped (``STOP``); any other pauses (``PAUSE``) so the population advances together on
however many workers there are. When a worker asks what to run, the scheduler:

1. replaces the oldest stopped trial that has no replacement yet (exploit): a new trial
   (``StartFrom``) that loads the checkpoint of a ``PAUSED`` trial drawn from the top
   ``quantile_fraction`` at the stopped trial's boundary, with that trial's parameters
   perturbed (explore); it waits while no top trial is paused;
2. else starts a new member (``Start``) while the newest population has fewer than
   ``population_size`` members;
3. else resumes the paused trial that is furthest behind (oldest population, lowest step; then
   best value, then lowest number) for one more segment (``Resume``);
4. else starts a new member: when the first population is done (or every member is running
   and a worker is free) it founds the next population, whose trials are ranked only among
   themselves.

Populations: the ``k``-th trial started from the sampler belongs to population
``k // population_size``, a replacement to its parent's. The study's ``n_trials`` counts
members and replacements; when it runs out, members waiting at a boundary stay ``PAUSED`` with
their reports and checkpoints, and the next ``optimize`` call (or any worker on the same
storage) continues the population where it stopped: splitting ``n_trials`` over several calls
gives the same trials as one call.

Everything is derived from the history; random draws come from ``random.Random`` seeded by the
study's seed and the new trial's number, so a sequential study is reproducible.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from typing import Any

from rheostat.distributions import Categorical, Distribution, Float, Int, ParamValue
from rheostat.schedulers._base import Action, Decision, Resume, Scheduler, Start, StartFrom
from rheostat.schedulers._index import ReportIndex
from rheostat.trial import Direction, History, TrialRecord, TrialState

__all__ = ["PBT", "perturb"]

_FACTORS = (0.8, 1.2)


def _check_fraction(name: str, value: object, *, open_low: bool) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    v = float(value) if ok else math.nan  # type: ignore[arg-type]
    low_ok = v > 0.0 if open_low else v >= 0.0
    if not (low_ok and v <= (0.5 if open_low else 1.0)):
        bounds = "0 < x <= 0.5" if open_low else "0 <= x <= 1"
        raise ValueError(f"PBT: {name} must be a number with {bounds}, got {value!r}")
    return v


def _check_int(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"PBT: {name} must be an integer >= {minimum}, got {value!r}")
    return value


def perturb(
    value: ParamValue, distribution: Distribution, rng: random.Random, resample_probability: float
) -> ParamValue:
    """``value`` explored: resampled from ``distribution`` with ``resample_probability``, else
    multiplied by 0.8 or 1.2 (a categorical moves to a neighbouring choice), and always clipped
    into the distribution (onto its grid where it has a step).

    >>> d = Float(0.1, 1.0)
    >>> sorted({round(perturb(0.9, d, random.Random(i), 0.0), 9) for i in range(20)})
    [0.72, 1.0]
    >>> sorted({perturb(5, Int(1, 5), random.Random(i), 0.0) for i in range(20)})
    [4, 5]
    """
    if rng.random() < resample_probability:
        return distribution.from_unit(rng.random())
    factor = rng.choice(_FACTORS)
    if isinstance(distribution, Categorical):
        i = distribution.index(value) + (1 if factor > 1 else -1)
        return distribution.choices[min(max(i, 0), len(distribution.choices) - 1)]
    if isinstance(distribution, Int):
        v = int(value)  # type: ignore[arg-type]
        moved = round(v * factor)
        if moved == v:  # a small integer would never move: step by one unit
            moved = v + (distribution.step if factor > 1 else -distribution.step)
        k = round((moved - distribution.low) / distribution.step)
        k = min(max(k, 0), (distribution.high - distribution.low) // distribution.step)
        return distribution.low + k * distribution.step
    if isinstance(distribution, Float):
        moved_f = min(max(float(value) * factor, distribution.low), distribution.high)  # type: ignore[arg-type]
        if distribution.step is not None:
            return distribution.from_internal(distribution.to_internal(moved_f))
        return moved_f
    return distribution.from_unit(rng.random())  # an unknown kind: resample


class PBT(Scheduler):
    """Population-based training: truncation selection every ``perturbation_interval`` units.

    A trial starts with ``trial.budget == perturbation_interval`` and reports one value per
    resource unit (step ``s`` means ``s + 1`` units), up to ``max_resource``. At a boundary it
    is stopped when it is among the worst ``floor(n * quantile_fraction)`` of the ``n`` trials
    that reported at that step (ties in its favour); otherwise it pauses at the end of its
    budget and is resumed later with a budget one segment larger. A stopped trial is replaced
    by a new trial (``StartFrom``) whose ``parent`` is a paused trial of the top
    ``quantile_fraction`` at that step: the objective loads the parent's checkpoint with
    ``trial.checkpoint.load()`` and trains with the parent's parameters, each one named in
    ``hyperparam_mutations`` (default: all) explored by ``perturb`` (resampled with
    ``resample_probability``, else times 0.8 or 1.2, clipped into its distribution). The
    replacement's budget ends at the parent's next boundary. ``population_size`` members start
    from the sampler; later new trials are replacements, or members of a next population (see
    ``populations``) when none is due and nothing is paused.

    The objective must resume from its checkpoint (``for step in range(start, trial.budget)``)
    and save one before each report. The study's ``n_trials`` counts members and
    replacements: a population needs about ``population_size * (1 + quantile_fraction *
    (max_resource / perturbation_interval - 1))`` of them to reach ``max_resource`` (more when
    its members arrive at a boundary out of order). When the count runs out first, the members
    waiting at a boundary stay ``PAUSED`` with their checkpoints (none is lost), and the next
    ``optimize`` call continues the population exactly where it stopped. A NaN report, or one
    past ``max_resource``, is stopped. Single-objective studies only. Stateless.

    >>> pbt = PBT(perturbation_interval=3, max_resource=27, population_size=8)
    >>> pbt.next_action(History("s", (Direction.MINIMIZE,), []))
    Start(budget=3)
    """

    def __init__(
        self,
        *,
        perturbation_interval: int,
        max_resource: int,
        population_size: int = 8,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        hyperparam_mutations: Sequence[str] | None = None,
    ) -> None:
        self.perturbation_interval = _check_int("perturbation_interval", perturbation_interval, 1)
        self.max_resource = _check_int("max_resource", max_resource, 1)
        self.population_size = _check_int("population_size", population_size, 1)
        self.quantile_fraction = _check_fraction(
            "quantile_fraction", quantile_fraction, open_low=True
        )
        self.resample_probability = _check_fraction(
            "resample_probability", resample_probability, open_low=False
        )
        if hyperparam_mutations is not None and (
            isinstance(hyperparam_mutations, str)
            or not all(isinstance(n, str) for n in hyperparam_mutations)
        ):
            raise ValueError(
                "PBT: hyperparam_mutations must be a sequence of parameter names or None, got "
                f"{hyperparam_mutations!r}"
            )
        self.hyperparam_mutations = (
            None if hyperparam_mutations is None else tuple(hyperparam_mutations)
        )
        boundaries = range(self.perturbation_interval - 1, self.max_resource - 1)
        self._index = ReportIndex(
            (s for s in boundaries if self._is_boundary(s)), population_size=self.population_size
        )

    # -- decisions -------------------------------------------------------------------------------

    def _is_boundary(self, step: int) -> bool:
        units = step + 1
        return units % self.perturbation_interval == 0 and units < self.max_resource

    def _segment_end(self, units: int) -> int:
        """The budget that ends the segment after ``units`` units of training."""
        nxt = (units // self.perturbation_interval + 1) * self.perturbation_interval
        return min(nxt, self.max_resource)

    def populations(self, history: History) -> list[int]:
        """The population of each trial, by number. The ``k``-th trial started without a parent
        founds a lineage of population ``k // population_size``; a replacement joins its
        parent's. Trials are ranked, and parents drawn, only within a population."""
        out: list[int] = []
        founders = 0
        for t in history.trials:
            if t.parent is not None and 0 <= t.parent < len(out):
                out.append(out[t.parent])
            else:
                out.append(founders // self.population_size)
                founders += 1
        return out

    def _judged_at(self, trial: TrialRecord, step: int) -> int | None:
        """The boundary a report at ``step`` is judged at, if any: ``step`` itself, or the one
        just before when the trial reported there (it may have been paused before its peers
        arrived)."""
        if self._is_boundary(step):
            return step
        before = trial.intermediate_values.get(step - 1)
        if self._is_boundary(step - 1) and before is not None and math.isfinite(before):
            return step - 1
        return None

    def _in_bottom(self, index: ReportIndex, trial: TrialRecord, step: int, sign: float) -> bool:
        """Whether ``trial``'s report at boundary ``step`` is among the worst
        ``floor(n * quantile_fraction)`` of the ``n`` finite reports of its population there."""
        ranked = index.finite(index.group_of[trial.number], step)
        n_bottom = math.floor(len(ranked) * self.quantile_fraction)
        value = trial.intermediate_values[step]
        better = bisect.bisect_left(ranked, (False, sign * value, -1))
        return n_bottom >= 1 and better >= len(ranked) - n_bottom

    def on_report(self, history: History, trial: TrialRecord, step: int, value: float) -> Decision:
        self._check_single_objective(history)
        if math.isnan(value) or step >= self.max_resource:
            return Decision.STOP
        if math.isfinite(value):
            at = self._judged_at(trial, step)
            if at is not None:
                sign = -1.0 if history.direction is Direction.MAXIMIZE else 1.0
                with self._index.synced(history) as index:
                    if self._in_bottom(index, trial, at, sign):
                        return Decision.STOP
        budget = self.perturbation_interval if trial.budget is None else trial.budget
        if step + 1 < self.max_resource and step >= math.ceil(budget) - 1:
            return Decision.PAUSE
        return Decision.CONTINUE

    # -- actions ---------------------------------------------------------------------------------

    def _exploit(self, history: History, index: ReportIndex) -> StartFrom | None:
        """The replacement due for the oldest unreplaced stopped trial of the oldest population
        that has one, if a parent is paused (only a population with a paused trial can have
        one)."""
        for population in sorted({index.group_of[n] for n in index.paused}):
            stopped = []
            n_children = 0
            for number in index.members[population]:
                t = history.trials[number]
                if t.parent is not None:
                    n_children += 1
                if t.state is not TrialState.PRUNED or t.last_step is None:
                    continue
                at = self._judged_at(t, t.last_step)
                if at is not None and math.isfinite(t.intermediate_values[t.last_step]):
                    stopped.append((t.datetime_complete or 0.0, t.number, at))
            if len(stopped) <= n_children:
                continue
            step = sorted(stopped)[n_children][2]
            ranked = index.finite(population, step)
            n_top = max(1, math.floor(len(ranked) * self.quantile_fraction))
            candidates = [index.paused[n] for _nan, _v, n in ranked[:n_top] if n in index.paused]
            if candidates:
                return self._child(history, candidates)
        return None

    def _child(self, history: History, candidates: list[TrialRecord]) -> StartFrom:
        """A replacement from one of ``candidates``, its parameters explored."""
        rng = random.Random(f"pbt:{_seed(history)}:{len(history)}")
        parent = candidates[rng.randrange(len(candidates))]
        params: dict[str, ParamValue] = {}
        for name, value in parent.params.items():
            dist = parent.distributions.get(name)
            mutate = self.hyperparam_mutations is None or name in self.hyperparam_mutations
            params[name] = (
                perturb(value, dist, rng, self.resample_probability)
                if mutate and dist is not None
                else value
            )
        units = (parent.last_step or 0) + 1
        return StartFrom(parent=parent.number, params=params, budget=self._segment_end(units))

    def next_action(self, history: History) -> Action:
        self._check_single_objective(history)
        sign = -1.0 if history.direction is Direction.MAXIMIZE else 1.0
        with self._index.synced(history) as index:
            exploit = self._exploit(history, index)
            if exploit is not None:
                return exploit
            if index.founders % self.population_size != 0:  # fill the newest population first
                return Start(budget=min(self.perturbation_interval, self.max_resource))
            waiting = []
            for number, t in index.paused.items():
                step = -1 if t.last_step is None else t.last_step
                v = t.intermediate_values.get(step, math.nan)
                nan = math.isnan(v)
                waiting.append(
                    (index.group_of[number], step, nan, 0.0 if nan else sign * v, number)
                )
        if waiting:
            _population, step, _nan, _v, number = min(waiting)
            return Resume(number, budget=self._segment_end(step + 1))
        return Start(budget=min(self.perturbation_interval, self.max_resource))

    def _check_single_objective(self, history: History) -> None:
        if len(history.directions) != 1:
            raise ValueError(
                f"PBT needs a single-objective study; this one has {len(history.directions)} "
                "objectives"
            )

    def _settings(self) -> dict[str, Any]:
        return {
            "perturbation_interval": self.perturbation_interval,
            "max_resource": self.max_resource,
            "population_size": self.population_size,
            "quantile_fraction": self.quantile_fraction,
            "resample_probability": self.resample_probability,
            "hyperparam_mutations": (
                None if self.hyperparam_mutations is None else list(self.hyperparam_mutations)
            ),
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._settings().items())
        return f"PBT({args})"


def _seed(history: History) -> int:
    seed = history.attrs.get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0
