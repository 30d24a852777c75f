"""Checkpoints at any fsspec URL (``s3://…``, ``gs://…``, ``memory://…``): ``ArtifactStore``'s
backend when its root is a URL. Needs ``pip install 'rheostat[fsspec]'``.

Object stores have no atomic rename of a folder, so each save goes to a fresh version folder
and then one small pointer file names it; a crash mid-save leaves the pointer on the last good
version. Layout: ``<url>/<study>/<trial number>/meta.json`` (``{"kind", "version"}``) beside
``<version>/checkpoint.json``, ``checkpoint.bin`` or ``checkpoint`` (a file or folder). Older
versions are removed after the pointer moves. Files and folders are downloaded into a local
cache folder when loaded, once per version.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

__all__ = ["RemoteArtifacts"]

_KINDS = {
    "json": "checkpoint.json",
    "bytes": "checkpoint.bin",
    "file": "checkpoint",
    "dir": "checkpoint",
}


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise ImportError(
            f"ArtifactStore({url!r}) needs fsspec for URLs: pip install 'rheostat[fsspec]'"
        ) from None
    fs, path = fsspec.core.url_to_fs(url)
    return fs, path.rstrip("/")


class RemoteArtifacts:
    """Save, load, copy and delete checkpoints under an fsspec URL (see the module)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.fs, self.base = _filesystem(url)
        self._cache: Path | None = None

    def _dir(self, study: str, number: int) -> str:
        return f"{self.base}/{study}/{number}"

    def _meta(self, study: str, number: int) -> dict[str, str] | None:
        try:
            raw = self.fs.cat_file(f"{self._dir(study, number)}/meta.json")
        except FileNotFoundError:
            return None
        meta: dict[str, str] = json.loads(raw)
        return meta

    def _point(self, study: str, number: int, kind: str, version: str) -> None:
        """Move the pointer to ``version``, then remove every other version."""
        folder = self._dir(study, number)
        self.fs.pipe_file(
            f"{folder}/meta.json", json.dumps({"kind": kind, "version": version}).encode()
        )
        for entry in self.fs.ls(folder, detail=False):
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name not in ("meta.json", version):
                self.fs.rm(entry, recursive=True)

    def save(self, study: str, number: int, kind: str, data: bytes, source: Path | None) -> None:
        """Write a new version of trial ``number``'s checkpoint and point to it."""
        version = f"v-{uuid.uuid4().hex}"
        dest = f"{self._dir(study, number)}/{version}/{_KINDS[kind]}"
        if source is None:
            self.fs.pipe_file(dest, data)
        elif kind == "dir":
            self.fs.put(str(source), dest, recursive=True)
        else:
            self.fs.put_file(str(source), dest)
        self._point(study, number, kind, version)

    def load(self, study: str, number: int) -> Any:
        """The checkpoint as saved; a file or folder as a local path (a downloaded copy)."""
        meta = self._meta(study, number)
        if meta is None:
            return None
        kind, version = meta["kind"], meta["version"]
        remote = f"{self._dir(study, number)}/{version}/{_KINDS[kind]}"
        if kind == "json":
            return json.loads(self.fs.cat_file(remote))
        if kind == "bytes":
            return bytes(self.fs.cat_file(remote))
        if self._cache is None:
            self._cache = Path(tempfile.mkdtemp(prefix="rheostat-checkpoints-"))
        local = self._cache / study / str(number) / version / _KINDS[kind]
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            if kind == "dir":
                self.fs.get(remote, str(local), recursive=True)
            else:
                self.fs.get_file(remote, str(local))
        return local

    def copy(self, study: str, source: int, number: int) -> bool:
        """Make ``source``'s checkpoint ``number``'s too; ``False`` when it has none."""
        meta = self._meta(study, source)
        if meta is None:
            return False
        version = f"v-{uuid.uuid4().hex}"
        self.fs.copy(
            f"{self._dir(study, source)}/{meta['version']}",
            f"{self._dir(study, number)}/{version}",
            recursive=True,
        )
        self._point(study, number, meta["kind"], version)
        return True

    def delete(self, study: str, number: int) -> None:
        """Remove trial ``number``'s checkpoint (nothing if it has none)."""
        folder = self._dir(study, number)
        if self.fs.exists(folder):
            self.fs.rm(folder, recursive=True)
