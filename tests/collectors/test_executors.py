"""Task limits and retries, the same on the thread pool and on a Dask cluster."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from standing.collectors.aws.organization import AccountScan, AccountTask, CallerSession, OrgAccount
from standing.collectors.aws.session import AwsScanOptions, UndeclaredOperationError
from standing.collectors.executors import (
    DaskExecutor,
    LimitedWork,
    TaskFailed,
    TaskLimits,
    ThreadExecutor,
    open_executor,
)
from standing.core.errors import UserError


class Flaky:
    """Fails the first ``failures`` calls for each task, then answers ``task * 10``.

    Picklable, as Dask needs; a task's attempts run one after another on one copy.
    """

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: dict[int, int] = {}

    def __call__(self, task: int) -> int:
        self.calls[task] = self.calls.get(task, 0) + 1
        if self.calls[task] <= self.failures:
            raise ConnectionResetError(f"attempt {self.calls[task]} of task {task}")
        return task * 10


def refuse(task: int) -> int:
    raise UndeclaredOperationError("iam", "DeleteUser")


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_a_task_failing_once_is_retried_and_succeeds():
    flaky = Flaky(failures=1)
    executor = ThreadExecutor(max_workers=2, limits=TaskLimits(time_limit=None, retries=1))
    assert dict(executor.run(flaky, [1, 2, 3])) == {1: 10, 2: 20, 3: 30}
    assert flaky.calls == {1: 2, 2: 2, 3: 2}


def test_a_task_failing_every_attempt_becomes_a_failure_naming_the_last_error():
    executor = ThreadExecutor(max_workers=2, limits=TaskLimits(time_limit=None, retries=2))
    results = dict(executor.run(Flaky(failures=5), [1, 2]))
    assert results == {
        1: TaskFailed("ConnectionResetError: attempt 3 of task 1", 3),
        2: TaskFailed("ConnectionResetError: attempt 3 of task 2", 3),
    }
    assert results[1].describe() == "ConnectionResetError: attempt 3 of task 1 (3 attempts)"


def test_an_overrunning_attempt_is_abandoned_and_retried():
    released = threading.Event()
    started: list[int] = []

    def hang(task: int) -> int:
        started.append(task)
        released.wait(10)
        return task

    limited = LimitedWork(hang, TaskLimits(time_limit=0.05, retries=1))
    try:
        assert limited(7) == TaskFailed("TaskTimedOut: no result within 0.05s", 2)
    finally:
        released.set()
    assert started == [7, 7]


def test_a_fatal_error_is_not_retried_and_stops_the_thread_pool():
    executor = ThreadExecutor(max_workers=1, limits=TaskLimits(retries=3))
    with pytest.raises(UndeclaredOperationError):
        list(executor.run(refuse, [1], fatal=(UndeclaredOperationError,)))


def test_dask_runs_the_same_limits(dask_client):
    executor = DaskExecutor(client=dask_client, limits=TaskLimits(time_limit=None, retries=1))
    assert dict(executor.run(Flaky(failures=1), [1, 2, 3])) == {1: 10, 2: 20, 3: 30}
    failing = DaskExecutor(client=dask_client, limits=TaskLimits(time_limit=None, retries=0))
    assert dict(failing.run(Flaky(failures=1), [4])) == {4: TaskFailed("ConnectionResetError: attempt 1 of task 4", 1)}


def test_a_fatal_error_on_a_dask_worker_stops_the_scan_in_the_client(dask_client):
    executor = DaskExecutor(client=dask_client, limits=TaskLimits(retries=3))
    with pytest.raises(UndeclaredOperationError, match="iam:DeleteUser"):
        list(executor.run(refuse, [1], fatal=(UndeclaredOperationError,)))


def test_account_tasks_travel_without_sessions_or_credentials():
    task = AccountTask(
        account=OrgAccount(id="210987654321", name="prod", state="ACTIVE"),
        caller_account="123456789012",
        partition="aws",
        parent_scope_id="aws:organization:o-abc",
        now=datetime(2026, 6, 1, tzinfo=UTC),
    )
    scan = AccountScan(options=AwsScanOptions(organization=True, profile="audit"))
    work = LimitedWork(scan, TaskLimits(), (UndeclaredOperationError,))
    assert pickle.loads(pickle.dumps(task)) == task
    assert pickle.loads(pickle.dumps(work)) == work
    import boto3

    local = AccountScan(options=AwsScanOptions(), local=CallerSession(session=boto3.Session(), sts=None))
    with pytest.raises(TypeError, match="must not leave its process"):
        pickle.dumps(local)


def test_scheduler_without_dask_is_a_usage_error():
    with pytest.raises(UserError, match="--scheduler: needs --executor dask"):
        with open_executor("thread", scheduler="tcp://127.0.0.1:8786", max_workers=2, limits=TaskLimits()):
            pass
