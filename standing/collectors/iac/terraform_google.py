"""Terraform's Google Cloud resources: service accounts, their keys, and IAM bindings on containers."""

from __future__ import annotations

import re

from standing.collectors.gcp.normalize import grant_duration
from standing.collectors.iac.plan import Instance
from standing.collectors.iac.terraform_view import PlanView, timestamp
from standing.core.model import CredentialKind, IdentityKind, Provider, Role, ScopeKind

_GCP_SCOPES = {
    "project": ("projects", ScopeKind.PROJECT),
    "folder": ("folders", ScopeKind.FOLDER),
    "organization": ("organizations", ScopeKind.ORGANIZATION),
}
GCP_IAM = re.compile(r"^google_(project|folder|organization)_iam_(member|binding)$")


class GoogleResources(PlanView):
    _emails: dict[str, str] | None = None  # service account email -> its address, once they are converted

    def gcp_service_account(self, instance: Instance) -> None:
        project = instance.known("project") or "unknown-project"
        email = instance.known("email") or (
            f"{instance.known('account_id')}@{project}.iam.gserviceaccount.com"
            if instance.known("account_id")
            else None
        )
        self.out.identity(
            instance.address,
            id=instance.address,
            provider=Provider.GCP,
            kind=IdentityKind.SERVICE_ACCOUNT,
            name=email or instance.address,
            account=project,
            tags={"email": email} if email else {},
        )

    def gcp_key(self, instance: Instance) -> None:
        owner = None
        value = instance.known("service_account_id")
        if value is not None:
            owner = self._gcp_account(str(value).rsplit("/", 1)[-1])
        else:
            found = self.target(instance, "service_account_id", ("google_service_account",))
            owner = found.address if found else None
        if owner is None:
            owner = self.placeholder(instance, "service_account_id", Provider.GCP, IdentityKind.SERVICE_ACCOUNT)
        expires = timestamp(instance.known("valid_before"))
        self.out.credential(
            instance.address,
            identity_id=owner,
            kind=CredentialKind.SA_KEY,
            created=self.created(instance),
            expires=expires,
        )

    def _gcp_account(self, email: str) -> str:
        if self._emails is None:  # indexed once, after the service accounts are converted
            self._emails = {}
            for candidate in self.by_type.get("google_service_account", []):
                identity = self.out.identities.get(candidate.address)
                if identity is not None and "email" in identity.tags:
                    self._emails.setdefault(identity.tags["email"], candidate.address)
        if email in self._emails:
            return self._emails[email]
        project = email.split("@", 1)[1].split(".", 1)[0] if "@" in email else "unknown-project"
        return self.out.identity(
            None, id=email, provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT, name=email, account=project
        )

    def gcp_iam(self, instance: Instance) -> None:
        level = GCP_IAM.match(instance.type).group(1)  # type: ignore[union-attr]
        prefix, kind = _GCP_SCOPES[level]
        container = instance.known(level if level != "organization" else "org_id")
        role = instance.known("role")
        if container is None or role is None:
            self.unresolved(instance, level if container is None else "role", f"the {level} or role", Provider.GCP)
            return
        container = str(container)
        scope_id = container if container.startswith(f"{prefix}/") else f"{prefix}/{container}"
        self.out.scope(scope_id, Provider.GCP, kind)
        self.out.role(Role(id=str(role), provider=Provider.GCP, name=str(role), provider_managed=True))
        attribute = "member" if instance.type.endswith("_member") else "members"
        members = instance.known(attribute)
        if members is None:
            found = self.target(instance, attribute, ("google_service_account",))
            if found is None:
                self.unresolved(instance, attribute, "the member", Provider.GCP)
                return
            holders = [found.address]
        else:
            members = members if isinstance(members, list) else [members]
            holders = [
                self._gcp_account(m.split(":", 1)[1]) for m in map(str, members) if m.startswith("serviceAccount:")
            ]
        blocks = instance.known("condition") or []
        expression = str(blocks[0].get("expression") or "") if blocks and isinstance(blocks[0], dict) else None
        duration, expires = grant_duration(expression)  # judged as a scan judges the same binding
        for holder in holders:
            self.out.grant(
                instance.address,
                holder,
                str(role),
                scope_id,
                duration=duration,
                expires=expires,
                condition=expression or None,
            )
