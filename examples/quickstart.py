"""Tune a support-vector classifier on scikit-learn's digits, in a SQLite file.

    python examples/quickstart.py            # runs 40 trials, prints the best
    python examples/quickstart.py            # again: resumes the same study, nothing is lost

Each trial cross-validates an SVC (3 folds) on the 1,797 8x8 images of ``load_digits``.
The kernel is a categorical parameter; ``degree`` exists only for the polynomial kernel
(a conditional parameter, defined by simply not suggesting it for the other kernels).
"""

from __future__ import annotations

import argparse
import sys

from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

import rheostat

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities 0..16 -> 0..1


def objective(trial: rheostat.Trial) -> float:
    kernel = trial.suggest_categorical("kernel", ["rbf", "poly", "sigmoid"])
    params = {
        "C": trial.suggest_float("C", 1e-2, 1e3, log=True),
        "gamma": trial.suggest_float("gamma", 1e-4, 1e1, log=True),
    }
    if kernel == "poly":
        params["degree"] = trial.suggest_int("degree", 2, 5)
    model = SVC(kernel=kernel, **params)
    return float(cross_val_score(model, X, y, cv=3).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="sqlite:///quickstart.db")
    parser.add_argument("--study-name", default="digits-svc")
    parser.add_argument("--n-trials", type=int, default=40, help="trials the study should have")
    args = parser.parse_args(argv)

    study = rheostat.create_study(
        study_name=args.study_name,
        storage=args.storage,
        direction="maximize",
        load_if_exists=True,
        seed=0,
    )
    finished = [t for t in study.trials if t.state.is_finished()]
    if finished:
        print(f"Resuming study {study.study_name!r}: {len(finished)} trials already finished.")
    remaining = max(0, args.n_trials - len(finished))
    study.optimize(objective, n_trials=remaining, show_progress_bar=True)

    best = study.best_trial
    print(f"Best trial: #{best.number}  accuracy {best.value:.4f}")
    for name, value in best.params.items():
        print(f"  {name} = {value!r}")
    print(f"{len(study.trials)} trials stored in {study.storage.url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
