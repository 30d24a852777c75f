"""BOHB (Falkner et al. 2018): Hyperband's brackets, with new configurations from a model."""

from __future__ import annotations

from rheostat.schedulers._hyperband import Hyperband

__all__ = ["BOHB"]


class BOHB(Hyperband):
    """BOHB's scheduling half: exactly ``Hyperband``'s brackets of synchronous successive
    halving, filled in the same order (trial ``k`` joins ``bracket_of(k)``).

    BOHB replaces Hyperband's random configurations with ones drawn from a density model
    fitted on the largest budget with enough observations. Schedulers never choose parameters
    (samplers do), so that model is ``rheostat.samplers.BOHBSampler``, which reads every
    trial's reports by budget from the history; use the two together::

        study = rheostat.create_study(scheduler=BOHB(max_resource=27), sampler=BOHBSampler())

    >>> BOHB(min_resource=1, max_resource=9, reduction_factor=3).brackets()
    [[(9, 1), (3, 3), (1, 9)], [(5, 3), (1, 9)], [(3, 9)]]
    """
