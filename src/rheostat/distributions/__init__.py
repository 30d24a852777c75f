"""Parameter distributions: what values one hyperparameter may take.

``Float``, ``Int`` and ``Categorical`` are frozen dataclasses, validated when constructed. Each maps
values to and from two numeric forms used by samplers:

- the *internal* form: numeric parameters to ``[0, 1]`` (in log space when ``log=True``; an integer
  or a step value owns an equal-width cell, so a uniform draw hits each value equally often),
  categoricals to the index of the choice;
- the *unit* form: any distribution from a uniform number in ``[0, 1)`` (``from_unit``), which is
  what random and quasi-random samplers draw.

Round trips are exact for the value the user sees: an ``Int`` comes back an ``int`` and a step float
lands on its grid. ``to_json`` / ``distribution_from_json`` is what storage keeps.
"""

from rheostat.distributions._base import CategoricalChoice, Distribution, ParamValue
from rheostat.distributions._categorical import Categorical
from rheostat.distributions._float import Float
from rheostat.distributions._int import Int
from rheostat.distributions._json import distribution_from_json

__all__ = [
    "Categorical",
    "CategoricalChoice",
    "Distribution",
    "Float",
    "Int",
    "ParamValue",
    "distribution_from_json",
]
