"""Record real learning curves once, for the scheduler benchmark to replay.

scikit-learn's ``SGDClassifier`` (log-loss, ``invscaling`` learning rate) trained with
``partial_fit`` on ``load_digits`` (standardized, 70/30 split, seed 0), one validation accuracy
per epoch for ``--epochs`` epochs, for ``--configs`` random configurations of ``alpha``
(1e-6..1e-1, log), ``eta0`` (1e-4..1, log) and ``power_t`` (0.05..0.9). An epoch is one
shuffled pass over the training set. Accuracy is stored compactly as the number of correct
validation predictions (``correct[config][epoch]``, out of ``n_validation``).

About 0.012 CPU seconds an epoch: the default 300 configurations x 81 epochs take about five
CPU minutes. Run it niced:

    nice -n 19 python benchmarks/record_curves.py   # writes benchmarks/results/curves_digits.json
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

from rheostat.distributions import Float
from rheostat.space import Space

RESULTS = Path(__file__).resolve().parent / "results"
CURVES = RESULTS / "curves_digits.json"
SPACE = Space(
    {
        "alpha": Float(1e-6, 1e-1, log=True),
        "eta0": Float(1e-4, 1.0, log=True),
        "power_t": Float(0.05, 0.9),
    }
)


def record_curves(n_configs: int, epochs: int, seed: int) -> dict[str, Any]:
    """Train every configuration for ``epochs`` epochs; the recorded table as JSON data."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.3, random_state=seed)
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    classes = np.unique(y)
    rng = random.Random(seed)
    configs, correct = [], []
    start = time.process_time()
    for i in range(n_configs):
        params = {name: dist.from_unit(rng.random()) for name, dist in SPACE.items()}
        model = SGDClassifier(loss="log_loss", learning_rate="invscaling", random_state=i, **params)
        order = np.random.default_rng(i)
        row = []
        for _epoch in range(epochs):
            perm = order.permutation(len(x_train))
            model.partial_fit(x_train[perm], y_train[perm], classes=classes)
            row.append(int((model.predict(x_val) == y_val).sum()))
        configs.append({k: float(f"{v:.6g}") for k, v in params.items()})  # type: ignore[arg-type]
        correct.append(row)
    return {
        "dataset": "load_digits",
        "model": "SGDClassifier(loss='log_loss', learning_rate='invscaling') partial_fit",
        "metric": "validation accuracy",
        "epochs": epochs,
        "seed": seed,
        "cpu_seconds": round(time.process_time() - start, 1),
        "n_validation": len(y_val),
        "configs": configs,
        "correct": correct,
    }


def load_curves(path: Path = CURVES) -> dict[str, Any]:
    """The recorded table, with ``curves[config][epoch]`` (validation accuracy) added."""
    data: dict[str, Any] = json.loads(path.read_text())
    n = data["n_validation"]
    data["curves"] = [[k / n for k in row] for row in data["correct"]]
    return data


def write_curves(data: dict[str, Any], path: Path = CURVES) -> None:
    """One configuration per line, so the file stays small and diffs stay readable."""
    head = {k: v for k, v in data.items() if k not in ("configs", "correct", "curves")}
    lines = ["{", *(f"{json.dumps(k)}: {json.dumps(v)}," for k, v in head.items())]
    lines.append('"configs": [')
    lines += [
        json.dumps(c) + ("," if i + 1 < len(data["configs"]) else "")
        for i, c in enumerate(data["configs"])
    ]
    lines.append('],\n"correct": [')
    rows = data["correct"]
    lines += [
        json.dumps(r, separators=(",", ":")) + ("," if i + 1 < len(rows) else "")
        for i, r in enumerate(rows)
    ]
    lines.append("]\n}")
    path.write_text("\n".join(lines) + "\n")
    json.loads(path.read_text())  # fails loudly if the hand-made layout is not JSON


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=300)
    parser.add_argument("--epochs", type=int, default=81)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    data = record_curves(args.configs, args.epochs, args.seed)
    write_curves(data)
    print(f"{args.configs} configurations x {args.epochs} epochs in {data['cpu_seconds']} CPU s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
