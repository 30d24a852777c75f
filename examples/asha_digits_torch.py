"""Tune a small PyTorch network on scikit-learn's digits with ASHA, pausing and resuming trials.

    pip install 'rheostat[torch,sklearn]'
    python examples/asha_digits_torch.py                 # 40 trials, up to 27 epochs each
    python examples/asha_digits_torch.py --n-trials 9 --max-epochs 9

A multilayer perceptron (CPU) learns the 1,797 8x8 images of ``load_digits`` (1,297 to train,
500 to validate). ASHA in the promotion type (Li et al. 2020) runs every new configuration for
one epoch, then pauses it: the objective saves a ``torch.save`` checkpoint of the model and the
optimizer, hands the file to ``trial.checkpoint.save``, and gives the worker back. A paused
trial among the best third of those that reached its rung is resumed with three times the
epochs: the objective loads its checkpoint (``torch.load(path, weights_only=True)``) and trains
``range(start, trial.budget)``, so no epoch is trained twice. Epoch ``e``'s batches are
shuffled by a seed of (trial, epoch), so a paused and resumed trial trains exactly as an
uninterrupted one would.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

import rheostat
from rheostat.schedulers import ASHA

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    X / 16.0, y, test_size=500, random_state=0, stratify=y
)
XT = torch.tensor(X_train, dtype=torch.float32)
YT = torch.tensor(y_train, dtype=torch.long)
XV = torch.tensor(X_val, dtype=torch.float32)
YV = torch.tensor(y_val, dtype=torch.long)


def make_model(hidden: int, dropout: float) -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 10)
    )


def objective(trial: rheostat.Trial) -> float:
    hidden = trial.suggest_int("hidden", 16, 256, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    lr = trial.suggest_float("lr", 1e-4, 0.5, log=True)
    batch_size = int(trial.suggest_categorical("batch_size", [32, 64, 128]))
    torch.manual_seed(trial.seed)
    model = make_model(hidden, dropout)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    start = 0
    saved = trial.checkpoint.load()  # None on a fresh start, else the path of our file
    if saved is not None:
        state = torch.load(saved, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start = int(state["epoch"])

    assert trial.budget is not None  # ASHA always gives a budget, in epochs
    accuracy = 0.0
    for epoch in range(start, int(trial.budget)):
        model.train()
        order = torch.randperm(len(XT), generator=torch.Generator().manual_seed(trial.seed + epoch))
        for batch in order.split(batch_size):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(XT[batch]), YT[batch])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            accuracy = float((model(XV).argmax(dim=1) == YV).float().mean())
        if epoch + 1 == trial.budget:  # the end of this run: the trial may be paused here
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "checkpoint.pt"
                state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
                torch.save({**state, "epoch": epoch + 1}, path)
                trial.checkpoint.save(path)  # copied into the study's artifact store
        trial.report(accuracy, step=epoch)
        if trial.should_prune():  # paused (or stopped on NaN): the worker is given back
            raise rheostat.TrialPruned()
    return accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=40, help="new configurations to try")
    parser.add_argument("--max-epochs", type=int, default=27, help="ASHA's max_resource")
    parser.add_argument("--storage", default=None, help="e.g. sqlite:///asha.db (default: memory)")
    parser.add_argument("--n-workers", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # a small network: one thread per worker is fastest

    scheduler = ASHA(
        min_resource=1, max_resource=args.max_epochs, reduction_factor=3, mode="promote"
    )
    study = rheostat.create_study(
        storage=args.storage, direction="maximize", scheduler=scheduler, seed=0
    )
    study.optimize(objective, n_trials=args.n_trials, n_workers=args.n_workers)

    trials = study.trials
    best = study.best_trial
    epochs = sum(len(t.intermediate_values) for t in trials)
    resumed = sum(1 for t in trials if t.budget is not None and t.budget > 1)
    print(f"Best trial: #{best.number}  accuracy {best.value:.4f} after {best.budget:g} epochs")
    for name, value in best.params.items():
        print(f"  {name} = {value!r}")
    print(
        f"{len(trials)} trials, {resumed} resumed from checkpoints; {epochs} epochs trained, "
        f"against {len(trials) * args.max_epochs} to train every trial to {args.max_epochs}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
