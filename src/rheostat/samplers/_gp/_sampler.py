"""``GPSampler``: Bayesian optimization with a Gaussian process, in numpy and scipy.

A proposal for trial ``n``:

1. The modelled space is the declared one or else the parameters every completed trial shares.
   Until ``n_startup_trials`` completed trials cover it, trial ``n`` takes point ``n`` of a
   scrambled Sobol' sequence (as ``SobolSampler``).
2. Observations, fantasies and tried points are read from the history (``_observations``) as
   rows of the encoding (``_space``); the values become targets (``_targets``: negated when
   maximized, ParEGO-scalarized for several objectives, standardized and warped).
3. Kernel hyperparameters by MAP (``_fit``), from a memoized chain of warm-started fits at
   anchor sizes (``_chain``), refitted on all observations from there while they are at most 64.
   Everything depends on the seed and the history only, so a resumed study proposes the points
   an uninterrupted one would.
4. Running, waiting and failed trials are added at the posterior mean (kriging believer).
5. The acquisition is maximized over valid points (``_optimize``): log EI over the incumbent
   less a margin ``xi``, the incumbent being the lowest posterior mean at the observed and
   fantasized points (not the raw best, which a noisy objective flatters), or the confidence
   bound; or a Thompson draw over the candidates is minimized. A point already tried or pending
   is not proposed again while another candidate remains.

Steps 2-5 live in ``_engine``, loaded on the first proposal (importing rheostat loads neither
numpy nor scipy). The numerical work runs one proposal at a time, on one thread of the process,
with one BLAS thread when ``threadpoolctl`` is installed (``_threads``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from rheostat.distributions import Distribution, ParamValue
from rheostat.samplers._base import Sampler, intersection_space
from rheostat.samplers._sobol import SobolSampler
from rheostat.space import Space
from rheostat.trial import History, TrialRecord

if TYPE_CHECKING:
    from rheostat.samplers._gp._engine import Engine

__all__ = ["GPSampler"]

AcquisitionName = Literal["logei", "ucb", "thompson"]
_ACQUISITIONS = ("logei", "ucb", "thompson")


class GPSampler(Sampler):
    """Gaussian-process Bayesian optimization (see the module docstring for the algorithm).

    ``acquisition`` is ``"logei"`` (log expected improvement, the default), ``"ucb"`` (a
    confidence bound with ``beta_t = 0.2 d log 2t``) or ``"thompson"`` (a joint posterior draw
    over the candidates). ``n_startup_trials`` Sobol' points come first (default
    ``max(5, min(d + 1, 10))`` for ``d`` modelled parameters). ``n_candidates`` (a power of 2)
    quasi-random points, and a quarter as many perturbations of the best observations, seed the
    acquisition search. ``warp_outputs`` power-transforms the objective values before the fit.
    ``xi`` is the least improvement log EI counts, in standard deviations of the standardized
    (and warped) objective values: a model that has grown sure of one basin would otherwise
    spend its trials polishing the incumbent by amounts no one needs, and not look where it is
    unsure (the margin of Lizotte 2008, 0.01; 0 gives plain EI). ``noise_floor`` is the least
    noise variance the model assumes, relative to the standardized values; the noise is learned
    above it.

    Integers and step values are only ever proposed on their grid, and categoricals get a
    length-scale each. Proposals depend only on the seed and the history; the sampler is
    thread-safe and picklable (its caches are left behind). Parameters outside the modelled
    space (conditional ones) are drawn at random from the trial's stream. Multi-objective
    studies use ParEGO.

    >>> import rheostat
    >>> study = rheostat.create_study(sampler=GPSampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=12)
    >>> round(study.best_value, 3)
    0.0
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        acquisition: AcquisitionName = "logei",
        n_startup_trials: int | None = None,
        n_candidates: int = 1024,
        warp_outputs: bool = True,
        noise_floor: float = 1e-6,
        xi: float = 0.01,
    ) -> None:
        super().__init__(seed=seed)
        if acquisition not in _ACQUISITIONS:
            raise ValueError(
                f"GPSampler: acquisition must be one of {', '.join(_ACQUISITIONS)}, got "
                f"{acquisition!r}"
            )
        if n_startup_trials is not None and (
            not isinstance(n_startup_trials, int) or n_startup_trials < 1
        ):
            raise ValueError(
                f"GPSampler: n_startup_trials must be an integer >= 1 or None, got "
                f"{n_startup_trials!r}"
            )
        if not isinstance(n_candidates, int) or n_candidates < 2 or n_candidates & n_candidates - 1:
            raise ValueError(
                f"GPSampler: n_candidates must be a power of 2 (>= 2), got {n_candidates!r}"
            )
        if not 0.0 < noise_floor < 1.0:
            raise ValueError(f"GPSampler: noise_floor must be in (0, 1), got {noise_floor!r}")
        if not isinstance(xi, (int, float)) or not 0.0 <= xi < 1.0:
            raise ValueError(
                f"GPSampler: xi must be a number in [0, 1) (the least improvement log EI "
                f"counts, in standard deviations of the objective; 0.01 by default), got {xi!r}"
            )
        self.acquisition: AcquisitionName = acquisition
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates
        self.warp_outputs = bool(warp_outputs)
        self.noise_floor = float(noise_floor)
        self.xi = float(xi)
        self._startup = SobolSampler(seed)
        self._init_caches()

    def _init_caches(self) -> None:
        self._engine: Engine | None = None  # made on the first proposal: numpy, scipy, caches

    def __repr__(self) -> str:
        return f"GPSampler(seed={self.seed!r}, acquisition={self.acquisition!r})"

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_engine", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._init_caches()

    def dump(self) -> dict[str, Any]:
        return {
            **super().dump(),
            "acquisition": self.acquisition,
            "n_startup_trials": self.n_startup_trials,
            "n_candidates": self.n_candidates,
            "warp_outputs": self.warp_outputs,
            "noise_floor": self.noise_floor,
            "xi": self.xi,
        }

    def load(self, state: Mapping[str, Any]) -> None:
        super().load(state)
        self._startup = SobolSampler(self.seed)
        for key in ("acquisition", "n_startup_trials", "n_candidates", "warp_outputs"):
            if key in state:
                setattr(self, key, state[key])
        if "noise_floor" in state:
            self.noise_floor = float(state["noise_floor"])
        self.xi = float(state.get("xi", 0.0))  # dumped before xi existed: plain EI, as then

    # -- sampling --------------------------------------------------------------------------------

    def sample_one(
        self, history: History, trial: TrialRecord, name: str, distribution: Distribution
    ) -> ParamValue:
        return distribution.from_unit(self._stream(history, trial.number).random())

    def startup_trials(self, dim: int) -> int:
        """How many completed trials come from the Sobol' start with ``dim`` parameters."""
        if self.n_startup_trials is not None:
            return self.n_startup_trials
        return max(5, min(dim + 1, 10))

    def propose(self, history: History, space: Space | None) -> dict[str, ParamValue]:
        space = space if space is not None else intersection_space(history)
        if not space:
            return {}
        with self._lock:
            if self._engine is None:
                from rheostat.samplers._gp._engine import Engine

                self._engine = Engine()
            engine = self._engine
        proposal = engine.propose(self, history, space)
        return self._startup.propose(history, space) if proposal is None else proposal
