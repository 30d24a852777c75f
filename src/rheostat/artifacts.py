"""Checkpoints: what a paused trial needs to resume, kept in a folder, never pickled.

``save`` takes a JSON-representable object, ``bytes``, or the path of a file or folder (such as
``torch.save`` output); ``load`` gives back the object, the bytes, or the path of a copy of the
file or folder. Each save replaces the trial's previous checkpoint atomically (write aside, then
rename), so a crash mid-save leaves the last good checkpoint.

Layout: ``<root>/<study>/<trial number>/`` holding ``checkpoint.json``, ``checkpoint.bin`` or
``checkpoint`` (a copied file or folder), plus ``meta.json`` naming the kind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["ArtifactStore", "Checkpoint"]

_KINDS = {
    "json": "checkpoint.json",
    "bytes": "checkpoint.bin",
    "file": "checkpoint",
    "dir": "checkpoint",
}


def _safe(name: str) -> str:
    """A folder name for a study name (kept readable, made safe)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "study"
    return cleaned[:100]


class ArtifactStore:
    """Checkpoints of a study's trials under one folder. Safe for several processes on a shared
    filesystem: each trial writes only its own folder, and a save is one atomic rename."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ArtifactStore({str(self.root)!r})"

    def folder(self, study: str, number: int) -> Path:
        """The folder of trial ``number``'s checkpoint."""
        return self.root / _safe(study) / str(number)

    def save(self, study: str, number: int, obj: Any) -> str:
        """Replace trial ``number``'s checkpoint with ``obj``; return its kind."""
        data: bytes = b""
        source: Path | None = None
        if isinstance(obj, (bytes, bytearray, memoryview)):
            kind, data = "bytes", bytes(obj)
        elif isinstance(obj, os.PathLike):
            source = Path(obj)
            if not source.exists():
                raise FileNotFoundError(
                    f"checkpoint.save: {str(source)!r} does not exist; save the file first, or "
                    "pass the object itself"
                )
            kind = "dir" if source.is_dir() else "file"
        else:
            try:
                data = json.dumps(obj, allow_nan=False).encode()
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"checkpoint.save: {type(obj).__name__} cannot be stored as JSON ({exc}); "
                    "save a dict of numbers and lists, bytes, or write the checkpoint to a file "
                    "(e.g. torch.save(state, 'ckpt.pt')) and pass its pathlib.Path"
                ) from None
            kind = "json"
        target = self.folder(study, number)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{number}-", dir=target.parent))
        try:
            dest = staging / _KINDS[kind]
            if source is not None and kind == "dir":
                shutil.copytree(source, dest)
            elif source is not None:
                shutil.copyfile(source, dest)
            else:
                dest.write_bytes(data)
            (staging / "meta.json").write_text(json.dumps({"kind": kind}))
            old = None
            if target.exists():
                old = target.with_name(f".{number}-old-{os.getpid()}")
                os.replace(target, old)
            os.replace(staging, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return kind

    def load(self, study: str, number: int) -> Any:
        """Trial ``number``'s checkpoint as saved, or ``None`` if it has none."""
        target = self.folder(study, number)
        meta = target / "meta.json"
        if not meta.exists():
            return None
        kind = json.loads(meta.read_text())["kind"]
        path = target / _KINDS[kind]
        if kind == "json":
            return json.loads(path.read_text())
        if kind == "bytes":
            return path.read_bytes()
        return path

    def delete(self, study: str, number: int) -> None:
        """Remove trial ``number``'s checkpoint (nothing if it has none)."""
        shutil.rmtree(self.folder(study, number), ignore_errors=True)


class Checkpoint:
    """``trial.checkpoint``: save and load this trial's checkpoint.

    ``load()`` gives ``None`` on a fresh start; a resumed trial gets its own last checkpoint, and
    a trial started from another one (population-based training) gets that trial's.
    """

    def __init__(self, store: ArtifactStore, study: str, number: int, source: int | None) -> None:
        self._store = store
        self._study = study
        self._number = number
        self._source = source

    def save(self, obj: Any) -> None:
        """Save ``obj`` (JSON-representable data, bytes, or a file or folder path)."""
        self._store.save(self._study, self._number, obj)
        self._source = self._number

    def load(self) -> Any:
        """The last checkpoint saved for this trial (or the one it starts from), or ``None``."""
        if self._source is None:
            return None
        return self._store.load(self._study, self._source)
