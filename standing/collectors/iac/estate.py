"""Building an Inventory out of IaC resources, shared by the Terraform and CloudFormation converters.

Both converters describe the same things (an IAM user, a key on it, a policy attached to a
role, a role assignment) and must produce the same records for them, so the records are
made here once. Each record remembers the resource that declared it (``SourceRef``), and
anything the converter could not know (a value "known after apply") becomes a ``skipped``
coverage entry: the gate reports it and cannot call the change clean, rather than guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from standing import __version__
from standing.collectors.aws.normalize import trusts_from_policy
from standing.collectors.iac.aws_managed import is_aws_managed, managed_policy_document
from standing.core.model import (
    CoverageEntry,
    CoverageStatus,
    Credential,
    CredentialKind,
    Grant,
    GrantDuration,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    Trust,
)
from standing.core.textfiles import within_depth

AWS_ACCOUNT_SCOPE = "aws:account:{account}"
# Stands for "the account this change is deployed into" when the document does not say.
DEPLOY_ACCOUNT = "deploy-account"


@dataclass
class Estate:
    """Records of one view of a change (before it, or after it), keyed by id so re-declaring is harmless."""

    now: datetime
    identities: dict[str, Identity] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    scopes: dict[str, Scope] = field(default_factory=dict)
    grants: dict[tuple[str, str, str], Grant] = field(default_factory=dict)
    trusts: list[Trust] = field(default_factory=list)
    coverage: list[CoverageEntry] = field(default_factory=list)
    accounts: set[str] = field(default_factory=set)
    declared: dict[str, str] = field(default_factory=dict)  # record id -> resource address
    involved: dict[str, list[str]] = field(default_factory=dict)  # identity id -> addresses granting it

    # -- identities and credentials ------------------------------------------------------
    def identity(
        self,
        address: str | None,
        *,
        id: str,
        provider: Provider,
        kind: IdentityKind,
        name: str,
        account: str,
        human: bool | None = None,
        **extra: Any,
    ) -> str:
        existing = self.identities.get(id)
        if existing is None or address is not None:
            self.identities[id] = Identity(
                id=id, provider=provider, kind=kind, account=account, name=name, human=human, **extra
            )
        if address is not None:
            self.declared[id] = address
        return id

    def credential(
        self,
        address: str,
        *,
        identity_id: str,
        kind: CredentialKind,
        active: bool = True,
        created: datetime | None = None,
        expires: datetime | None = None,
    ) -> None:
        self.credentials[address] = Credential(
            id=address,
            identity_id=identity_id,
            kind=kind,
            active=active,
            created=created,
            expires=expires,
        )
        self.declared[address] = address

    # -- permissions -----------------------------------------------------------------------
    def role(self, role: Role) -> str:
        self.roles.setdefault(role.id, role)
        return role.id

    def scope(self, scope_id: str, provider: Provider, kind: ScopeKind) -> str:
        self.scopes.setdefault(scope_id, Scope(id=scope_id, provider=provider, kind=kind, name=scope_id))
        return scope_id

    def grant(
        self,
        address: str,
        principal_id: str,
        role_id: str,
        scope_id: str,
        *,
        duration: GrantDuration = GrantDuration.STANDING,
        expires: datetime | None = None,
        condition: str | None = None,
    ) -> None:
        self.grants[(principal_id, role_id, scope_id)] = Grant(
            principal_id=principal_id,
            role_id=role_id,
            scope_id=scope_id,
            duration=duration,
            expires=expires,
            condition=condition,
        )
        self.involve(principal_id, address)

    def involve(self, identity_id: str, address: str) -> None:
        addresses = self.involved.setdefault(identity_id, [])
        if address not in addresses:
            addresses.append(address)

    def aws_account_scope(self, account: str) -> str:
        self.accounts.add(account)
        return self.scope(AWS_ACCOUNT_SCOPE.format(account=account), Provider.AWS, ScopeKind.ACCOUNT)

    def aws_policy(self, address: str, policy_id: str, name: str, document: Any) -> str | None:
        """A customer policy from its document (a JSON string or an object); None if unreadable."""
        parsed = policy_document(document)
        if parsed is None:
            self.unknown(
                Provider.AWS,
                address,
                "policy",
                "the policy document is not valid JSON or nests beyond 100 levels; not judged",
            )
            return None
        return self.role(Role(id=policy_id, provider=Provider.AWS, name=name, documents=[parsed]))

    def aws_managed_policy(self, address: str, arn: str) -> str:
        document = managed_policy_document(arn)
        if is_aws_managed(arn):
            return self.role(
                Role(
                    id=arn,
                    provider=Provider.AWS,
                    name=arn.rsplit("/", 1)[-1],
                    documents=[document] if document else [],
                    provider_managed=True,
                )
            )
        if arn not in self.roles:
            self.unknown(
                Provider.AWS,
                address,
                "policy_arn",
                f"{arn} is not created by this change; its document is not known here",
            )
            self.role(Role(id=arn, provider=Provider.AWS, name=arn.rsplit("/", 1)[-1]))
        return arn

    def attach_aws(self, address: str, principal_id: str, policy_id: str, account: str) -> None:
        self.grant(address, principal_id, policy_id, self.aws_account_scope(account))

    def aws_trust(self, address: str, target_id: str, document: Any) -> dict[str, Any] | None:
        parsed = policy_document(document)
        if parsed is None:
            self.unknown(
                Provider.AWS,
                address,
                "assume_role_policy",
                "the trust policy is not valid JSON or nests beyond 100 levels; who can assume the role is not judged",
            )
            return None
        self.trusts.extend(trusts_from_policy(target_id, parsed))
        return parsed

    # -- what could not be known -----------------------------------------------------------
    def unknown(self, provider: Provider, address: str, attribute: str, detail: str) -> None:
        self.coverage.append(
            CoverageEntry(
                provider=provider, scope=address, operation=attribute, status=CoverageStatus.SKIPPED, detail=detail
            )
        )

    def inventory(self) -> Inventory:
        providers = sorted({i.provider for i in self.identities.values()} | {c.provider for c in self.coverage})
        meta = ScanMeta(tool_version=__version__, started_at=self.now, finished_at=self.now, providers=providers)
        for account in sorted(self.accounts):
            self.aws_account_scope(account)
        return Inventory(
            meta=meta,
            identities=sorted(self.identities.values(), key=lambda r: r.id),
            credentials=sorted(self.credentials.values(), key=lambda r: r.id),
            roles=sorted(self.roles.values(), key=lambda r: r.id),
            scopes=sorted(self.scopes.values(), key=lambda r: r.id),
            grants=[self.grants[k] for k in sorted(self.grants)],
            trusts=self.trusts,
            coverage=self.coverage,
        )


def policy_document(value: Any) -> dict[str, Any] | None:
    """A policy document given as an object or as the JSON text Terraform and CloudFormation carry."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return None
        return parsed if isinstance(parsed, dict) and within_depth(parsed) else None
    return None


def oidc_issuer(url: str) -> str:
    """An OIDC provider's URL as IAM names it in ARNs and condition keys: host and path, no scheme.

    ``https://token.actions.githubusercontent.com`` is ``token.actions.githubusercontent.com``:
    IAM stores the provider's URL that way, so its ARN is
    ``arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com`` and its token's
    subject is the condition key ``token.actions.githubusercontent.com:sub``.
    """
    parts = urlsplit(url if "://" in url else f"https://{url}")
    return (parts.netloc + parts.path).rstrip("/")


def oidc_provider_arn(url: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:oidc-provider/{oidc_issuer(url)}"
