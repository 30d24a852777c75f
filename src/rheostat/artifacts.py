"""Checkpoints: what a paused trial needs to resume, kept in a folder, never pickled.

``save`` takes a JSON-representable object, ``bytes``, or the path of a file or folder (such as
``torch.save`` output); ``load`` gives back the object, the bytes, or the path of a copy of the
file or folder. Each save replaces the trial's previous checkpoint atomically, so a crash
mid-save leaves the last good checkpoint: a paused trial keeps its latest checkpoint and a
finished one its last.

Where: a local folder, or any fsspec URL (``s3://bucket/ckpts``, ``memory://ckpts``…; needs
``pip install 'rheostat[fsspec]'``). Layout of a local folder: ``<root>/<study>/<trial
number>/`` holding ``checkpoint.json``, ``checkpoint.bin`` or ``checkpoint`` (a copied file or
folder), plus ``meta.json`` naming the kind; see ``rheostat._artifacts_fsspec`` for URLs.

Policy: ``policy="keep"`` (the default) keeps every trial's checkpoint; ``"delete_stopped"``
deletes a trial's checkpoint when the study stops it (``PRUNED``): pruned trials are never
resumed, and their checkpoints are often most of the disk a study uses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rheostat._artifacts_fsspec import RemoteArtifacts

__all__ = ["ArtifactStore", "Checkpoint"]

POLICIES = ("keep", "delete_stopped")

KINDS = {
    "json": "checkpoint.json",
    "bytes": "checkpoint.bin",
    "file": "checkpoint",
    "dir": "checkpoint",
}


def safe_name(name: str) -> str:
    """A folder name for a study name (kept readable, made safe)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "study"
    return cleaned[:100]


def encode(obj: Any) -> tuple[str, bytes, Path | None]:
    """``(kind, data, source)`` for what ``save`` was given: JSON or bytes as ``data``, a file
    or folder as ``source``; ``TypeError`` or ``FileNotFoundError`` for what cannot be saved."""
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return "bytes", bytes(obj), None
    if isinstance(obj, os.PathLike):
        source = Path(obj)
        if not source.exists():
            raise FileNotFoundError(
                f"checkpoint.save: {str(source)!r} does not exist; save the file first, or "
                "pass the object itself"
            )
        return ("dir" if source.is_dir() else "file"), b"", source
    try:
        data = json.dumps(obj, allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"checkpoint.save: {type(obj).__name__} cannot be stored as JSON ({exc}); "
            "save a dict of numbers and lists, bytes, or write the checkpoint to a file "
            "(e.g. torch.save(state, 'ckpt.pt')) and pass its pathlib.Path"
        ) from None
    return "json", data, None


class ArtifactStore:
    """Checkpoints of a study's trials under one folder or fsspec URL.

    Safe for several processes on a shared filesystem: each trial writes only its own folder,
    and a save is one atomic rename (on a URL: one write of a small pointer file). ``policy``
    is ``"keep"`` or ``"delete_stopped"`` (see the module). Give one to a study with
    ``create_study(artifacts=ArtifactStore("ckpts", policy="delete_stopped"))``.

    >>> ArtifactStore("ckpts", policy="delete_stopped")
    ArtifactStore('ckpts', policy='delete_stopped')
    """

    def __init__(self, root: str | os.PathLike[str], *, policy: str = "keep") -> None:
        if policy not in POLICIES:
            raise ValueError(f"ArtifactStore: policy must be one of {POLICIES}, got {policy!r}")
        self.policy = policy
        text = os.fspath(root)
        self.url = text if "://" in text else None
        self.root = Path(text)  # a local folder (when ``url`` is None)
        self._remote: RemoteArtifacts | None = None

    def __repr__(self) -> str:
        where = self.url if self.url is not None else str(self.root)
        policy = "" if self.policy == "keep" else f", policy={self.policy!r}"
        return f"ArtifactStore({where!r}{policy})"

    def _fsspec(self) -> RemoteArtifacts | None:
        if self.url is None:
            return None
        if self._remote is None:
            from rheostat._artifacts_fsspec import RemoteArtifacts

            self._remote = RemoteArtifacts(self.url)
        return self._remote

    def folder(self, study: str, number: int) -> Path:
        """The local folder of trial ``number``'s checkpoint (of a store on a local folder)."""
        return self.root / safe_name(study) / str(number)

    def save(self, study: str, number: int, obj: Any) -> str:
        """Replace trial ``number``'s checkpoint with ``obj``; return its kind."""
        kind, data, source = encode(obj)
        remote = self._fsspec()
        if remote is not None:
            remote.save(safe_name(study), number, kind, data, source)
            return kind
        target = self.folder(study, number)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{number}-", dir=target.parent))
        try:
            dest = staging / KINDS[kind]
            if source is not None and kind == "dir":
                shutil.copytree(source, dest)
            elif source is not None:
                shutil.copyfile(source, dest)
            else:
                dest.write_bytes(data)
            (staging / "meta.json").write_text(json.dumps({"kind": kind}))
            self._swap_in(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return kind

    def _swap_in(self, staging: Path, target: Path) -> None:
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}-old-{os.getpid()}-{os.urandom(3).hex()}")
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def load(self, study: str, number: int) -> Any:
        """Trial ``number``'s checkpoint as saved, or ``None`` if it has none. A file or folder
        comes back as a local path (a copy: downloaded first from a URL)."""
        remote = self._fsspec()
        if remote is not None:
            return remote.load(safe_name(study), number)
        target = self.folder(study, number)
        meta = target / "meta.json"
        if not meta.exists():
            return None
        kind = json.loads(meta.read_text())["kind"]
        path = target / KINDS[kind]
        if kind == "json":
            return json.loads(path.read_text())
        if kind == "bytes":
            return path.read_bytes()
        return path

    def copy(self, study: str, source: int, number: int) -> bool:
        """Make trial ``source``'s checkpoint trial ``number``'s too (a copy, replacing any it
        had); ``False`` when ``source`` has none."""
        remote = self._fsspec()
        if remote is not None:
            return remote.copy(safe_name(study), source, number)
        origin = self.folder(study, source)
        target = self.folder(study, number)
        for _attempt in range(3):  # the source may be replaced by a save meanwhile: retry
            if not (origin / "meta.json").exists():
                return False
            staging = Path(tempfile.mkdtemp(prefix=f".{number}-", dir=origin.parent))
            try:
                shutil.copytree(origin, staging, dirs_exist_ok=True)
                self._swap_in(staging, target)
                return True
            except (FileNotFoundError, shutil.Error):
                continue
            finally:
                if staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
        return False

    def delete(self, study: str, number: int) -> None:
        """Remove trial ``number``'s checkpoint (nothing if it has none)."""
        remote = self._fsspec()
        if remote is not None:
            remote.delete(safe_name(study), number)
            return
        shutil.rmtree(self.folder(study, number), ignore_errors=True)

    def stopped(self, study: str, number: int) -> None:
        """Apply the policy to trial ``number``, which the study just stopped (``PRUNED``)."""
        if self.policy == "delete_stopped":
            self.delete(study, number)


class Checkpoint:
    """``trial.checkpoint``: save and load this trial's checkpoint.

    ``load()`` gives ``None`` on a fresh start; a resumed trial gets its own last checkpoint, and
    a trial started from another one (population-based training) gets a copy of that trial's
    checkpoint as it was when this trial started.
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

    def _fork(self) -> None:
        """Copy the checkpoint this trial starts from into its own, now: later saves of the
        source trial, or its deletion by policy, no longer change what ``load`` gives."""
        if self._source is not None and self._source != self._number:
            self._store.copy(self._study, self._source, self._number)
            self._source = self._number
