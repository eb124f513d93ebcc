"""Sessions and clients for the AWS collector, with a runtime read-only guard.

Nothing here runs at import: sessions and clients are built when a scan starts, so tests and
benchmarks can hand in their own ``boto3.Session``.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    CredentialRetrievalError,
    InvalidConfigError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from botocore.loaders import Loader, create_loader
from botocore.model import OperationModel

from standing.collectors.aws.operations import OPERATIONS
from standing.core.errors import UserError

DEFAULT_REGION = "us-east-1"
_GUARD_ID = "standing-aws-read-only-guard"
# Credential problems the user fixes (log in again, complete the profile), never a bug.
CREDENTIAL_ERRORS = (
    CredentialRetrievalError,
    InvalidConfigError,
    PartialCredentialsError,
    SSOError,
    TokenRetrievalError,
)
# Adaptive mode backs off on throttling client-side, which matters when many accounts are
# scanned at once against the same per-account IAM limits.
_RETRIES = {"mode": "adaptive", "max_attempts": 10}


@dataclass(frozen=True, kw_only=True)
class AwsScanOptions:
    """What to scan and how; mirrors the ``standing scan aws`` options."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    organization: bool = False
    member_role_name: str = "standing-readonly"
    external_id: str | None = None
    max_workers: int = 8
    resolve_key_ids: bool = True
    regions: tuple[str, ...] = ()
    """Regions whose workloads are read: empty (or ``("all",)``), every region the account has
    enabled; named, only those, and the rest is recorded as left out (``CoverageStatus.SCOPED``).
    IAM is global and read once whatever the regions."""
    workloads: bool = True
    """Read compute (workloads) at all; off, the scan makes only the IAM calls."""


class UndeclaredOperationError(RuntimeError):
    """The collector tried to call an operation missing from ``operations.OPERATIONS``.

    This is a bug in the collector, never a user error: the scan must stop rather than risk
    a call the published read-only policy does not cover (or one that changes the account).
    """

    def __init__(self, service: str, api: str) -> None:
        super().__init__(f"refusing AWS call {service}:{api}: it is not a declared read-only operation")
        self.service = service
        self.api = api

    def __reduce__(self) -> tuple[type[UndeclaredOperationError], tuple[str, str]]:
        # Raised on a Dask worker, it must unpickle in the client to stop the scan there too.
        return (type(self), (self.service, self.api))


def _refuse_undeclared(model: OperationModel, **_: Any) -> None:
    """botocore ``before-call`` handler: runs before every request leaves the client."""
    service = model.service_model.service_name
    if (service, model.name) not in _DECLARED:
        raise UndeclaredOperationError(service, model.name)


_DECLARED = frozenset((op.service, op.api) for op in OPERATIONS)


def install_guard(session: boto3.Session) -> boto3.Session:
    """Refuse undeclared operations on every client this session creates from now on.

    Clients copy the session's event handlers when created, so install before making clients.
    Installing twice is harmless (the handler is registered under a fixed unique id).
    """
    session.events.register("before-call", _refuse_undeclared, unique_id=_GUARD_ID)
    return session


def make_session(options: AwsScanOptions) -> boto3.Session:
    """The caller's session: the named profile, or boto3's default credential chain."""
    try:
        session = _new_session(profile_name=options.profile)
        if options.profile is not None and options.profile not in session.available_profiles:
            raise ProfileNotFound(profile=options.profile)
    except ProfileNotFound as err:
        raise UserError(f"AWS profile '{options.profile}'", "not found in the AWS config files") from err
    return install_guard(session)


def session_from_credentials(credentials: dict[str, Any], *, region: str | None) -> boto3.Session:
    """A guarded session for temporary credentials (from AssumeRole).

    The credentials go straight into the session; callers must not keep or log them.
    """
    session = _new_session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    return install_guard(session)


def _new_session(**kwargs: Any) -> boto3.Session:
    """A session sharing this process's service-model loader.

    An organization scan makes one session per account; each would otherwise parse the
    IAM and STS models from disk again (about 0.3 s of CPU each, under the GIL).
    """
    loader = _shared_loader()
    core = botocore.session.get_session()
    core.register_component("data_loader", loader)
    with _SESSION_LOCK:
        session = boto3.Session(botocore_session=core, **kwargs)
        # boto3 appends its resource-model folder to the loader's search path on every new
        # session; shared, the path would grow by one entry per account.
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


_SESSION_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _shared_loader() -> Loader:
    return create_loader(botocore.session.get_session().get_config_variable("data_path"))


def require_credentials(session: boto3.Session, options: AwsScanOptions) -> None:
    """Fail early, with a line the user can act on, when no credentials can be found."""
    source = f"AWS profile '{options.profile}'" if options.profile else "AWS credentials"
    try:
        credentials = session.get_credentials()
    except CREDENTIAL_ERRORS as err:
        raise UserError(source, f"credentials could not be loaded ({err})") from err
    if credentials is None:
        raise UserError(
            source,
            "no credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run 'aws sso login')",
        )


def region_for(session: boto3.Session, options: AwsScanOptions) -> str:
    return options.region or session.region_name or DEFAULT_REGION


def make_client(session: boto3.Session, service: str, options: AwsScanOptions) -> Any:
    """A client with adaptive retries, the resolved region, and the endpoint override if any."""
    return session.client(
        service,
        region_name=region_for(session, options),
        endpoint_url=options.endpoint_url,
        config=Config(retries=_RETRIES),
    )
