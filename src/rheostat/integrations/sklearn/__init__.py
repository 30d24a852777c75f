"""scikit-learn integration (``pip install 'rheostat[sklearn]'``).

- ``nested_cv(estimator, space, X, y, ...)``: tune inside each outer fold on that fold's training
  part only, then score the tuned estimator once on the outer test part, which the search never
  sees; the mean of the outer scores estimates how well *tuning plus training* generalizes.

scikit-learn is imported when ``nested_cv`` runs, not when this package is imported.
"""

from rheostat.integrations.sklearn._nested_cv import NestedCVResult, nested_cv

__all__ = ["NestedCVResult", "nested_cv"]
