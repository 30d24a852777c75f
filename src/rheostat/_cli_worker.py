"""``rheostat worker``: run the worker loop against a shared study, for any job system.

::

    rheostat worker STUDY --storage URL --objective MODULE:FUNCTION [--n-trials N] [--timeout S]

Start as many as you like, at once, on as many machines as reach the storage (SLURM arrays,
Kubernetes jobs, ``&`` in a shell). ``--n-trials N`` is the study's total: each worker takes new
trials until the study holds ``N`` trials, so workers together start exactly ``N``. A trial whose
objective raises is recorded ``FAILED`` with its traceback and the worker goes on.
``rheostat.cli`` wires the verb in.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rheostat.storage import Storage
from rheostat.study._worker import run_worker

__all__ = ["add_worker_verb", "cmd_worker", "import_objective"]


def import_objective(spec: str) -> Callable[..., Any]:
    """The function named by ``MODULE:FUNCTION`` or ``path/to/file.py:FUNCTION``.

    A module is imported with the current directory on the path. ``ValueError`` with the fix
    when the spec, the module or the function is wrong.
    """
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise ValueError(
            f"--objective {spec!r}: use MODULE:FUNCTION (e.g. train:objective) or "
            "path/to/file.py:FUNCTION"
        )
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = Path(where)
        if not path.is_file():
            raise ValueError(f"--objective {spec!r}: there is no file {where!r}; check the path")
        module_name = f"_rheostat_objective_{path.stem}"
        loader_spec = importlib.util.spec_from_file_location(module_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ValueError(f"--objective {spec!r}: {where!r} is not a Python file")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[module_name] = module  # so pickling and dataclasses find it
        sys.path.insert(0, str(path.resolve().parent))  # its own imports of neighbours
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[module_name]
            raise ValueError(
                f"--objective {spec!r}: importing {where!r} failed: {type(exc).__name__}: {exc}"
            ) from None
    else:
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except Exception as exc:
            raise ValueError(
                f"--objective {spec!r}: cannot import module {where!r}: {type(exc).__name__}: "
                f"{exc}; run from the folder that holds it, or pass path/to/file.py:{name}"
            ) from None
    function = getattr(module, name, None)
    if function is None:
        raise ValueError(f"--objective {spec!r}: {where!r} has no function {name!r}")
    if not callable(function):
        raise ValueError(
            f"--objective {spec!r}: {name} in {where!r} is {function!r} "
            f"({type(function).__name__}), not a function"
        )
    return function  # type: ignore[no-any-return]


def _positive(kind: type[int] | type[float]) -> Callable[[str], Any]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__} > 0, got {text!r}")
        return value

    return parse


def cmd_worker(args: argparse.Namespace, storage: Storage) -> int:
    """Run trials of ``args.study`` until its total reaches ``--n-trials`` or time is up."""
    objective = import_objective(args.objective)
    try:
        finished = run_worker(
            args.study,
            storage,
            objective,
            max_number=args.n_trials,
            timeout=args.timeout,
            catch=(Exception,),
        )
    except KeyboardInterrupt:
        sys.stderr.write("rheostat: worker interrupted; its running trial is recorded FAILED\n")
        return 130
    sys.stderr.write(f"rheostat: worker finished {finished} trials of study {args.study!r}\n")
    return 0


def add_worker_verb(verbs: Any) -> argparse.ArgumentParser:
    """Add ``worker`` to the sub-command parsers ``verbs``."""
    help_ = "run trials of a shared study: start several, on any machines"
    p: argparse.ArgumentParser = verbs.add_parser("worker", help=help_, description=help_)
    p.add_argument("study", metavar="STUDY", help="the study's name (create it first)")
    p.add_argument("--storage", metavar="URL", help="e.g. postgresql://user@host/db")
    p.add_argument(
        "--objective",
        required=True,
        metavar="MODULE:FUNCTION",
        help="the objective: module.path:function or path/to/file.py:function",
    )
    p.add_argument(
        "--n-trials",
        type=_positive(int),
        metavar="N",
        help="stop when the study holds N trials (shared by all workers); default: no limit",
    )
    p.add_argument(
        "--timeout",
        type=_positive(float),
        metavar="S",
        help="start no new trial after S seconds",
    )
    p.set_defaults(run=cmd_worker)
    return p
