"""Executors: where the worker loop runs (threads, local processes, a Ray cluster).

``study.optimize(objective, n_workers=4, executor=ProcessExecutor())``. ``RayExecutor`` needs
``pip install 'rheostat[ray]'``; Ray is imported only when a ``RayExecutor`` runs.
"""

from rheostat.execution._base import Executor
from rheostat.execution._process import ProcessExecutor
from rheostat.execution._ray import RayExecutor
from rheostat.execution._thread import ThreadExecutor

__all__ = ["Executor", "ProcessExecutor", "RayExecutor", "ThreadExecutor"]
