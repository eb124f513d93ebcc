"""Create an ``EstateSpec`` in moto through boto3, then set the dates moto cannot produce.

See ``standing.demo.estate`` for how AWS managed policies are loaded and what that costs.
moto and boto3 are imported inside the functions: the spec modules work without the
``demo`` extra installed.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

from standing.demo.spec import EstateSpec, KeySpec

if TYPE_CHECKING:
    from moto.iam.models import IAMBackend
    from mypy_boto3_iam import IAMClient

REGION = "us-east-1"
DUMMY_CREDENTIAL = "testing"
# A console password for demo users: moto never returns it, and it opens nothing real.
_DEMO_CONSOLE_PASSWORD = "Demo-Console-Password-1!"
# AWS no longer checks thumbprints for well-known issuers, but the API still asks for one.
_PLACEHOLDER_THUMBPRINT = "0" * 40
_LAST_USED_SERVICE = "s3"


class ManagedPoliciesNotLoaded(RuntimeError):
    """The estate attaches AWS managed policies that the moto server does not have."""


class NotInProcess(RuntimeError):
    """The endpoint is not served by moto in this process, so dates cannot be backdated."""


@dataclass(frozen=True, kw_only=True)
class SeededKey:
    """An access key the seeder created. Never carries the secret."""

    user_name: str
    access_key_id: str
    active: bool
    created: datetime
    last_used: datetime | None


@dataclass(frozen=True, kw_only=True)
class SeededEstate:
    account_id: str
    endpoint_url: str
    now: datetime
    access_keys: tuple[SeededKey, ...]
    test_only_secret_access_keys: frozenset[str] = field(repr=False)
    """Secrets moto returned at key creation. Only for tests that check nothing leaks them."""


class MotoServer:
    """moto's threaded server on 127.0.0.1 in this process; a context manager.

    Starting it resets all moto state in the process (moto keeps one set of backends per
    process, shared by every server and by ``mock_aws``), so each server starts empty.
    """

    def __init__(self, *, aws_managed_policies: bool = False) -> None:
        self.aws_managed_policies = aws_managed_policies
        self.endpoint_url = ""
        self._server: Any = None
        self._saved_log_level = logging.NOTSET
        self._saved_load_flag: bool | None = None

    def start(self) -> MotoServer:
        try:
            from moto.core.config import default_user_config
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("moto's server is not installed: pip install 'standing-nhi[demo]'") from exc
        from standing.demo.moto_gaps import fill_moto_gaps

        fill_moto_gaps()
        # werkzeug logs one line per request to stderr; keep quiet while this server runs.
        werkzeug_log = logging.getLogger("werkzeug")
        self._saved_log_level = werkzeug_log.level
        werkzeug_log.setLevel(logging.WARNING)
        # moto reads this flag whenever it builds an account's IAM backend. A reset first
        # rebuilds the existing backends, then drops them; the next request builds them
        # again. Keep loading off during the reset (it would load the policies for nothing)
        # and set the requested value for the rebuild. /moto-api/config ignores "iam".
        iam_config = default_user_config.setdefault("iam", {})
        self._saved_load_flag = iam_config.get("load_aws_managed_policies", False)
        iam_config["load_aws_managed_policies"] = False
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        from standing.demo.moto_usage import BOOK, answer_usage

        BOOK.clear()  # process-wide like moto's backends, and emptied with them
        wsgi_server = self._server._server  # moto's werkzeug server: its app gains the usage answers
        wsgi_server.app = answer_usage(wsgi_server.app)
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=60) as response:  # a loaded CI machine is slow to rebuild
            response.read()
        iam_config["load_aws_managed_policies"] = self.aws_managed_policies
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        from moto.core.config import default_user_config

        self._server.stop()
        self._server = None
        default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = bool(self._saved_load_flag)
        logging.getLogger("werkzeug").setLevel(self._saved_log_level)

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_moto_server(*, aws_managed_policies: bool = False) -> MotoServer:
    """Start an empty moto server on a free loopback port.

    ``with start_moto_server() as server: seed_estate(spec, endpoint_url=server.endpoint_url, ...)``
    """
    return MotoServer(aws_managed_policies=aws_managed_policies).start()


def iam_client(endpoint_url: str, *, account_id: str | None = None) -> IAMClient:
    """A boto3 IAM client for a moto endpoint, with dummy credentials.

    ``account_id`` routes calls to that moto account (header ``x-moto-account-id``); without
    it moto uses its default account.
    """
    client: IAMClient = _client("iam", endpoint_url, account_id)
    return client


def seed_estate(spec: EstateSpec, *, endpoint_url: str, now: datetime) -> SeededEstate:
    """Create ``spec`` through ``endpoint_url`` and date its keys and roles relative to ``now``.

    The endpoint must be a moto server running in this process (``start_moto_server``):
    creation dates and last-used dates are set on moto's backends directly, because no API
    can set them. The target objects must not exist yet.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    forced = os.environ.get("MOTO_ACCOUNT_ID")
    if forced is not None and forced != spec.account_id:
        raise ValueError(f"MOTO_ACCOUNT_ID={forced} sends every call to that account, not {spec.account_id}")
    iam = iam_client(endpoint_url, account_id=spec.account_id)
    _check_aws_managed_policies(iam, spec)
    created = _create(iam, spec)
    _create_compute(spec, endpoint_url)
    return _backdate(spec, created, endpoint_url=endpoint_url, now=now.astimezone(UTC))


def _check_aws_managed_policies(iam: IAMClient, spec: EstateSpec) -> None:
    for arn in sorted(spec.aws_managed_policy_arns):
        try:
            iam.get_policy(PolicyArn=arn)
        except iam.exceptions.NoSuchEntityException:
            raise ManagedPoliciesNotLoaded(
                f"{arn} is not loaded in moto: start the server with start_moto_server(aws_managed_policies=True)"
            ) from None


@dataclass(frozen=True, kw_only=True)
class _CreatedKey:
    user_name: str
    spec: KeySpec
    access_key_id: str
    secret_access_key: str = field(repr=False)


def _tags(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {"Tags": [{"Key": k, "Value": v} for k, v in pairs]} if pairs else {}


def _create(iam: IAMClient, spec: EstateSpec) -> list[_CreatedKey]:
    """One API call per object, attachment and key; nothing is read back."""
    for provider in spec.oidc_providers:
        iam.create_open_id_connect_provider(
            Url=provider.url,
            ClientIDList=list(provider.client_ids),
            ThumbprintList=[_PLACEHOLDER_THUMBPRINT],
        )
    for policy in spec.policies:
        iam.create_policy(PolicyName=policy.name, PolicyDocument=json.dumps(policy.document))
    for group in spec.groups:
        iam.create_group(GroupName=group.name)
        for ref in group.managed_policies:
            iam.attach_group_policy(GroupName=group.name, PolicyArn=spec.policy_arn(ref))
        for name, document in group.inline_policies:
            iam.put_group_policy(GroupName=group.name, PolicyName=name, PolicyDocument=json.dumps(document))
    keys: list[_CreatedKey] = []
    for user in spec.users:
        iam.create_user(UserName=user.name, Path=user.path, **_tags(user.tags))
        if user.console_password:
            iam.create_login_profile(UserName=user.name, Password=_DEMO_CONSOLE_PASSWORD)
        for group_name in user.groups:
            iam.add_user_to_group(GroupName=group_name, UserName=user.name)
        for ref in user.managed_policies:
            iam.attach_user_policy(UserName=user.name, PolicyArn=spec.policy_arn(ref))
        for name, document in user.inline_policies:
            iam.put_user_policy(UserName=user.name, PolicyName=name, PolicyDocument=json.dumps(document))
        for key in user.keys:
            made = iam.create_access_key(UserName=user.name)["AccessKey"]
            if not key.active:
                iam.update_access_key(UserName=user.name, AccessKeyId=made["AccessKeyId"], Status="Inactive")
            keys.append(
                _CreatedKey(
                    user_name=user.name,
                    spec=key,
                    access_key_id=made["AccessKeyId"],
                    secret_access_key=made["SecretAccessKey"],
                )
            )
    for role in spec.roles:
        iam.create_role(
            RoleName=role.name,
            Path=role.path,
            AssumeRolePolicyDocument=json.dumps(role.trust_policy),
            **_tags(role.tags),
        )
        for ref in role.managed_policies:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=spec.policy_arn(ref))
        for name, document in role.inline_policies:
            iam.put_role_policy(RoleName=role.name, PolicyName=name, PolicyDocument=json.dumps(document))
    return keys


def _client(service: str, endpoint_url: str, account_id: str | None) -> Any:
    """A boto3 client of any service for the moto endpoint, routed to ``account_id`` when given."""
    import boto3

    client = boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=DUMMY_CREDENTIAL,
        aws_secret_access_key=DUMMY_CREDENTIAL,
    )
    if account_id is not None:

        def route(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account_id

        client.meta.events.register(f"before-sign.{client.meta.service_model.endpoint_prefix}", route)
    return client


def _function_zip() -> bytes:
    """A deployment package of one do-nothing handler (moto stores it; nothing runs it)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def _create_compute(spec: EstateSpec, endpoint_url: str) -> None:
    """Lambda functions and EC2 instances running as roles of the estate, in ``REGION``."""
    if spec.functions:
        functions = _client("lambda", endpoint_url, spec.account_id)
        for function in spec.functions:
            functions.create_function(
                FunctionName=function.name,
                Runtime=function.runtime,
                Role=spec.role(function.role).arn(spec.account_id),
                Handler="handler.handler",
                Code={"ZipFile": _function_zip()},
            )
    if spec.instances:
        iam = iam_client(endpoint_url, account_id=spec.account_id)
        ec2 = _client("ec2", endpoint_url, spec.account_id)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        for instance in spec.instances:
            iam.create_instance_profile(InstanceProfileName=instance.role)
            iam.add_role_to_instance_profile(InstanceProfileName=instance.role, RoleName=instance.role)
            ec2.run_instances(
                ImageId=image,
                MinCount=1,
                MaxCount=1,
                IamInstanceProfile={"Name": instance.role},
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": instance.name}]}],
            )


def _moto_time(value: datetime) -> datetime:
    """moto keeps naive UTC datetimes (its own ``utcnow()``); store ours the same way."""
    return value.astimezone(UTC).replace(tzinfo=None)


def _iam_backend(account_id: str) -> IAMBackend:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["aws"]


def _backdate(spec: EstateSpec, created: list[_CreatedKey], *, endpoint_url: str, now: datetime) -> SeededEstate:
    """Set key and role dates on moto's backend (moto documents these attributes as public).

    Creation dates of users and roles move to just before their earliest activity, so that
    nothing is younger than its own use whatever ``now`` is.
    """
    from moto.iam.models import AccessKeyLastUsed

    backend = _iam_backend(spec.account_id)
    roles = {role.name: role for role in backend.roles.values()}
    absent = [u.name for u in spec.users if u.name not in backend.users]
    absent += [r.name for r in spec.roles if r.name not in roles]
    if absent or any(k.access_key_id not in backend.access_keys for k in created):
        raise NotInProcess(
            f"{endpoint_url} is not a moto server in this process (missing {absent[:3]}...): use start_moto_server()"
        )
    day = timedelta(days=1)
    seeded: list[SeededKey] = []
    earliest: dict[str, datetime] = {}
    for made in created:
        key = backend.access_keys[made.access_key_id]
        key_created = now - made.spec.age_days * day
        last_used = None if made.spec.last_used_days_ago is None else now - made.spec.last_used_days_ago * day
        key.create_date = _moto_time(key_created)
        key.last_used = (
            None
            if last_used is None
            else AccessKeyLastUsed(timestamp=_moto_time(last_used), service=_LAST_USED_SERVICE, region=REGION)
        )
        earliest[made.user_name] = min(key_created, earliest.get(made.user_name, now))
        seeded.append(
            SeededKey(
                user_name=made.user_name,
                access_key_id=made.access_key_id,
                active=made.spec.active,
                created=key_created,
                last_used=last_used,
            )
        )
    for user in spec.users:
        backend.users[user.name].create_date = _moto_time(earliest.get(user.name, now) - day)
    for role_spec in spec.roles:
        role = roles[role_spec.name]
        if role_spec.last_used_days_ago is None:
            role.create_date = _moto_time(now - day)
            continue
        last_used = now - role_spec.last_used_days_ago * day
        role.last_used = _moto_time(last_used)
        role.last_used_region = REGION  # type: ignore[assignment]  # moto initialises it to a bare None (type None)
        role.create_date = _moto_time(last_used - day)
    return SeededEstate(
        account_id=spec.account_id,
        endpoint_url=endpoint_url,
        now=now,
        access_keys=tuple(seeded),
        test_only_secret_access_keys=frozenset(k.secret_access_key for k in created),
    )
