"""Integrations with other libraries, each in its own subpackage and each an optional extra.

- ``rheostat.integrations.sklearn``: nested cross-validation of a scikit-learn estimator
  (``pip install 'rheostat[sklearn]'``).

Integrations use only rheostat's public API and never import each other.
"""

__all__: list[str] = []
