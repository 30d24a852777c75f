"""The ``rheostat`` command line: list studies and trials, show the best, export.

::

    rheostat studies --storage sqlite:///study.db
    rheostat trials STUDY [--format table|csv|json] [--state complete]
    rheostat best STUDY [--format table|json]
    rheostat export STUDY --format csv|json [-o FILE]
    rheostat doctor STUDY [--format table|json]
    rheostat importance STUDY [--format table|json]
    rheostat plan --params N --budget-hours H --minutes-per-trial M [--grid-size K] [--reports]
    rheostat worker STUDY --objective MODULE:FUNCTION [--n-trials N] [--timeout S]

``--storage`` defaults to the environment variable ``RHEOSTAT_STORAGE``. An error prints one line,
``rheostat: error: ...``, to stderr and exits with status 2; ``best`` exits with 1 when the study
has no completed trial. A password in a storage URL is never printed.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from rheostat import RheostatError, Study, TrialRecord, TrialState, __version__, load_study
from rheostat._cli_analysis import add_plan_verb, cmd_doctor, cmd_importance
from rheostat._cli_format import (
    best_object,
    export_object,
    iso_time,
    render_csv,
    render_json,
    render_table,
    summary_object,
    trial_rows,
)
from rheostat._cli_worker import add_worker_verb
from rheostat.storage import Storage, open_storage

__all__ = ["main"]

ENV_STORAGE = "RHEOSTAT_STORAGE"
_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")
_SQLITE_FILE = re.compile(r"sqlite(?:\+\w+)?:///([^?]*)")
_STUDY_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.RUNNING)


class _UsageError(Exception):
    """Bad input on the command line: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see rheostat --help)")


def _mask(text: str) -> str:
    """``text`` with the password of any URL in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1***@", text)


def _state(text: str) -> TrialState:
    try:
        return TrialState(text.upper())
    except ValueError:
        known = ", ".join(s.value.lower() for s in TrialState)
        raise argparse.ArgumentTypeError(f"unknown state {text!r}; use one of {known}") from None


def _open(url: str | None) -> Storage:
    url = url or os.environ.get(ENV_STORAGE)
    if not url:
        raise _UsageError(
            f"no storage given; pass --storage URL (e.g. --storage sqlite:///study.db) or set "
            f"{ENV_STORAGE}"
        )
    match = _SQLITE_FILE.match(url)
    if match and match.group(1) not in ("", ":memory:") and not os.path.exists(match.group(1)):
        raise _UsageError(
            f"storage {url}: there is no file {match.group(1)!r}; check the path "
            "(sqlite:///relative.db, or four slashes for an absolute path)"
        )
    try:
        return open_storage(url)
    except Exception as exc:  # any failure to open the storage is reported as the URL's
        message = _mask(str(exc))
        if _mask(url) not in message:
            message = f"cannot open storage {url}: {message}"
        if isinstance(exc, ImportError):
            message += "; install the database driver"
        raise _UsageError(message) from None


def _out(text: str, path: str | None = None) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def _counts(trials: Sequence[TrialRecord]) -> collections.Counter[TrialState]:
    return collections.Counter(t.state for t in trials)


def _best_cell(study: Study, trials: Sequence[TrialRecord]) -> Any:
    if not _counts(trials)[TrialState.COMPLETE]:
        return None
    if len(study.directions) > 1:
        return f"front of {len(study.best_trials)}"
    return study.best_value


def _sampler_cell(attrs: Mapping[str, Any], *, why: bool = False) -> str | None:
    """The sampler a study runs, and for ``AutoSampler`` what it chose (and, with ``why``, the
    reason and the trial it switched at): ``"AutoSampler(gp)"``."""
    info = attrs.get("sampler")
    name = info.get("type") if isinstance(info, Mapping) else None
    choice = attrs.get("sampler_choice")
    if not isinstance(choice, Mapping):
        return str(name) if name else None
    text = f"{name or 'sampler'}({choice.get('sampler')})"
    if why:
        text += f" since trial {choice.get('from_trial')} ({choice.get('reason')})"
    return text


# -- verbs ---------------------------------------------------------------------------------------


def _cmd_studies(args: argparse.Namespace, storage: Storage) -> int:
    rows = []
    for info in storage.list_studies():
        study = load_study(info.name, storage)
        trials = study.trials
        counts = _counts(trials)
        rows.append(
            {
                "name": info.name,
                "directions": ",".join(d.value for d in info.directions),
                "trials": len(trials),
                **{s.value.lower(): counts[s] for s in _STUDY_STATES},
                "best": _best_cell(study, trials),
                "sampler": _sampler_cell(study.system_attrs),
                "created": iso_time(info.created_at),
            }
        )
    columns = [
        "name",
        "directions",
        "trials",
        *(s.value.lower() for s in _STUDY_STATES),
        "best",
        "sampler",
        "created",
    ]
    if args.format == "json":
        _out(render_json(rows))
    elif args.format == "csv":
        _out(render_csv(columns, rows))
    elif not rows:
        _out(f"no studies in {storage.url}\n")
    else:
        _out(render_table(columns, rows))
    return 0


def _cmd_trials(args: argparse.Namespace, storage: Storage) -> int:
    study = load_study(args.study, storage)
    trials = study.get_trials(args.state) if args.state else study.trials
    columns, rows = trial_rows(trials, study.directions)
    if args.format == "json":
        _out(render_json([summary_object(t) for t in trials]))
    elif args.format == "csv":
        _out(render_csv(columns, rows))
    elif not rows:
        which = " or ".join(s.value for s in args.state) if args.state else "any"
        _out(f"study {study.study_name!r} has no trials in state {which}\n")
    else:
        _out(render_table(columns, rows))
    return 0


def _cmd_best(args: argparse.Namespace, storage: Storage) -> int:
    study = load_study(args.study, storage)
    multi = len(study.directions) > 1
    if multi:
        front = study.best_trials
    else:
        front = [study.best_trial] if study.get_trials((TrialState.COMPLETE,)) else []
    if not front:
        counts = _counts(study.trials)
        seen = ", ".join(f"{n} {s.value.lower()}" for s, n in counts.items()) or "no trials"
        sys.stderr.write(
            f"rheostat: study {study.study_name!r} has no completed trial yet ({seen})\n"
        )
        return 1
    directions = [d.value for d in study.directions]
    attrs = study.system_attrs
    if args.format == "json":
        head = {
            "study": study.study_name,
            "directions": directions,
            "sampler": attrs.get("sampler"),
            "sampler_choice": attrs.get("sampler_choice"),
        }
        if multi:
            _out(render_json({**head, "pareto_front": [best_object(t) for t in front]}))
        else:
            _out(render_json({**head, "value": front[0].value, **best_object(front[0])}))
    elif multi:
        columns, rows = trial_rows(front, study.directions)
        columns = [c for c in columns if c not in ("state", "duration", "message")]
        _out(
            f"Pareto front of study {study.study_name!r} ({', '.join(directions)}): "
            f"{len(front)} trials\n" + render_table(columns, rows)
        )
    else:
        best = front[0]
        pairs: list[tuple[str, Any]] = [
            ("study", study.study_name),
            ("direction", directions[0]),
            ("number", best.number),
            ("value", best.value),
        ]
        pairs += [(f"params.{k}", v) for k, v in best.params.items()]
        pairs += [(f"user_attrs.{k}", v) for k, v in best.user_attrs.items()]
        sampler = _sampler_cell(attrs, why=True)
        if sampler:
            pairs.append(("sampler", sampler))
        width = max(len(k) for k, _ in pairs)
        _out("".join(f"{k.ljust(width)}  {_plain(v)}\n" for k, v in pairs))
    return 0


def _plain(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _cmd_export(args: argparse.Namespace, storage: Storage) -> int:
    study = load_study(args.study, storage)
    trials = study.trials
    if args.format == "json":
        text = render_json([export_object(t) for t in trials])
    else:
        text = render_csv(*trial_rows(trials, study.directions, full=True))
    _out(text, args.output)
    if args.output is not None:
        sys.stderr.write(f"wrote {len(trials)} trials of {study.study_name!r} to {args.output}\n")
    return 0


# -- parser and entry point ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rheostat",
        description="Inspect and export rheostat studies.",
        epilog=f"--storage defaults to the environment variable {ENV_STORAGE}.",
    )
    parser.add_argument("--version", action="version", version=f"rheostat {__version__}")
    verbs = parser.add_subparsers(dest="command", metavar="COMMAND")

    def verb(
        name: str,
        run: Callable[[argparse.Namespace, Storage], int],
        help_: str,
        formats: tuple[str, ...],
        study: bool = True,
    ) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help_, description=help_)
        if study:
            p.add_argument("study", metavar="STUDY", help="the study's name")
        p.add_argument("--storage", metavar="URL", help="e.g. sqlite:///study.db")
        required = name == "export"
        p.add_argument(
            "--format", choices=formats, default=None if required else formats[0], required=required
        )
        p.set_defaults(run=run)
        return p

    verb(
        "studies",
        _cmd_studies,
        "list the studies: trials by state, best value, created",
        ("table", "csv", "json"),
        study=False,
    )
    trials = verb("trials", _cmd_trials, "one row per trial", ("table", "csv", "json"))
    trials.add_argument(
        "--state",
        type=_state,
        action="append",
        metavar="STATE",
        help="only trials in this state (repeat for several)",
    )
    verb("best", _cmd_best, "the best trial, or the Pareto front", ("table", "json"))
    export = verb("export", _cmd_export, "every field of every trial", ("csv", "json"))
    export.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")
    verb("doctor", cmd_doctor, "check a study: findings with evidence and a fix", ("table", "json"))
    verb("importance", cmd_importance, "each parameter's share of the variance", ("table", "json"))
    add_plan_verb(verbs)
    add_worker_verb(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        if getattr(args, "offline", False):  # plan needs no storage
            return int(args.run(args))
        storage = _open(args.storage)
        try:
            status: int = args.run(args, storage)
            return status
        finally:
            storage.close()
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (_UsageError, RheostatError, ValueError, OSError) as exc:
        if isinstance(exc, BrokenPipeError):  # e.g. `rheostat trials s | head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        sys.stderr.write(f"rheostat: error: {_mask(str(exc))}\n")
        return 2
