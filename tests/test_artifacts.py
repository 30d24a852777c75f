"""Checkpoints in a folder or at an fsspec URL: JSON, bytes, files and folders, replaced
atomically, never pickled; the policy that deletes pruned trials' checkpoints."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

import rheostat
from rheostat import TrialState
from rheostat.artifacts import ArtifactStore, Checkpoint
from rheostat.schedulers import ASHA, SuccessiveHalving


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


def test_an_unknown_policy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"policy must be one of \('keep', 'delete_stopped'\)"):
        ArtifactStore("x", policy="delete")


def test_copy_and_fork_take_the_checkpoint_as_it_is_now(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path, policy="delete_stopped")
    assert store.copy("s", 0, 1) is False  # nothing to copy
    store.save("s", 0, {"step": 3})
    child = Checkpoint(store, "s", 5, source=0)
    child._fork()
    store.save("s", 0, {"step": 6})  # the parent trains on...
    store.stopped("s", 0)  # ...and is stopped: its checkpoint goes
    assert store.load("s", 0) is None
    assert child.load() == {"step": 3}


# -- the checkpoint policy on a real folder ------------------------------------------------------


def _training(trial: rheostat.Trial) -> float:
    """Loss falls like 1/step towards a level set by x; saves a checkpoint before each report."""
    x = trial.suggest_float("x", 0.0, 1.0)
    state = trial.checkpoint.load() or {"step": 0}
    budget = int(trial.budget or 9)
    loss = 1.0
    for step in range(state["step"], budget):
        loss = x + 1.0 / (step + 1)
        trial.checkpoint.save({"step": step + 1, "x": x})
        trial.report(loss, step)
        if trial.should_prune():
            raise rheostat.TrialPruned()
    return loss


@pytest.mark.parametrize("policy", ["keep", "delete_stopped"])
def test_policy_on_a_real_folder(tmp_path: Path, policy: str) -> None:
    folder = tmp_path / "ckpts"
    scheduler = ASHA(min_resource=1, max_resource=9, reduction_factor=3, mode="promote")
    study = rheostat.create_study(
        scheduler=scheduler, seed=0, artifacts=ArtifactStore(folder, policy=policy)
    )
    study.optimize(_training, n_trials=12)
    sync = rheostat.create_study(
        study_name="sync",
        scheduler=SuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3),
        seed=0,
        artifacts=ArtifactStore(folder, policy=policy),
    )
    sync.optimize(_training, n_trials=9)  # stops the paused trials a full rung did not promote
    assert {t.state for t in study.trials} == {TrialState.PAUSED, TrialState.COMPLETE}
    assert {t.state for t in sync.trials} == {TrialState.PRUNED, TrialState.COMPLETE}
    for s in (study, sync):
        for t in s.trials:
            saved = ArtifactStore(folder).load(s.study_name, t.number)
            if t.state is TrialState.PRUNED and policy == "delete_stopped":
                assert saved is None
                assert not (folder / s.study_name / str(t.number)).exists()
            else:  # a paused trial keeps its latest checkpoint, a finished one its last
                assert saved == {"step": t.last_step + 1, "x": t.params["x"]}  # type: ignore[operator]


def test_load_study_takes_the_artifact_store_of_its_workers(tmp_path: Path) -> None:
    # A worker that loads the study gives it the same custom store (folder and policy) as the
    # one that created it: it resumes the paused trials from their checkpoints there and
    # applies the policy to the ones it stops.
    url, folder = f"sqlite:///{tmp_path / 's.db'}", tmp_path / "ckpts"
    scheduler = SuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3)
    first = rheostat.create_study(
        study_name="s",
        storage=url,
        scheduler=scheduler,
        seed=0,
        artifacts=ArtifactStore(folder, policy="delete_stopped"),
    )
    first.optimize(_training, n_trials=6)  # six of the bracket's nine wait at the bottom rung
    assert {t.state for t in first.trials} == {TrialState.PAUSED}
    first.storage.close()
    worker = rheostat.load_study(
        "s",
        storage=url,
        scheduler=scheduler,
        artifacts=ArtifactStore(folder, policy="delete_stopped"),
    )
    try:
        worker.optimize(_training, n_trials=3)
        trials = worker.trials
    finally:
        worker.storage.close()
    best = min(trials, key=lambda t: t.params["x"])  # type: ignore[arg-type, return-value]
    assert best.state is TrialState.COMPLETE
    assert sorted(best.intermediate_values) == list(range(9))  # resumed, no step repeated
    assert ArtifactStore(folder).load("s", best.number) == {"step": 9, "x": best.params["x"]}
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    assert len(pruned) == 8
    assert all(not (folder / "s" / str(t.number)).exists() for t in pruned)
    assert not (tmp_path / "s.artifacts").exists()  # not the default folder beside the file


# -- any fsspec URL --------------------------------------------------------------------------------


def _memory_url() -> str:
    pytest.importorskip("fsspec")
    return f"memory://rheostat-tests/{uuid.uuid4().hex}"


def test_fsspec_round_trip_replace_copy_and_delete(tmp_path: Path) -> None:
    import fsspec

    url = _memory_url()
    store = ArtifactStore(url)
    assert repr(store) == f"ArtifactStore({url!r})"
    assert store.load("s", 0) is None
    store.save("s", 0, {"epoch": 3})
    assert store.load("s", 0) == {"epoch": 3}
    store.save("s", 0, b"\x00bin")
    assert store.load("s", 0) == b"\x00bin"
    model = tmp_path / "model.pt"
    model.write_bytes(b"tensor bytes")
    store.save("s", 0, model)
    loaded = store.load("s", 0)
    assert isinstance(loaded, Path) and loaded.read_bytes() == b"tensor bytes"
    folder = tmp_path / "ckpt"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "w.bin").write_bytes(b"w")
    store.save("study one/x", 1, folder)
    copied = store.load("study one/x", 1)
    assert (copied / "sub" / "w.bin").read_bytes() == b"w"
    fs = fsspec.filesystem("memory")
    base = url.removeprefix("memory://")
    names = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(f"/{base}/s/0", detail=False))
    assert len(names) == 2 and "meta.json" in names  # older versions are gone
    assert store.copy("s", 0, 7) is True
    store.save("s", 0, {"epoch": 4})
    assert store.load("s", 7).read_bytes() == b"tensor bytes"
    store.delete("s", 0)
    assert store.load("s", 0) is None
    assert store.copy("s", 0, 8) is False


def test_a_study_resumes_from_checkpoints_at_a_url() -> None:
    url = _memory_url()
    scheduler = SuccessiveHalving(min_resource=1, max_resource=9, reduction_factor=3)
    study = rheostat.create_study(
        scheduler=scheduler, seed=0, artifacts=ArtifactStore(url, policy="delete_stopped")
    )
    study.optimize(_training, n_trials=9)
    best = study.best_trial
    assert sorted(best.intermediate_values) == list(range(9))  # resumed twice, no step repeated
    store = ArtifactStore(url)
    assert store.load(study.study_name, best.number) == {"step": 9, "x": best.params["x"]}
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned and all(store.load(study.study_name, t.number) is None for t in pruned)


def test_a_url_without_fsspec_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    store = ArtifactStore("memory://nowhere")
    with pytest.raises(ImportError, match=r"pip install 'rheostat\[fsspec\]'"):
        store.save("s", 0, {"a": 1})
