"""Rows and renderings for the command line: aligned text tables, CSV and JSON.

Pure functions of trial records; ``rheostat.cli`` does the I/O.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from rheostat.trial import Direction, TrialRecord

__all__ = [
    "best_object",
    "cell",
    "export_object",
    "iso_time",
    "render_csv",
    "render_json",
    "render_table",
    "summary_object",
    "trial_rows",
]

Row = dict[str, Any]


def iso_time(t: float | None) -> str | None:
    """A local time ``YYYY-MM-DD HH:MM:SS`` for an epoch time, or ``None``."""
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def _first_line(message: str | None) -> str | None:
    return message.strip().splitlines()[0] if message and message.strip() else None


def _value_columns(record: TrialRecord, n_objectives: int) -> Row:
    if n_objectives == 1:
        return {"value": record.values[0] if record.values else None}
    return {f"values_{i}": record.values[i] if record.values else None for i in range(n_objectives)}


def trial_rows(
    trials: Sequence[TrialRecord], directions: Sequence[Direction], *, full: bool = False
) -> tuple[list[str], list[Row]]:
    """Flat rows, one per trial: number, state, value(s), duration, ``params_*`` and message.

    ``full`` adds start and end times and ``user_attrs_*`` and keeps the whole message. Returns
    the column names (the union over all trials, parameters sorted) and the rows.
    """
    params = sorted({name for t in trials for name in t.params})
    attrs = sorted({name for t in trials for name in t.user_attrs}) if full else []
    rows: list[Row] = []
    for t in trials:
        row: Row = {"number": t.number, "state": t.state.value}
        row.update(_value_columns(t, len(directions)))
        if full:
            row["datetime_start"] = iso_time(t.datetime_start)
            row["datetime_complete"] = iso_time(t.datetime_complete)
        row["duration"] = t.duration
        row.update({f"params_{p}": t.params.get(p) for p in params})
        row.update({f"user_attrs_{a}": t.user_attrs.get(a) for a in attrs})
        row["message"] = t.message if full else _first_line(t.message)
        rows.append(row)
    columns = list(rows[0]) if rows else ["number", "state", "value", "duration", "message"]
    return columns, rows


def _finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by ``None``, so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def export_object(record: TrialRecord) -> Row:
    """Every field of a ``TrialRecord`` as JSON-representable data (epoch-second times)."""
    return {
        "number": record.number,
        "state": record.state.value,
        "values": record.values,
        "params": dict(record.params),
        "distributions": {k: d.to_json() for k, d in record.distributions.items()},
        "intermediate_values": {str(k): v for k, v in sorted(record.intermediate_values.items())},
        "user_attrs": dict(record.user_attrs),
        "system_attrs": dict(record.system_attrs),
        "datetime_start": record.datetime_start,
        "datetime_complete": record.datetime_complete,
        "duration": record.duration,
        "worker_id": record.worker_id,
        "last_heartbeat": record.last_heartbeat,
        "budget": record.budget,
        "parent": record.parent,
        "message": record.message,
    }


def summary_object(record: TrialRecord) -> Row:
    """What ``rheostat trials --format json`` shows of one trial (the message's first line)."""
    return {
        "number": record.number,
        "state": record.state.value,
        "values": record.values,
        "duration": record.duration,
        "params": dict(record.params),
        "message": _first_line(record.message),
    }


def best_object(record: TrialRecord) -> Row:
    """What ``rheostat best`` shows of one trial."""
    return {
        "number": record.number,
        "values": record.values,
        "params": dict(record.params),
        "user_attrs": dict(record.user_attrs),
    }


def render_json(obj: Any) -> str:
    """Indented standard JSON (NaN and infinities become ``null``)."""
    return json.dumps(_finite(obj), indent=2, allow_nan=False, default=str) + "\n"


def render_csv(columns: Sequence[str], rows: Sequence[Row]) -> str:
    """CSV with a header; ``None`` is an empty cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def cell(value: Any) -> str:
    """A short text form of one value for a table."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def render_table(columns: Sequence[str], rows: Sequence[Row]) -> str:
    """A plain text table: a header, a rule, and left-aligned columns (numbers right-aligned)."""
    texts = [[cell(r.get(c)).replace("\n", " ") for c in columns] for r in rows]
    widths = [max([len(c), *(len(t[i]) for t in texts)]) for i, c in enumerate(columns)]
    numeric = [
        all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows) and bool(rows)
        for c in columns
    ]

    def line(items: Sequence[str]) -> str:
        parts = [
            s.rjust(w) if num else s.ljust(w)
            for s, w, num in zip(items, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), line(["-" * w for w in widths])]
    out += [line(t) for t in texts]
    return "\n".join(out) + "\n"
