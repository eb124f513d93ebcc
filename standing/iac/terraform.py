"""Terraform plan -> the estate before and after the change, for AWS, Google Cloud and Azure resources.

Pure: ``convert_plan(plan, now)`` reads nothing but the plan. Resource instances keep their
addresses as ids (``module.ci.aws_iam_access_key.this[0]``), so a finding names the resource
to fix and its fingerprint survives re-planning. Principals the change does not create
(an existing user named in ``user = "deploy"``) get an id from their name, the same before
and after the change.

Unknown-after-apply values: a reference to a resource in the same plan is followed through
the configuration; a value that decides a judgement (a policy document, a role, a principal
that cannot be resolved) becomes a ``skipped`` coverage entry, so the gate cannot report the
change clean. Secrets are never read: only a credential's existence, status and dates.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Callable

from standing.iac.change import IacChange
from standing.iac.estate import DEPLOY_ACCOUNT, Estate, SourceRef
from standing.collectors.azure.normalize import arm_scope_kind
from standing.iac.plan import Instance, Plan
from standing.scanner.model import CredentialKind, IdentityKind, Provider, Role, ScopeKind
from standing.scanner.privilege_azure import CONTRIBUTOR, OWNER, READER, RBAC_ADMINISTRATOR, USER_ACCESS_ADMINISTRATOR

AZURE_BUILT_IN_ROLES = {
    "Owner": OWNER,
    "Contributor": CONTRIBUTOR,
    "User Access Administrator": USER_ACCESS_ADMINISTRATOR,
    "Role Based Access Control Administrator": RBAC_ADMINISTRATOR,
    "Reader": READER,
}
# Microsoft Graph gives a password or certificate two years when no end date is set.
AZURE_DEFAULT_SECRET_LIFETIME = timedelta(days=730)
_GCP_SCOPES = {"project": ("projects", ScopeKind.PROJECT), "folder": ("folders", ScopeKind.FOLDER),
               "organization": ("organizations", ScopeKind.ORGANIZATION)}
_GCP_IAM = re.compile(r"^google_(project|folder|organization)_iam_(member|binding)$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def convert_plan(plan: Plan, now: datetime) -> IacChange:
    before = _View(plan, plan.before, now).estate()
    after_view = _View(plan, plan.after, now)
    after = after_view.estate()
    changed = {i.address for i in plan.after if i.changed}
    return IacChange(
        source=plan.source, kind="terraform-plan", before=before.inventory(), after=after.inventory(),
        refs={address: SourceRef(file=plan.source, address=address, line=plan.line_of(address))
              for address in changed},
        declared=after.declared, involved=after.involved,
    )


class _View:
    """One side of the change: instances in, an Estate out."""

    def __init__(self, plan: Plan, instances: list[Instance], now: datetime) -> None:
        self.plan = plan
        self.instances = instances
        self.now = now
        self.out = Estate(now=now)
        self.out.accounts |= plan.accounts
        self.account = next(iter(plan.accounts)) if len(plan.accounts) == 1 else DEPLOY_ACCOUNT
        self.by_type: dict[str, list[Instance]] = {}
        # Application address -> the service principal created for it (one identity, as in scans).
        self.app_principal: dict[str, str] = {}
        for instance in instances:
            self.by_type.setdefault(instance.type, []).append(instance)

    def estate(self) -> Estate:
        # Principals first, so credentials and grants can find them by name.
        for order in (_PRINCIPALS, _POLICIES, _LINKS):
            for type_name, handler in order.items():
                for instance in self.by_type.get(type_name, []):
                    self._guarded(handler, instance)
        for instance in self.instances:
            if _GCP_IAM.match(instance.type):
                self._guarded(_View._gcp_iam, instance)
            elif instance.changed and _IDENTITY_TYPES.match(instance.type) and instance.type not in SUPPORTED_TYPES \
                    and instance.type not in GRANTS_NOTHING:
                provider = _PROVIDER_OF.get(instance.type.split("_")[0], Provider.AWS)
                self.out.unknown(provider, instance.address, instance.type,
                                 "this resource type is not converted by standing; what it grants is not judged")
        return self.out

    def _guarded(self, handler: "Handler", instance: Instance) -> None:
        """A resource whose values have an unexpected shape is reported as not judged, never skipped."""
        try:
            handler(self, instance)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            provider = _PROVIDER_OF.get(instance.type.split("_")[0], Provider.AWS)
            self.out.unknown(provider, instance.address, instance.type,
                             f"its values could not be read ({exc.__class__.__name__}); not judged")

    # -- resolving what an attribute points at --------------------------------------------
    def target(self, instance: Instance, attribute: str, types: tuple[str, ...]) -> Instance | None:
        """The resource in this change that an attribute refers to (followed through config)."""
        for reference in self.plan.references(instance, attribute):
            if reference[1].split(".")[0] in types:
                found = self.plan.instance_for(self.instances, instance, reference)
                if found is not None:
                    return found
        return None

    def unresolved(self, instance: Instance, attribute: str, what: str, provider: Provider) -> None:
        self.out.unknown(provider, instance.address, attribute,
                         f"{what} is known only after apply and its reference could not be followed")

    # -- AWS --------------------------------------------------------------------------------
    def aws_principal(self, instance: Instance, attribute: str, kind: IdentityKind) -> str | None:
        resource_type = "aws_iam_user" if kind is IdentityKind.USER else "aws_iam_role"
        if attribute in instance.values and not instance.is_unknown(attribute):
            name = str(instance.values[attribute])
            name = name.rsplit("/", 1)[-1] if name.startswith("arn:") else name
            for candidate in self.by_type.get(resource_type, []):
                if candidate.known("name") == name:
                    return candidate.address
            label = "user" if kind is IdentityKind.USER else "role"
            return self.out.identity(None, id=f"aws:{label}/{name}", provider=Provider.AWS, kind=kind,
                                     name=name, account=self.account)
        found = self.target(instance, attribute, (resource_type,))
        return found.address if found is not None else None

    def aws_user(self, instance: Instance) -> None:
        self.out.identity(instance.address, id=instance.address, provider=Provider.AWS, kind=IdentityKind.USER,
                          name=instance.known("name") or instance.address, account=self.account,
                          tags=_tags(instance.known("tags")))

    def aws_role(self, instance: Instance) -> None:
        trust = instance.known("assume_role_policy")
        parsed = self.out.aws_trust(instance.address, instance.address, trust) if trust is not None else None
        self.out.identity(instance.address, id=instance.address, provider=Provider.AWS, kind=IdentityKind.ROLE,
                          name=instance.known("name") or instance.address, account=self.account,
                          tags=_tags(instance.known("tags")), trust_policy=parsed)
        if trust is None:
            self.unresolved(instance, "assume_role_policy", "the trust policy", Provider.AWS)
        for block in instance.known("inline_policy") or []:
            if isinstance(block, dict) and block.get("policy"):
                policy_id = f"{instance.address}#inline:{block.get('name') or 'policy'}"
                if self.out.aws_policy(instance.address, policy_id, str(block.get("name")), block["policy"]):
                    self.out.attach_aws(instance.address, instance.address, policy_id, self.account)
        for arn in instance.known("managed_policy_arns") or []:
            self.out.attach_aws(instance.address, instance.address,
                                self.out.aws_managed_policy(instance.address, str(arn)), self.account)

    def aws_access_key(self, instance: Instance) -> None:
        owner = self.aws_principal(instance, "user", IdentityKind.USER)
        if owner is None:
            owner = self._placeholder(instance, "user", Provider.AWS, IdentityKind.USER)
        self.out.credential(instance.address, identity_id=owner, kind=CredentialKind.ACCESS_KEY,
                            active=instance.known("status") != "Inactive", created=self._created(instance))

    def aws_policy(self, instance: Instance) -> None:
        document = instance.known("policy")
        if document is None:
            self.unresolved(instance, "policy", "the policy document", Provider.AWS)
            return
        self.out.aws_policy(instance.address, instance.address, instance.known("name") or instance.address, document)

    def aws_inline_policy(self, instance: Instance) -> None:
        kind = IdentityKind.USER if instance.type == "aws_iam_user_policy" else IdentityKind.ROLE
        attribute = "user" if kind is IdentityKind.USER else "role"
        holder = self.aws_principal(instance, attribute, kind)
        document = instance.known("policy")
        if holder is None or document is None:
            self.unresolved(instance, attribute if holder is None else "policy",
                            "the holder" if holder is None else "the policy document", Provider.AWS)
            return
        if self.out.aws_policy(instance.address, instance.address, instance.known("name") or instance.address,
                               document):
            self.out.attach_aws(instance.address, holder, instance.address, self.account)

    def aws_attachment(self, instance: Instance) -> None:
        policy = self._aws_policy_arn(instance)
        if policy is None:
            return
        if instance.type == "aws_iam_policy_attachment":
            holders = [(n, IdentityKind.USER) for n in instance.known("users") or []] + \
                      [(n, IdentityKind.ROLE) for n in instance.known("roles") or []]
            for name, kind in holders:
                label = "user" if kind is IdentityKind.USER else "role"
                holder = self._by_name(name, kind) or self.out.identity(
                    None, id=f"aws:{label}/{name}", provider=Provider.AWS, kind=kind, name=name, account=self.account)
                self.out.attach_aws(instance.address, holder, policy, self.account)
            return
        kind = IdentityKind.USER if instance.type == "aws_iam_user_policy_attachment" else IdentityKind.ROLE
        attribute = "user" if kind is IdentityKind.USER else "role"
        holder = self.aws_principal(instance, attribute, kind)
        if holder is None:
            self.unresolved(instance, attribute, "the holder", Provider.AWS)
            return
        self.out.attach_aws(instance.address, holder, policy, self.account)

    def _aws_policy_arn(self, instance: Instance) -> str | None:
        arn = instance.known("policy_arn")
        if arn is not None:
            for candidate in self.by_type.get("aws_iam_policy", []):
                if candidate.known("arn") == arn:
                    return candidate.address
            return self.out.aws_managed_policy(instance.address, str(arn))
        found = self.target(instance, "policy_arn", ("aws_iam_policy",))
        if found is None or found.address not in self.out.roles:
            self.unresolved(instance, "policy_arn", "the attached policy", Provider.AWS)
            return None
        return found.address

    def _by_name(self, name: str, kind: IdentityKind) -> str | None:
        resource_type = "aws_iam_user" if kind is IdentityKind.USER else "aws_iam_role"
        return next((c.address for c in self.by_type.get(resource_type, []) if c.known("name") == name), None)

    # -- Google Cloud ------------------------------------------------------------------------
    def gcp_service_account(self, instance: Instance) -> None:
        project = instance.known("project") or "unknown-project"
        email = instance.known("email") or (
            f"{instance.known('account_id')}@{project}.iam.gserviceaccount.com" if instance.known("account_id") else None)
        self.out.identity(instance.address, id=instance.address, provider=Provider.GCP,
                          kind=IdentityKind.SERVICE_ACCOUNT, name=email or instance.address, account=project,
                          tags={"email": email} if email else {})

    def gcp_key(self, instance: Instance) -> None:
        owner = None
        value = instance.known("service_account_id")
        if value is not None:
            owner = self._gcp_account(str(value).rsplit("/", 1)[-1])
        else:
            found = self.target(instance, "service_account_id", ("google_service_account",))
            owner = found.address if found else None
        if owner is None:
            owner = self._placeholder(instance, "service_account_id", Provider.GCP, IdentityKind.SERVICE_ACCOUNT)
        expires = _timestamp(instance.known("valid_before"))
        self.out.credential(instance.address, identity_id=owner, kind=CredentialKind.SA_KEY,
                            created=self._created(instance), expires=expires)

    def _gcp_account(self, email: str) -> str:
        for candidate in self.by_type.get("google_service_account", []):
            identity = self.out.identities.get(candidate.address)
            if identity is not None and identity.tags.get("email") == email:
                return candidate.address
        project = email.split("@", 1)[1].split(".", 1)[0] if "@" in email else "unknown-project"
        return self.out.identity(None, id=email, provider=Provider.GCP, kind=IdentityKind.SERVICE_ACCOUNT,
                                 name=email, account=project)

    def _gcp_iam(self, instance: Instance) -> None:
        level = _GCP_IAM.match(instance.type).group(1)  # type: ignore[union-attr]
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
            holders = [self._gcp_account(m.split(":", 1)[1]) for m in map(str, members)
                       if m.startswith("serviceAccount:")]
        condition = instance.known("condition")
        for holder in holders:
            if condition:
                continue  # a conditional binding (often time-bound) is not standing
            self.out.grant(instance.address, holder, str(role), scope_id)

    # -- Azure -------------------------------------------------------------------------------
    def azure_application(self, instance: Instance) -> None:
        name = instance.known("display_name") or instance.address
        self.out.identity(instance.address, id=instance.address, provider=Provider.AZURE,
                          kind=IdentityKind.SERVICE_PRINCIPAL, name=name, account="tenant")

    def azure_service_principal(self, instance: Instance) -> None:
        app = self.target(instance, "client_id", _AZURE_APPS) or self.target(instance, "application_id", _AZURE_APPS)
        name = instance.known("display_name") or (
            self.out.identities[app.address].name if app is not None and app.address in self.out.identities
            else instance.address)
        self.out.identity(instance.address, id=instance.address, provider=Provider.AZURE,
                          kind=IdentityKind.SERVICE_PRINCIPAL, name=name, account="tenant")
        if app is not None:
            self.app_principal[app.address] = instance.address

    def azure_managed_identity(self, instance: Instance) -> None:
        self.out.identity(instance.address, id=instance.address, provider=Provider.AZURE,
                          kind=IdentityKind.MANAGED_IDENTITY, name=instance.known("name") or instance.address,
                          account=str(instance.known("resource_group_name") or "unknown"))

    def azure_secret(self, instance: Instance) -> None:
        if instance.type.startswith("azuread_service_principal_"):
            found = self.target(instance, "service_principal_id", ("azuread_service_principal",))
            owner = found.address if found else None
        else:
            found = (self.target(instance, "application_id", _AZURE_APPS)
                     or self.target(instance, "application_object_id", _AZURE_APPS))
            owner = self.app_principal.get(found.address, found.address) if found else None
            existing = instance.known("application_id") or instance.known("application_object_id")
            if owner is None and existing:
                app_id = str(existing).rsplit("/", 1)[-1]
                owner = self.out.identity(None, id=app_id, provider=Provider.AZURE,
                                          kind=IdentityKind.SERVICE_PRINCIPAL, name=app_id, account="tenant")
        if owner is None:
            owner = self._placeholder(instance, "application_id", Provider.AZURE, IdentityKind.SERVICE_PRINCIPAL)
        created = _timestamp(instance.known("start_date")) or self._created(instance)
        expires = _timestamp(instance.known("end_date"))
        relative = _duration(instance.known("end_date_relative"))
        if expires is None and relative is not None:
            expires = created + relative
        if expires is None:
            expires = created + AZURE_DEFAULT_SECRET_LIFETIME
            self.out.unknown(Provider.AZURE, instance.address, "end_date",
                             "no end date known before apply; judged with the two-year default Azure applies")
        kind = CredentialKind.CERTIFICATE if instance.type.endswith("_certificate") else CredentialKind.CLIENT_SECRET
        self.out.credential(instance.address, identity_id=owner, kind=kind, created=created, expires=expires)

    def azure_role_assignment(self, instance: Instance) -> None:
        scope = instance.known("scope")
        role_id = instance.known("role_definition_id")
        role_name = instance.known("role_definition_name")
        if scope is None or (role_id is None and role_name is None):
            self.unresolved(instance, "scope" if scope is None else "role_definition_name", "the scope or role",
                            Provider.AZURE)
            return
        guid = str(role_id).rsplit("/", 1)[-1] if role_id else AZURE_BUILT_IN_ROLES.get(str(role_name))
        name = str(role_name) if role_name else next(
            (n for n, g in AZURE_BUILT_IN_ROLES.items() if g == guid), str(role_id))
        definition = f"/providers/Microsoft.Authorization/roleDefinitions/{guid or name}"
        self.out.role(Role(id=definition, provider=Provider.AZURE, name=name, provider_managed=guid is not None))
        scope_id = self.out.scope(str(scope), Provider.AZURE, arm_scope_kind(str(scope)))
        holder = self._azure_principal(instance)
        if holder is not None:
            self.out.grant(instance.address, holder, definition, scope_id)

    def _azure_principal(self, instance: Instance) -> str | None:
        principal = instance.known("principal_id")
        if principal is None:
            found = self.target(instance, "principal_id", _AZURE_PRINCIPALS)
            if found is None:
                self.unresolved(instance, "principal_id", "the principal", Provider.AZURE)
                return None
            return self.app_principal.get(found.address, found.address)
        for candidate in self.instances:
            if candidate.type in _AZURE_PRINCIPALS and principal in (
                    candidate.known("object_id"), candidate.known("principal_id")):
                return self.app_principal.get(candidate.address, candidate.address)
        principal_type = instance.known("principal_type")
        if principal_type != "ServicePrincipal":
            self.out.unknown(Provider.AZURE, instance.address, "principal_id",
                             f"principal {principal} is not created by this change and principal_type does not "
                             "say it is a service principal; not judged")
            return None
        return self.out.identity(None, id=str(principal), provider=Provider.AZURE,
                                 kind=IdentityKind.SERVICE_PRINCIPAL, name=str(principal), account="tenant")

    # -- shared ------------------------------------------------------------------------------
    def _created(self, instance: Instance) -> datetime | None:
        return self.now if instance.changed else None

    def _placeholder(self, instance: Instance, attribute: str, provider: Provider, kind: IdentityKind) -> str:
        """The holder of a credential whose owner cannot be known yet: still a standing secret."""
        self.unresolved(instance, attribute, "the credential's holder", provider)
        return self.out.identity(None, id=f"{instance.address}:holder", provider=provider, kind=kind,
                                 name=f"holder of {instance.address} (known after apply)", account=self.account)


_AZURE_APPS = ("azuread_application", "azuread_application_registration")
_AZURE_PRINCIPALS = ("azuread_service_principal", "azurerm_user_assigned_identity") + _AZURE_APPS

Handler = Callable[[_View, Instance], None]
_PRINCIPALS: dict[str, Handler] = {
    "aws_iam_user": _View.aws_user,
    "aws_iam_role": _View.aws_role,
    "google_service_account": _View.gcp_service_account,
    "azuread_application": _View.azure_application,
    "azuread_application_registration": _View.azure_application,
    "azuread_service_principal": _View.azure_service_principal,
    "azurerm_user_assigned_identity": _View.azure_managed_identity,
}
_POLICIES: dict[str, Handler] = {
    "aws_iam_policy": _View.aws_policy,
}
_LINKS: dict[str, Handler] = {
    "aws_iam_access_key": _View.aws_access_key,
    "aws_iam_role_policy": _View.aws_inline_policy,
    "aws_iam_user_policy": _View.aws_inline_policy,
    "aws_iam_role_policy_attachment": _View.aws_attachment,
    "aws_iam_user_policy_attachment": _View.aws_attachment,
    "aws_iam_policy_attachment": _View.aws_attachment,
    "google_service_account_key": _View.gcp_key,
    "azuread_application_password": _View.azure_secret,
    "azuread_service_principal_password": _View.azure_secret,
    "azuread_application_certificate": _View.azure_secret,
    "azuread_service_principal_certificate": _View.azure_secret,
    "azurerm_role_assignment": _View.azure_role_assignment,
}
SUPPORTED_TYPES = frozenset(_PRINCIPALS) | frozenset(_POLICIES) | frozenset(_LINKS)
# Identity-family resources that hold or grant nothing by themselves; any other unconverted
# identity resource a change creates is reported as not judged rather than passed.
GRANTS_NOTHING = frozenset({
    "aws_iam_account_alias", "aws_iam_account_password_policy", "aws_iam_group", "aws_iam_instance_profile",
    "aws_iam_openid_connect_provider", "aws_iam_saml_provider", "aws_iam_server_certificate",
    "aws_iam_service_linked_role", "aws_iam_virtual_mfa_device", "google_project_iam_custom_role",
    "google_organization_iam_custom_role", "google_project_iam_audit_config", "azuread_group", "azuread_user",
    "azuread_application_identifier_uri", "azuread_application_redirect_uris", "azuread_application_api_access",
    "azuread_application_federated_identity_credential", "azurerm_role_definition",
})
_IDENTITY_TYPES = re.compile(r"^(aws_iam_|google_(project|folder|organization|service_account)_iam_|"
                             r"google_service_account|azuread_|azurerm_role_|azurerm_user_assigned_identity)")
_PROVIDER_OF = {"aws": Provider.AWS, "google": Provider.GCP, "azuread": Provider.AZURE, "azurerm": Provider.AZURE}


def _tags(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _duration(value: Any) -> timedelta | None:
    """Terraform's relative durations: ``8760h``, ``90m``, ``3600s``."""
    match = _DURATION.match(value) if isinstance(value, str) and value else None
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)
