"""Studies: create, load, ask, tell and optimize."""

from rheostat.study._create import create_study, delete_study, load_study
from rheostat.study._holdout import Holdout
from rheostat.study._study import Study
from rheostat.study._trial import Trial

__all__ = ["Holdout", "Study", "Trial", "create_study", "delete_study", "load_study"]
