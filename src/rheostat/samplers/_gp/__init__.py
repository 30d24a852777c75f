"""Gaussian-process Bayesian optimization in numpy and scipy: ``GPSampler``.

Modules, in the order a proposal uses them: ``_space`` (parameters to rows), ``_observations``
(a history to observed, fantasized and tried rows), ``_targets`` (objective values to
standardized, warped targets), ``_kernel`` (Matérn-5/2 ARD), ``_model`` (posterior), ``_fit``
(MAP hyperparameters), ``_chain`` (memoized warm-started fits along a study), ``_acquisition``
(log EI, UCB, Thompson), ``_optimize`` (acquisition search), ``_threads`` (one BLAS thread),
``_engine`` (a proposal, from these), ``_sampler`` (the sampler, which loads numpy and scipy
only on its first proposal).
"""

from rheostat.samplers._gp._sampler import GPSampler

__all__ = ["GPSampler"]
