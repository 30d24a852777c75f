"""Checkpoints in a folder: JSON, bytes, files and folders, replaced atomically, never pickled."""

from __future__ import annotations

from pathlib import Path

import pytest

import rheostat
from rheostat.artifacts import ArtifactStore


def test_json_bytes_file_and_folder_round_trip(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "a")
    assert store.load("s", 0) is None
    store.save("s", 0, {"epoch": 3, "weights": [0.5, 1.5]})
    assert store.load("s", 0) == {"epoch": 3, "weights": [0.5, 1.5]}
    store.save("s", 0, b"\x00\x01binary")
    assert store.load("s", 0) == b"\x00\x01binary"
    model = tmp_path / "model.pt"
    model.write_bytes(b"tensor bytes")
    store.save("s", 0, model)
    loaded = store.load("s", 0)
    assert isinstance(loaded, Path)
    assert loaded.read_bytes() == b"tensor bytes"
    assert loaded != model  # a copy: the original may be overwritten by the next epoch
    folder = tmp_path / "ckpt"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "w.bin").write_bytes(b"w")
    store.save("s", 0, folder)
    copied = store.load("s", 0)
    assert (copied / "sub" / "w.bin").read_bytes() == b"w"


def test_a_save_replaces_the_previous_checkpoint_and_leaves_nothing_aside(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    for epoch in range(5):
        store.save("study one/x", 7, {"epoch": epoch})
    assert store.load("study one/x", 7) == {"epoch": 4}
    trial_folders = list(store.folder("study one/x", 7).parent.iterdir())
    assert [p.name for p in trial_folders] == ["7"]  # no staging or old copies left behind
    store.delete("study one/x", 7)
    assert store.load("study one/x", 7) is None


def test_what_cannot_be_saved_is_a_clear_error(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    with pytest.raises(TypeError, match=r"cannot be stored as JSON.*pathlib\.Path"):
        store.save("s", 0, object())
    with pytest.raises(TypeError, match="cannot be stored as JSON"):
        store.save("s", 0, {"loss": float("nan")})
    with pytest.raises(FileNotFoundError, match="does not exist"):
        store.save("s", 0, tmp_path / "missing.pt")
    assert store.load("s", 0) is None  # a failed save leaves no checkpoint


def test_trial_checkpoint_lives_beside_the_sqlite_file(tmp_path: Path) -> None:
    study = rheostat.create_study(study_name="c", storage=f"sqlite:///{tmp_path / 'c.db'}")
    try:
        trial = study.ask()
        assert trial.checkpoint.load() is None  # a fresh start
        trial.checkpoint.save({"step": 1})
        assert trial.checkpoint.load() == {"step": 1}
        study.tell(trial, 1.0)
        assert (tmp_path / "c.artifacts").is_dir()
        assert ArtifactStore(tmp_path / "c.artifacts").load("c", trial.number) == {"step": 1}
    finally:
        study.storage.close()


def test_explicit_artifact_folder(tmp_path: Path) -> None:
    study = rheostat.create_study(artifacts=tmp_path / "ckpts")
    trial = study.ask()
    trial.checkpoint.save(b"x")
    assert ArtifactStore(tmp_path / "ckpts").load(study.study_name, trial.number) == b"x"
