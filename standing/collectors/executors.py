"""Where per-account collection tasks run: a thread pool here, or a Dask cluster elsewhere.

A collector hands an executor a work function and a list of tasks and gets the results back
in completion order, so a progress bar can follow them. Work functions and tasks must be
picklable (plain data: account ids, role names, endpoint and profile names) because a Dask
worker may run in another process or on another machine; no client, session or credential
ever crosses that boundary, each task builds its own.

Every task runs under the same ``TaskLimits`` whichever executor runs it: a time limit per
attempt and a number of retries. A task that still fails (or overruns) after its retries is
returned as a ``TaskFailed`` for the collector to record as a coverage gap; exceptions the
collector names as fatal (a bug such as an undeclared API call) are never retried and stop
the run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from standing.core.errors import UserError
from standing.core.extras import require_extra

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("thread", "dask")
DEFAULT_TIME_LIMIT = 1800.0  # a 5,000-identity account with key-id lookups takes minutes, not half an hour
DEFAULT_RETRIES = 1
_CONNECT_TIMEOUT = "10s"


@dataclass(frozen=True, kw_only=True)
class TaskLimits:
    time_limit: float | None = DEFAULT_TIME_LIMIT
    """Seconds one attempt may take; ``None`` for no limit."""
    retries: int = DEFAULT_RETRIES
    """Further attempts after a failed or overrun one."""


@dataclass(frozen=True)
class TaskFailed:
    """A task that failed every attempt; ``reason`` is the last attempt's error."""

    reason: str
    attempts: int

    def describe(self) -> str:
        plural = "s" if self.attempts > 1 else ""
        return f"{self.reason} ({self.attempts} attempt{plural})"


class TaskTimedOut(Exception):
    pass


@dataclass(frozen=True)
class LimitedWork(Generic[T, R]):
    """``work`` under ``limits``: runs in the worker, so it is picklable when ``work`` is.

    An attempt that overruns is abandoned, not killed (Python cannot stop a thread): its
    daemon thread ends when its calls do (botocore's own read timeouts bound them) and its
    result is ignored.
    """

    work: Callable[[T], R]
    limits: TaskLimits
    fatal: tuple[type[BaseException], ...] = ()

    def __call__(self, task: T) -> R | TaskFailed:
        attempts = self.limits.retries + 1
        reason = ""
        for _ in range(attempts):
            try:
                return self._attempt(task)
            except self.fatal:
                raise
            except Exception as err:  # a task's failure must not stop the other tasks
                reason = f"{type(err).__name__}: {err}"
        return TaskFailed(reason, attempts)

    def _attempt(self, task: T) -> R:
        if self.limits.time_limit is None:
            return self.work(task)
        outcome: list[Any] = []

        def run() -> None:
            try:
                outcome.append((True, self.work(task)))
            except BaseException as err:  # handed to the waiting thread, which re-raises it
                outcome.append((False, err))

        thread = threading.Thread(target=run, name="standing-task", daemon=True)
        thread.start()
        thread.join(self.limits.time_limit)
        if not outcome:
            raise TaskTimedOut(f"no result within {self.limits.time_limit:g}s")
        ok, value = outcome[0]
        if not ok:
            raise value
        return cast(R, value)  # outcome[0] is (True, the work's result) here


class TaskExecutor(Protocol):
    in_process: ClassVar[bool]
    """Whether tasks run in this process (and may share its objects) or must be pickled."""

    def run(
        self,
        work: Callable[[T], R],
        tasks: Sequence[T],
        *,
        fatal: tuple[type[BaseException], ...] = (),
    ) -> Iterator[tuple[T, R | TaskFailed]]:
        """Each task with its result or failure, in the order they complete."""
        ...


@dataclass(frozen=True, kw_only=True)
class ThreadExecutor:
    """In this process: the default, enough for hundreds of accounts on one machine."""

    max_workers: int = 8
    limits: TaskLimits = TaskLimits()
    in_process: ClassVar[bool] = True

    def run(
        self,
        work: Callable[[T], R],
        tasks: Sequence[T],
        *,
        fatal: tuple[type[BaseException], ...] = (),
    ) -> Iterator[tuple[T, R | TaskFailed]]:
        limited = LimitedWork(work, self.limits, fatal)
        with ThreadPoolExecutor(max_workers=max(1, self.max_workers)) as pool:
            futures = {pool.submit(limited, task): task for task in tasks}
            try:
                for future in as_completed(futures):
                    yield futures[future], future.result()
            finally:
                for future in futures:
                    future.cancel()


@dataclass(frozen=True, kw_only=True)
class DaskExecutor:
    """On a Dask distributed cluster through ``client`` (a ``distributed.Client``).

    Results travel back to this process, where they are merged: cross-account paths need
    the whole estate in one graph.
    """

    client: Any
    limits: TaskLimits = TaskLimits()
    in_process: ClassVar[bool] = False

    def run(
        self,
        work: Callable[[T], R],
        tasks: Sequence[T],
        *,
        fatal: tuple[type[BaseException], ...] = (),
    ) -> Iterator[tuple[T, R | TaskFailed]]:
        from distributed import as_completed as dask_as_completed

        if not tasks:
            return
        limited = LimitedWork(work, self.limits, fatal)
        # pure=False: a re-run must scan again, never reuse an earlier result of the cluster.
        futures = self.client.map(limited, list(tasks), pure=False)
        by_key = {future.key: task for future, task in zip(futures, tasks)}
        try:
            for future in dask_as_completed(futures):
                task = by_key[future.key]
                try:
                    result = future.result()
                except fatal:
                    raise
                except Exception as err:  # worker lost, task cancelled, result not deserialisable
                    result = TaskFailed(f"{type(err).__name__}: {err}", 1)
                yield task, result
        finally:
            self.client.cancel(futures)


@contextmanager
def open_executor(
    kind: str,
    *,
    scheduler: str | None,
    max_workers: int,
    limits: TaskLimits,
) -> Iterator[TaskExecutor]:
    """The executor the command line asked for; a Dask client is closed on exit.

    ``dask`` without a scheduler address starts a local cluster of worker processes on this
    machine, which spreads parsing and normalisation over its cores.
    """
    if kind == "thread":
        if scheduler is not None:
            raise UserError("--scheduler", "needs --executor dask")
        yield ThreadExecutor(max_workers=max_workers, limits=limits)
        return
    require_extra("--executor dask", "dask", ("distributed",))
    from distributed import Client

    if scheduler is None:
        with _local_client(max_workers) as client:
            yield DaskExecutor(client=client, limits=limits)
        return
    try:
        client = Client(scheduler, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        raise UserError(scheduler, f"cannot connect to the Dask scheduler ({err})") from None
    with client:
        yield DaskExecutor(client=client, limits=limits)


@contextmanager
def _local_client(max_workers: int) -> Iterator[Any]:
    import os

    from distributed import Client, LocalCluster

    processes = max(1, min(os.cpu_count() or 1, max_workers))
    threads = max(1, -(-max_workers // processes))
    with (
        LocalCluster(n_workers=processes, threads_per_worker=threads, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client
