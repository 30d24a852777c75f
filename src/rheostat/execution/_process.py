"""Workers as local processes, each opening the study from its storage URL."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rheostat.execution._base import Executor, check_workers

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

__all__ = ["ProcessExecutor"]

_STOP_GRACE = 10.0  # seconds a stopped worker gets to record its running trial as FAILED


class _RemoteTracebackError(Exception):
    """The traceback of an error raised in a worker process (the cause of the re-raised one)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


class ProcessExecutor(Executor):
    """Run each worker in its own local process, started fresh (``spawn``, never ``fork``).

    Each process unpickles the worker, opens the study by name from the storage URL and runs the
    worker loop; the processes share the study only through storage, so the study must live in
    a file or a server (``sqlite:///study.db``, ``postgresql://…``), not in memory. The
    objective (and the sampler and scheduler) must be picklable with the standard ``pickle``:
    a function defined with ``def`` at the top of an importable module, not a lambda or a
    nested function (``RayExecutor`` uses cloudpickle, which takes those too).

    A worker's error stops the others: each is sent SIGINT, records its running trial
    ``FAILED`` and exits; the error is re-raised here with the worker's traceback as its cause.
    A worker process that dies without a word (killed, out of memory) is reported as a
    ``RuntimeError`` with its exit code. Processes exit by themselves if this one dies.
    """

    remote = True

    def __repr__(self) -> str:
        return "ProcessExecutor()"

    def run(self, worker: Callable[[], None], n_workers: int) -> None:
        import multiprocessing

        check_workers("ProcessExecutor", n_workers)
        try:
            payload = pickle.dumps(worker)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise TypeError(
                f"ProcessExecutor: the worker cannot be pickled to send it to another process "
                f"({exc}); the objective, sampler and scheduler must be picklable: define the "
                "objective with def at the top of an importable module (not a lambda or a nested "
                "function), or use RayExecutor, which pickles with cloudpickle"
            ) from None
        ctx = multiprocessing.get_context("spawn")
        children: list[tuple[BaseProcess, Connection]] = []
        try:
            for i in range(n_workers):
                receiver, sender = ctx.Pipe(duplex=False)
                proc: BaseProcess = ctx.Process(
                    target=_child,
                    args=(payload, sender, os.getpid()),
                    name=f"rheostat-worker-{i}",
                    daemon=True,
                )
                proc.start()
                sender.close()
                children.append((proc, receiver))
            error = _wait_all(children)
        except KeyboardInterrupt:
            _stop(children)
            raise
        finally:
            _stop(children)
            for proc, receiver in children:
                receiver.close()
                proc.close()
        if error is not None:
            raise error


def _wait_all(children: list[tuple[BaseProcess, Connection]]) -> BaseException | None:
    """Wait for every child; on the first error stop the rest and return that error."""
    from multiprocessing.connection import wait

    pending = {proc.sentinel: (proc, receiver) for proc, receiver in children}
    while pending:
        for sentinel in wait(list(pending), timeout=0.5):
            proc, receiver = pending.pop(sentinel)  # type: ignore[arg-type]
            proc.join()
            error = _outcome(proc, receiver)
            if error is not None:
                _stop(children)
                return error
    return None


def _outcome(proc: BaseProcess, receiver: Connection) -> BaseException | None:
    message: Any = None
    with contextlib.suppress(EOFError, OSError):
        if receiver.poll():
            message = receiver.recv()
    if isinstance(message, tuple) and message and message[0] == "ok":
        return None
    if isinstance(message, tuple) and message and message[0] == "error":
        _, exc_bytes, text = message
        exc: BaseException | None = None
        if exc_bytes is not None:
            with contextlib.suppress(Exception):
                exc = pickle.loads(exc_bytes)
        if not isinstance(exc, BaseException):
            exc = RuntimeError(f"worker process {proc.name} failed:\n{text}")
        exc.__cause__ = _RemoteTracebackError(text)
        return exc
    code = proc.exitcode
    if code is not None and code > 0:  # _child reports every error it sees: it never ran
        return RuntimeError(
            f"worker process {proc.name} exited with code {code} before it could start (see "
            "its error above); the script that calls optimize with ProcessExecutor must guard "
            'it with `if __name__ == "__main__":`, as worker processes import it again'
        )
    return RuntimeError(
        f"worker process {proc.name} (pid {proc.pid}) died with exit code {code} (killed, or "
        "out of memory?); its running trial is failed by the next worker that checks"
    )


def _stop(children: list[tuple[BaseProcess, Connection]]) -> None:
    """SIGINT the live children, give them time to fail their trials, then kill what is left."""
    live = [proc for proc, _ in children if proc.exitcode is None and proc.pid is not None]
    for proc in live:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(proc.pid, signal.SIGINT)  # type: ignore[arg-type]
    end = time.monotonic() + _STOP_GRACE
    for proc in live:
        proc.join(max(0.0, end - time.monotonic()))
        if proc.exitcode is None:
            proc.kill()
            proc.join()


def _child(payload: bytes, sender: Connection, parent: int) -> None:
    """A worker process: run the worker and send back ``("ok",)`` or ``("error", exc, text)``."""
    os.setsid()  # a terminal's Ctrl-C reaches the parent only; the parent stops us in order
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    try:
        worker = pickle.loads(payload)
        worker()
    except KeyboardInterrupt:
        _send(sender, ("ok",))  # stopped by the parent, which is re-raising its own error
    except BaseException as exc:
        text = traceback.format_exc()
        try:
            exc_bytes: bytes | None = pickle.dumps(exc)
        except Exception:
            exc_bytes = None
        _send(sender, ("error", exc_bytes, text))
    else:
        _send(sender, ("ok",))
    finally:
        sender.close()


def _send(sender: Connection, message: tuple[Any, ...]) -> None:
    with contextlib.suppress(OSError):
        sender.send(message)


def _watch_parent(parent: int) -> None:
    """Stop this worker (as Ctrl-C would) when the process that started it is gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGINT)
