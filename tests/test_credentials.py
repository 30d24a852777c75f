"""Credentials audit: a password in a PostgreSQL URL never shows in the CLI's output, in logs, or
in the library's exceptions, whether the password is right or wrong (private server, where the
role ``rheostat_pw`` must log in with a password)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import rheostat
from rheostat.cli import _parser, main
from rheostat.storage import open_storage

PASSWORD = "pw-Audit-7Hq2-secret"
WRONG = "wrong-Audit-Zz9-guess"
SECRETS = (PASSWORD, WRONG)


def _admin(url: str, statement: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def urls(postgres_url: str, postgres_db: str) -> tuple[str, str]:
    """(good, wrong): URLs of the role ``rheostat_pw`` with its password and a wrong one, on a
    database holding a small study ``tune``."""
    _admin(
        postgres_url,
        f"DO $$ BEGIN CREATE ROLE rheostat_pw LOGIN PASSWORD '{PASSWORD}'; "
        f"EXCEPTION WHEN duplicate_object THEN ALTER ROLE rheostat_pw PASSWORD '{PASSWORD}'; "
        "END $$",
    )
    db = sa.make_url(postgres_db).database
    _admin(postgres_url, f"ALTER DATABASE {db} OWNER TO rheostat_pw")
    good = sa.make_url(postgres_db).set(username="rheostat_pw", password=PASSWORD)
    good_url = good.render_as_string(hide_password=False)
    study = rheostat.create_study(study_name="tune", storage=good_url, seed=1)
    try:
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 5), n_trials=12)
    finally:
        study.storage.close()
    return good_url, good.set(password=WRONG).render_as_string(hide_password=False)


def _clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a password shows in {where}:\n{text[-2000:]}"


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__]


def test_no_cli_verb_shows_the_password(
    urls: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good, wrong = urls
    objective = tmp_path / "obj.py"
    objective.write_text("def f(trial):\n    return trial.suggest_float('x', 0, 1)\n")
    argvs = {
        "studies": ["studies"],
        "trials": ["trials", "tune"],
        "best": ["best", "tune"],
        "export": ["export", "tune", "--format", "json"],
        "doctor": ["doctor", "tune"],
        "importance": ["importance", "tune"],
        "worker": ["worker", "tune", "--objective", f"{objective}:f", "--n-trials", "14"],
    }
    verbs = _parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    offline = {"plan"}  # needs no storage
    assert set(verbs) - offline == set(argvs), "a CLI verb is missing from this audit"
    caplog.set_level(logging.DEBUG)
    for name, argv in argvs.items():
        for url in (good, wrong):
            for via_env in (False, True):
                if via_env:
                    monkeypatch.setenv("RHEOSTAT_STORAGE", url)
                    code = main(argv)
                    monkeypatch.delenv("RHEOSTAT_STORAGE")
                else:
                    code = main([*argv, "--storage", url])
                out, err = capsys.readouterr()
                where = f"`rheostat {name}` ({'right' if url == good else 'wrong'} password)"
                _clean(out, f"stdout of {where}")
                _clean(err, f"stderr of {where}")
                _clean(caplog.text, f"the logs of {where}")
                if url == wrong:
                    assert code != 0
                    assert "password authentication failed" in err
                    assert "rheostat_pw:***@" in err
                elif name in ("studies", "trials", "best", "export", "worker"):
                    assert code == 0, err
        # a missing study names the storage, masked
        code = main([argv[0], "nope", "--storage", good] if name != "studies" else argv)
        out, err = capsys.readouterr()
        _clean(out + err + caplog.text, f"`rheostat {name}` of a missing study")
    # the worker really ran on the right password: the study grew to its 14 trials
    check = rheostat.load_study("tune", good)
    try:
        assert len(check.trials) == 14
    finally:
        check.storage.close()


def test_library_errors_hide_the_password(
    urls: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    good, wrong = urls
    caplog.set_level(logging.DEBUG)
    failures: list[BaseException] = []
    attempts = [
        lambda: open_storage(wrong),
        lambda: rheostat.load_study("tune", wrong),
        lambda: rheostat.create_study(study_name="x", storage=wrong),
        lambda: rheostat.load_study("nope", good),
        lambda: rheostat.create_study(study_name="tune", storage=good),  # duplicated
    ]
    for attempt in attempts:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - any error; we read its text
            attempt()
        failures.append(caught.value)
    gc.collect()  # a failed call must leave no connection open (ResourceWarning -> error)
    for failure in failures:
        for exc in _exception_chain(failure):
            _clean(f"{exc}\n{exc!r}\n{exc.args!r}", f"{type(exc).__name__}: {exc}")
    _clean(caplog.text, "the logs")
    storage = open_storage(good)
    try:
        _clean(storage.url + repr(storage) + str(storage), "the storage's display forms")
        study = rheostat.load_study("tune", storage)
        _clean(repr(study), "the study's repr")
    finally:
        storage.close()
