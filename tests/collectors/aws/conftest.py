"""Shared fixtures: the region, moto in-process, a session on it (no real AWS: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from aws_support import REGION
from moto import mock_aws

from standing.demo.moto_gaps import fill_moto_gaps


@pytest.fixture(autouse=True)
def aws_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector's region; credentials, config files and the network are guarded by tests/conftest.py."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws() -> Iterator[None]:
    fill_moto_gaps()  # SSM DescribeInstanceInformation, which moto lacks (see moto_gaps)
    with mock_aws():
        yield


@pytest.fixture
def session(aws: None) -> boto3.Session:
    return boto3.Session(region_name=REGION)
