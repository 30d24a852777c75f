"""Workers as threads of this process: what ``study.optimize`` does by default."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

from rheostat.execution._base import Executor, check_workers

__all__ = ["ThreadExecutor"]


class ThreadExecutor(Executor):
    """Run the workers in threads of this process (the default of ``study.optimize``).

    One worker runs in the calling thread, so Ctrl-C interrupts its objective directly. With
    several, the workers share the study object: the worker loop itself sees another worker's
    error (or ``study.stop()``) and starts no new trial; ``run`` waits for them and re-raises the
    first error. On Ctrl-C, ``run`` returns at once without waiting for the threads' running
    trials (the study records them ``FAILED``); threads cannot be killed, so they finish their
    current objective call in the background.
    """

    remote = False

    def __repr__(self) -> str:
        return "ThreadExecutor()"

    def run(self, worker: Callable[[], None], n_workers: int) -> None:
        if check_workers("ThreadExecutor", n_workers) == 1:
            worker()
            return
        pool = ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="rheostat-worker")
        futures = [pool.submit(worker) for _ in range(n_workers)]
        error: BaseException | None = None
        try:
            pending: set[Future[None]] = set(futures)
            while pending and error is None:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
                error = next((f.exception() for f in futures if f in done and f.exception()), None)
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if error is None:  # a worker may have failed while the others were winding down
            error = next((f.exception() for f in futures if f.exception() is not None), None)
        if error is not None:
            raise error
