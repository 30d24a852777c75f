"""The trials of a study as a pandas DataFrame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rheostat.trial import Direction, TrialRecord

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["trials_dataframe"]


def trials_dataframe(
    trials: Sequence[TrialRecord], directions: Sequence[Direction]
) -> pd.DataFrame:
    """One row per trial: number, state, value(s), times, ``params_*`` and ``user_attrs_*``."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("trials_dataframe needs pandas: pip install 'rheostat[pandas]'") from None
    rows: list[dict[str, Any]] = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.value}
        if len(directions) == 1:
            row["value"] = t.values[0] if t.values else None
        else:
            for i in range(len(directions)):
                row[f"values_{i}"] = t.values[i] if t.values else None
        row["datetime_start"] = t.datetime_start
        row["datetime_complete"] = t.datetime_complete
        row["duration"] = t.duration
        for k, v in t.params.items():
            row[f"params_{k}"] = v
        for k, v in t.user_attrs.items():
            row[f"user_attrs_{k}"] = v
        row["message"] = t.message
        rows.append(row)
    return pd.DataFrame(rows)
