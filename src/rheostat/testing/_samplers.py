"""The conformance suite every sampler must pass.

Subclass ``SamplerConformance`` in a test module (its name must start with ``Test``) and give
``make_sampler``; pytest then runs every test below against your sampler::

    class TestMySampler(SamplerConformance):
        def make_sampler(self, seed: int | None) -> Sampler:
            return MySampler(seed=seed)

The suite checks the sampler contract of ``rheostat.samplers.Sampler``: the same seed and a
sequential study give the same trials (also after a stop and resume on a SQLite file, and with a
sampler whose seed is ``None``, which takes the study's seed); every value lies inside its
distribution and has the Python type the objective expects; conditional parameters work; both
define-by-run objectives and ``study.ask(space)`` work; trials from several threads are valid;
``dump()`` is JSON and ``load(dump())`` restores the sampler.

A sampler that supports only some spaces (a grid, say) overrides ``space`` and
``conditional_space``, or builds itself from them: every parameter the suite suggests is in one
of the two.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from rheostat.distributions import Categorical, Distribution, Float, Int, ParamValue
from rheostat.samplers import Sampler
from rheostat.space import Space
from rheostat.study import Study, Trial, create_study
from rheostat.trial import TrialRecord, TrialState

__all__ = ["SamplerConformance", "check_value"]

Fingerprint = list[tuple[tuple[str, str, str], ...]]

_STYLES = ("define-by-run", "ask")


def _suggest(trial: Trial, name: str, dist: Distribution) -> ParamValue:
    """Suggest ``name`` through the ``suggest_*`` method a user would call for ``dist``."""
    if isinstance(dist, Float):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, Int):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, Categorical):
        return trial.suggest_categorical(name, list(dist.choices))
    return trial.suggest(name, dist)


def _score(space: Mapping[str, Distribution], params: Mapping[str, ParamValue]) -> float:
    """A deterministic objective value: the sum of the internal forms of the values."""
    return float(sum(space[name].to_internal(v) for name, v in params.items() if name in space))


def _fingerprint(trials: list[TrialRecord]) -> Fingerprint:
    """Trial params in a form where ``1``, ``1.0`` and ``True`` differ (``==`` would merge them)."""
    return [
        tuple(sorted((name, type(v).__name__, repr(v)) for name, v in t.params.items()))
        for t in trials
    ]


def check_value(name: str, dist: Distribution, value: object) -> None:
    """Fail unless ``value`` is inside ``dist`` and has the type the objective should see."""
    where = f"parameter {name!r} = {value!r} ({type(value).__name__}) from {dist!r}"
    assert dist.contains(value), f"{where}: the value is outside the distribution"
    if isinstance(dist, Float):
        assert type(value) is float, f"{where}: a Float must give a float"
        if dist.step is not None:
            assert dist.cast(value) == value, f"{where}: a step float must land on its grid"
    elif isinstance(dist, Int):
        assert type(value) is int, f"{where}: an Int must give an int"
    elif isinstance(dist, Categorical):
        choice = dist.choices[dist.index(value)]
        assert type(value) is type(choice), (
            f"{where}: a categorical value must keep the type of its choice "
            f"(expected {choice!r} of type {type(choice).__name__})"
        )
        assert value == choice, f"{where}: expected the choice {choice!r}"


class SamplerConformance:
    """Tests every sampler must pass. Subclass it and implement ``make_sampler``."""

    space: ClassVar[Space] = Space(
        {
            "float": Float(-2.0, 3.0),
            "float_log": Float(1e-4, 10.0, log=True),
            "float_step": Float(0.0, 1.0, step=0.1),
            "int": Int(-3, 7),
            "int_log": Int(1, 1000, log=True),
            "int_step": Int(0, 20, step=5),
            "categorical": Categorical([None, True, 1, 2.5, "a"]),
        }
    )
    """The parameters of the unconditional tests, suggested in this order."""

    conditional_space: ClassVar[Space] = Space(
        {
            "kind": Categorical(["linear", "tree"]),
            "alpha": Float(1e-4, 1.0, log=True),
            "depth": Int(1, 8),
        }
    )
    """``kind``, then ``alpha`` only when kind is ``"linear"`` and ``depth`` only for ``"tree"``."""

    n_trials: ClassVar[int] = 20
    """Trials per run; must be even (the resume test stops half-way)."""

    seed_changes_output: ClassVar[bool] = True
    """Whether two different seeds give different trials (False for a deterministic sampler)."""

    def make_sampler(self, seed: int | None) -> Sampler:
        """A new sampler with ``seed``; ``None`` means it should use the study's seed."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_sampler(seed)")

    # -- helpers ---------------------------------------------------------------------------------

    def _objective(self, space: Space) -> Callable[[Trial], float]:
        def objective(trial: Trial) -> float:
            params = {name: _suggest(trial, name, dist) for name, dist in space.items()}
            for name, value in params.items():
                check_value(name, space[name], value)  # what the objective itself sees
            return _score(space, params)

        return objective

    def _run(self, study: Study, style: str, n_trials: int) -> None:
        if style == "define-by-run":
            study.optimize(self._objective(self.space), n_trials=n_trials)
            return
        for _ in range(n_trials):
            trial = study.ask(self.space)
            assert set(trial.params) == set(self.space), (
                f"ask(space) must set every parameter of the space, got {sorted(trial.params)}"
            )
            study.tell(trial, _score(self.space, trial.params))

    def _fresh_run(
        self, style: str, *, sampler_seed: int | None, study_seed: int | None, n_trials: int
    ) -> Fingerprint:
        study = create_study(sampler=self.make_sampler(sampler_seed), seed=study_seed)
        self._run(study, style, n_trials)
        trials = study.trials
        study.storage.close()
        self._check_trials(trials, self.space, n_trials)
        return _fingerprint(trials)

    def _check_trials(self, trials: list[TrialRecord], space: Space, n_trials: int) -> None:
        assert len(trials) == n_trials, f"expected {n_trials} trials, got {len(trials)}"
        for t in trials:
            assert t.state is TrialState.COMPLETE, f"trial {t.number} is {t.state}: {t.message}"
            for name, value in t.params.items():
                check_value(name, space[name], value)

    # -- reproducibility -------------------------------------------------------------------------

    @pytest.mark.parametrize("style", _STYLES)
    def test_same_seed_same_trials(self, style: str) -> None:
        first = self._fresh_run(style, sampler_seed=7, study_seed=1, n_trials=self.n_trials)
        second = self._fresh_run(style, sampler_seed=7, study_seed=2, n_trials=self.n_trials)
        assert first == second, "the same sampler seed must give the same trials"

    def test_seed_none_uses_the_study_seed(self) -> None:
        first = self._fresh_run(
            "define-by-run", sampler_seed=None, study_seed=3, n_trials=self.n_trials
        )
        second = self._fresh_run(
            "define-by-run", sampler_seed=None, study_seed=3, n_trials=self.n_trials
        )
        assert first == second, "a sampler with seed=None must follow the study's seed"
        if self.seed_changes_output:
            other = self._fresh_run(
                "define-by-run", sampler_seed=None, study_seed=4, n_trials=self.n_trials
            )
            assert other != first, "a different study seed gave the same trials"

    def test_different_seeds_give_different_trials(self) -> None:
        if not self.seed_changes_output:
            pytest.skip("seed_changes_output is False for this sampler")
        first = self._fresh_run(
            "define-by-run", sampler_seed=11, study_seed=0, n_trials=self.n_trials
        )
        second = self._fresh_run(
            "define-by-run", sampler_seed=12, study_seed=0, n_trials=self.n_trials
        )
        assert first != second, "sampler seeds 11 and 12 gave the same trials"

    @pytest.mark.parametrize("sampler_seed", [13, None])
    def test_one_sampler_object_for_two_studies(self, sampler_seed: int | None) -> None:
        # Whatever a sampler caches must not leak from one study into the next.
        sampler = self.make_sampler(sampler_seed)
        runs = []
        for study_seed in (0, 1, 0):
            study = create_study(sampler=sampler, seed=study_seed)
            self._run(study, "define-by-run", self.n_trials)
            runs.append(_fingerprint(study.trials))
            study.storage.close()
        assert runs[0] == runs[2], "a reused sampler object gave other trials for the same seeds"
        if sampler_seed is None and self.seed_changes_output:
            assert runs[0] != runs[1], "a reused sampler object ignored the new study's seed"

    @pytest.mark.parametrize("style", _STYLES)
    @pytest.mark.parametrize("sampler_seed", [5, None])
    def test_same_trials_after_resume(
        self, tmp_path: Path, style: str, sampler_seed: int | None
    ) -> None:
        half = self.n_trials // 2
        resumed_url = f"sqlite:///{tmp_path / 'resumed.db'}"
        study = create_study("s", resumed_url, sampler=self.make_sampler(sampler_seed), seed=9)
        self._run(study, style, half)
        study.storage.close()
        # A new process would do this: a new Study object and a new sampler on the same file.
        # The study seed is not given again: it must come from the file.
        study = create_study(
            "s", resumed_url, sampler=self.make_sampler(sampler_seed), load_if_exists=True
        )
        assert study.seed == 9
        self._run(study, style, self.n_trials - half)
        resumed = study.trials
        study.storage.close()

        whole_url = f"sqlite:///{tmp_path / 'whole.db'}"
        study = create_study("s", whole_url, sampler=self.make_sampler(sampler_seed), seed=9)
        self._run(study, style, self.n_trials)
        whole = study.trials
        study.storage.close()

        self._check_trials(resumed, self.space, self.n_trials)
        self._check_trials(whole, self.space, self.n_trials)
        assert _fingerprint(resumed) == _fingerprint(whole), (
            "a study stopped and resumed must give the same trials as an uninterrupted one"
        )

    # -- values ----------------------------------------------------------------------------------

    @pytest.mark.parametrize("style", _STYLES)
    def test_values_inside_their_distributions(self, style: str) -> None:
        study = create_study(sampler=self.make_sampler(0), seed=0)
        self._run(study, style, 2 * self.n_trials)
        trials = study.trials
        study.storage.close()
        self._check_trials(trials, self.space, 2 * self.n_trials)
        for t in trials:
            assert set(t.params) == set(self.space)
            assert dict(t.distributions) == dict(self.space)

    def test_values_inside_their_distributions_on_sqlite(self, tmp_path: Path) -> None:
        # After a JSON round trip through storage, an int is still an int, True still a bool.
        url = f"sqlite:///{tmp_path / 'values.db'}"
        study = create_study("s", url, sampler=self.make_sampler(0), seed=0)
        self._run(study, "define-by-run", self.n_trials)
        study.storage.close()
        study = create_study("s", url, sampler=self.make_sampler(0), load_if_exists=True)
        trials = study.trials
        study.storage.close()
        self._check_trials(trials, self.space, self.n_trials)

    def test_conditional_parameters(self) -> None:
        space = self.conditional_space
        seen: list[dict[str, ParamValue]] = []

        def objective(trial: Trial) -> float:
            kind = _suggest(trial, "kind", space["kind"])
            name = "alpha" if kind == "linear" else "depth"
            value = _suggest(trial, name, space[name])
            check_value("kind", space["kind"], kind)
            check_value(name, space[name], value)
            seen.append({"kind": kind, name: value})
            return _score(space, {"kind": kind, name: value})

        study = create_study(sampler=self.make_sampler(0), seed=0)
        study.optimize(objective, n_trials=self.n_trials)
        trials = study.trials
        study.storage.close()
        self._check_trials(trials, space, self.n_trials)
        kinds = set()
        for t, params in zip(trials, seen, strict=True):
            kind = t.params["kind"]
            kinds.add(kind)
            expected = {"kind", "alpha"} if kind == "linear" else {"kind", "depth"}
            assert set(t.params) == expected, f"trial {t.number} has {sorted(t.params)}"
            assert dict(t.params) == params
        assert kinds == {"linear", "tree"}, f"only {kinds} were tried in {self.n_trials} trials"

    def test_ask_with_space_sets_every_parameter(self) -> None:
        study = create_study(sampler=self.make_sampler(0), seed=0)
        for _ in range(self.n_trials):
            trial = study.ask(self.space)
            for name, dist in self.space.items():
                check_value(name, dist, trial.params[name])
                # Suggesting a parameter of the space again returns the sampled value.
                assert _suggest(trial, name, dist) == trial.params[name]
            study.tell(trial, _score(self.space, trial.params))
        trials = study.trials
        study.storage.close()
        self._check_trials(trials, self.space, self.n_trials)

    def test_threads(self) -> None:
        study = create_study(sampler=self.make_sampler(0), seed=0)
        study.optimize(self._objective(self.space), n_trials=self.n_trials, n_workers=4)
        trials = study.trials
        study.storage.close()
        self._check_trials(trials, self.space, self.n_trials)
        assert [t.number for t in trials] == list(range(self.n_trials))

    # -- state -----------------------------------------------------------------------------------

    def test_dump_is_json(self) -> None:
        sampler = self.make_sampler(3)
        before = sampler.dump()
        assert json.loads(json.dumps(before)) == before, "dump() must be JSON-representable"
        study = create_study(sampler=sampler, seed=0)
        self._run(study, "define-by-run", 4)
        study.storage.close()
        after = sampler.dump()
        assert json.loads(json.dumps(after)) == after, "dump() must be JSON-representable"
        assert after.get("type") == type(sampler).__name__

    def test_load_restores_the_sampler(self) -> None:
        state: dict[str, Any] = json.loads(json.dumps(self.make_sampler(21).dump()))
        restored = self.make_sampler(22)
        restored.load(state)
        assert restored.dump() == state
        study = create_study(sampler=restored, seed=0)
        self._run(study, "define-by-run", self.n_trials)
        got = _fingerprint(study.trials)
        study.storage.close()
        expected = self._fresh_run(
            "define-by-run", sampler_seed=21, study_seed=0, n_trials=self.n_trials
        )
        assert got == expected, "a sampler restored with load(dump()) must act like the original"
