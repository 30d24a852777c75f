"""GP computations run one at a time, on one thread of the process, with one BLAS thread.

A GP proposal makes thousands of small numpy, BLAS and LAPACK calls (matrices of a few hundred
rows; scipy's L-BFGS-B calls BLAS on vectors of a few dozen). Run naively, two effects make that
slow:

- OpenBLAS hands each call to its thread pool, and on a machine whose cores are busy the
  hand-offs cost more than the arithmetic: a proposal took 5-10 times longer with two BLAS
  threads than with one on a shared two-core machine. ``threadpoolctl``, when installed, limits
  the process's BLAS libraries to one thread while a computation runs, and restores them after
  (``OPENBLAS_NUM_THREADS=1`` before starting Python has the same effect). OpenBLAS honours
  such a limit only from the thread that first set one, so the computations run on one
  dedicated thread.
- Several Python threads proposing at once (a study's thread workers) cannot run numpy code in
  parallel (the GIL), and each small call that releases the GIL waits to get it back: four
  threads took five times as long in total as one. On the one thread, proposals queue instead.

``run_numeric(fn)`` runs ``fn()`` on that thread and returns its result (or raises its error).
The thread is created on first use, again after a fork, and is not used recursively.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["run_numeric"]

T = TypeVar("T")

_lock = threading.Lock()
_executor: list[tuple[int, ThreadPoolExecutor]] = []  # (pid, executor), at most one
_local = threading.local()
_controller: list[Any] = []  # the threadpoolctl controller, or False without it; made once


def _blas_controller() -> Any:
    if not _controller:
        try:
            module = importlib.import_module("threadpoolctl")
        except ImportError:
            _controller.append(False)
        else:
            _controller.append(module.ThreadpoolController())
    return _controller[0]


def _limited(fn: Callable[[], T]) -> T:
    _local.inside = True
    controller = _blas_controller()
    limiter = controller.limit(limits=1, user_api="blas") if controller else None
    try:
        return fn()
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
        _local.inside = False


def _get_executor() -> ThreadPoolExecutor:
    with _lock:
        pid = os.getpid()
        if not _executor or _executor[0][0] != pid:  # none yet, or inherited through a fork
            _executor.clear()
            _executor.append((pid, ThreadPoolExecutor(1, thread_name_prefix="rheostat-gp")))
        return _executor[0][1]


def run_numeric(fn: Callable[[], T]) -> T:
    """``fn()``, computed on the GP thread (see the module docstring)."""
    if getattr(_local, "inside", False):
        return fn()
    return _get_executor().submit(_limited, fn).result()
