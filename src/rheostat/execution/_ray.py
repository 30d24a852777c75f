"""Workers as Ray tasks, on this machine or a Ray cluster. Ray is imported lazily."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

from rheostat.execution._base import Executor, check_workers

__all__ = ["RayExecutor"]

_STOP_GRACE = 10.0  # seconds cancelled tasks get to record their running trial as FAILED


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "RayExecutor needs Ray, which is not installed: pip install 'rheostat[ray]'"
        ) from None
    return ray


def _call(worker: Callable[[], None]) -> None:
    """The Ray task: run one worker loop (it opens the study from storage)."""
    worker()


class RayExecutor(Executor):
    """Run each worker as a Ray task, on this machine or a Ray cluster.

    ``address``: ``None`` connects to a running Ray instance if this process has one (or
    ``RAY_ADDRESS`` names one) and else starts one locally; ``"auto"`` joins the cluster this
    machine belongs to; ``"ray://host:10001"`` joins a remote cluster through Ray Client.
    ``resources_per_trial``: what each worker holds while it runs trials one after another,
    ``{"cpu": 1, "gpu": 0}`` by default; other keys are Ray custom resources.

    Workers are pickled with cloudpickle (so lambdas work), open the study from its storage URL
    and talk only to storage: the study must live where every node reaches it (PostgreSQL for a
    cluster; a SQLite file only when all nodes share the machine). The objective's module must
    be importable on the nodes, or defined in the driver's script. The first error of a worker
    cancels the others (each records its running trial ``FAILED``) and is re-raised here;
    Ctrl-C does the same. ``close()`` shuts Ray down if this executor started it.
    """

    remote = True

    def __init__(
        self,
        *,
        address: str | None = None,
        resources_per_trial: Mapping[str, float] | None = None,
    ) -> None:
        if address is not None and not isinstance(address, str):
            raise TypeError(
                f"RayExecutor: address must be None, 'auto' or 'ray://host:port', got {address!r}"
            )
        given: Mapping[Any, Any] = (
            resources_per_trial if resources_per_trial is not None else {"cpu": 1}
        )
        resources: dict[str, float] = {}
        for key, value in given.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"RayExecutor: resource names must be strings, got {key!r}")
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(
                    f"RayExecutor: resources_per_trial[{key!r}] must be a number >= 0, got "
                    f"{value!r}"
                )
            resources[key] = float(value)
        self.address = address
        self.resources_per_trial = resources
        self._started = False

    def __repr__(self) -> str:
        return (
            f"RayExecutor(address={self.address!r}, "
            f"resources_per_trial={self.resources_per_trial!r})"
        )

    def _options(self) -> dict[str, Any]:
        res = {
            k.lower() if k.lower() in ("cpu", "gpu") else k: float(v)
            for k, v in self.resources_per_trial.items()
        }
        options: dict[str, Any] = {
            "num_cpus": res.pop("cpu", 1.0),
            "num_gpus": res.pop("gpu", 0.0),
            "max_retries": 0,  # a lost worker's trial is retried by the study, not by Ray
        }
        if res:
            options["resources"] = res
        return options

    def run(self, worker: Callable[[], None], n_workers: int) -> None:
        check_workers("RayExecutor", n_workers)
        ray = _import_ray()
        if not ray.is_initialized():
            ray.init(address=self.address)
            self._started = True
        task = ray.remote(_call).options(**self._options())
        pending = [task.remote(worker) for _ in range(n_workers)]
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
                for ref in ready:
                    try:
                        ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        _cancel(ray, pending)
                        pending = []
                        cause = getattr(exc, "cause", None)
                        if isinstance(cause, BaseException):
                            raise cause from exc
                        raise
        except KeyboardInterrupt:
            _cancel(ray, pending)
            raise

    def close(self) -> None:
        if self._started:
            ray = _import_ray()
            ray.shutdown()
            self._started = False


def _cancel(ray: Any, refs: list[Any]) -> None:
    """Interrupt running tasks (a KeyboardInterrupt in each, which fails its trial), wait a
    little, then force what is left."""
    for ref in refs:
        ray.cancel(ref, force=False)
    if refs:
        _, left = ray.wait(refs, num_returns=len(refs), timeout=_STOP_GRACE)
        for ref in left:
            ray.cancel(ref, force=True)
