"""Terraform's Azure resources: app registrations and service principals, their passwords and
certificates, managed identities, and role assignments."""

from __future__ import annotations

from datetime import timedelta

from standing.collectors.azure.normalize import arm_scope_kind
from standing.collectors.iac.plan import Instance
from standing.collectors.iac.terraform_view import PlanView, duration, timestamp
from standing.core.azure_builtins import CONTRIBUTOR, OWNER, RBAC_ADMINISTRATOR, READER, USER_ACCESS_ADMINISTRATOR
from standing.core.model import CredentialKind, IdentityKind, Provider, Role

AZURE_BUILT_IN_ROLES = {
    "Owner": OWNER,
    "Contributor": CONTRIBUTOR,
    "User Access Administrator": USER_ACCESS_ADMINISTRATOR,
    "Role Based Access Control Administrator": RBAC_ADMINISTRATOR,
    "Reader": READER,
}
# Microsoft Graph gives a password or certificate two years when no end date is set.
AZURE_DEFAULT_SECRET_LIFETIME = timedelta(days=730)
AZURE_APPS = ("azuread_application", "azuread_application_registration")
AZURE_PRINCIPALS = ("azuread_service_principal", "azurerm_user_assigned_identity") + AZURE_APPS


class AzureResources(PlanView):
    def azure_application(self, instance: Instance) -> None:
        name = instance.known("display_name") or instance.address
        self.out.identity(
            instance.address,
            id=instance.address,
            provider=Provider.AZURE,
            kind=IdentityKind.SERVICE_PRINCIPAL,
            name=name,
            account="tenant",
        )

    def azure_service_principal(self, instance: Instance) -> None:
        app = self.target(instance, "client_id", AZURE_APPS) or self.target(instance, "application_id", AZURE_APPS)
        name = instance.known("display_name") or (
            self.out.identities[app.address].name
            if app is not None and app.address in self.out.identities
            else instance.address
        )
        self.out.identity(
            instance.address,
            id=instance.address,
            provider=Provider.AZURE,
            kind=IdentityKind.SERVICE_PRINCIPAL,
            name=name,
            account="tenant",
        )
        if app is not None:
            self.app_principal[app.address] = instance.address

    def azure_managed_identity(self, instance: Instance) -> None:
        self.out.identity(
            instance.address,
            id=instance.address,
            provider=Provider.AZURE,
            kind=IdentityKind.MANAGED_IDENTITY,
            name=instance.known("name") or instance.address,
            account=str(instance.known("resource_group_name") or "unknown"),
        )

    def azure_secret(self, instance: Instance) -> None:
        if instance.type.startswith("azuread_service_principal_"):
            found = self.target(instance, "service_principal_id", ("azuread_service_principal",))
            owner = found.address if found else None
        else:
            found = self.target(instance, "application_id", AZURE_APPS) or self.target(
                instance, "application_object_id", AZURE_APPS
            )
            owner = self.app_principal.get(found.address, found.address) if found else None
            existing = instance.known("application_id") or instance.known("application_object_id")
            if owner is None and existing:
                app_id = str(existing).rsplit("/", 1)[-1]
                owner = self.out.identity(
                    None,
                    id=app_id,
                    provider=Provider.AZURE,
                    kind=IdentityKind.SERVICE_PRINCIPAL,
                    name=app_id,
                    account="tenant",
                )
        if owner is None:
            owner = self.placeholder(instance, "application_id", Provider.AZURE, IdentityKind.SERVICE_PRINCIPAL)
        created = timestamp(instance.known("start_date")) or self.created(instance)
        expires = timestamp(instance.known("end_date"))
        relative = duration(instance.known("end_date_relative"))
        if expires is None and created is None:
            # A secret already in the state with neither date: its lifetime cannot be worked out,
            # so it is kept as a standing secret of unknown end (judged as never expiring), not dropped.
            self.out.unknown(
                Provider.AZURE,
                instance.address,
                "end_date",
                "neither start nor end date is known; judged as a secret that never expires",
            )
        elif expires is None and created is not None and relative is not None:
            expires = created + relative
        elif expires is None and created is not None:
            expires = created + AZURE_DEFAULT_SECRET_LIFETIME
            self.out.unknown(
                Provider.AZURE,
                instance.address,
                "end_date",
                "no end date known before apply; judged with the two-year default Azure applies",
            )
        kind = CredentialKind.CERTIFICATE if instance.type.endswith("_certificate") else CredentialKind.CLIENT_SECRET
        self.out.credential(instance.address, identity_id=owner, kind=kind, created=created, expires=expires)

    def azure_role_assignment(self, instance: Instance) -> None:
        scope = instance.known("scope")
        role_id = instance.known("role_definition_id")
        role_name = instance.known("role_definition_name")
        if scope is None or (role_id is None and role_name is None):
            self.unresolved(
                instance, "scope" if scope is None else "role_definition_name", "the scope or role", Provider.AZURE
            )
            return
        guid = str(role_id).rsplit("/", 1)[-1] if role_id else AZURE_BUILT_IN_ROLES.get(str(role_name))
        name = (
            str(role_name)
            if role_name
            else next((n for n, g in AZURE_BUILT_IN_ROLES.items() if g == guid), str(role_id))
        )
        definition = f"/providers/Microsoft.Authorization/roleDefinitions/{guid or name}"
        self.out.role(Role(id=definition, provider=Provider.AZURE, name=name, provider_managed=guid is not None))
        scope_id = self.out.scope(str(scope), Provider.AZURE, arm_scope_kind(str(scope)))
        holder = self._azure_principal(instance)
        if holder is not None:
            self.out.grant(instance.address, holder, definition, scope_id)

    def _azure_principal(self, instance: Instance) -> str | None:
        principal = instance.known("principal_id")
        if principal is None:
            found = self.target(instance, "principal_id", AZURE_PRINCIPALS)
            if found is None:
                self.unresolved(instance, "principal_id", "the principal", Provider.AZURE)
                return None
            return self.app_principal.get(found.address, found.address)
        matches = [self.index.first_with(AZURE_PRINCIPALS, key, principal) for key in ("object_id", "principal_id")]
        first = sorted((m for m in matches if m is not None), key=lambda m: m[0])  # the first in the plan
        if first:
            address = first[0][1].address
            return self.app_principal.get(address, address)
        principal_type = instance.known("principal_type")
        if principal_type != "ServicePrincipal":
            self.out.unknown(
                Provider.AZURE,
                instance.address,
                "principal_id",
                f"principal {principal} is not created by this change and principal_type does not "
                "say it is a service principal; not judged",
            )
            return None
        return self.out.identity(
            None,
            id=str(principal),
            provider=Provider.AZURE,
            kind=IdentityKind.SERVICE_PRINCIPAL,
            name=str(principal),
            account="tenant",
        )
