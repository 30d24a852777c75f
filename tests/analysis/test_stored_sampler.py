"""A study remembers which sampler ran it, so a later reader's doctor can judge a grid."""

from __future__ import annotations

from pathlib import Path

import rheostat
from rheostat.samplers import GridSampler


def test_doctor_of_a_loaded_study_sees_the_grid_it_ran_with(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    grid = GridSampler({f"p{i}": [0, 1, 2, 3] for i in range(6)})  # 4^6 = 4096 points
    study = rheostat.create_study(study_name="g", storage=url, sampler=grid, seed=0)
    study.optimize(lambda t: sum(t.suggest_int(f"p{i}", 0, 3) for i in range(6)), n_trials=30)
    study.storage.close()

    loaded = rheostat.load_study("g", url)  # no sampler given: the stored GridSampler
    try:
        assert loaded.system_attrs["sampler"]["type"] == "GridSampler"
        codes = {f.code for f in loaded.doctor()}
        assert "grid-too-large" in codes
        again = rheostat.load_study("g", url, sampler=rheostat.samplers.RandomSampler())
        assert "grid-too-large" not in {f.code for f in again.doctor()}
        again.storage.close()
    finally:
        loaded.storage.close()
