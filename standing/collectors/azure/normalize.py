"""Pure: a raw Azure tenant bundle -> Inventory.

One canonical identity per app + service principal: the **service principal's object id**
is ``Identity.id`` (it is the principal that role assignments and app-role grants name),
and the application's secrets, certificates, federated credentials and owners attach to it,
because an app's credentials sign in as its service principal in this tenant. The app's
``appId`` and object id are kept in ``tags``. An app registered here without a service
principal in this tenant is keyed by the app object id instead.

Ids: ARM ids are lower-cased (ARM compares them case-insensitively), role definitions are
keyed tenant-wide as ``/providers/microsoft.authorization/roledefinitions/<guid>``, and
the Entra directory is the scope ``entra:<tenant id>``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from standing.collectors.azure.guardrails import normalize_deny_assignments
from standing.collectors.azure.raw import GRAPH_APP_ID, RawTenant
from standing.collectors.azure.recommendations import SOURCE, UNUSED_WINDOW_DAYS, unused_credentials
from standing.collectors.azure.workloads import workloads
from standing.core.model import (
    Credential,
    CredentialKind,
    Grant,
    GrantDuration,
    Identity,
    IdentityKind,
    Inventory,
    Membership,
    Provider,
    Role,
    ScanMeta,
    Scope,
    ScopeKind,
    Trust,
    TrustKind,
    UnusedReport,
    UsageStatus,
)
from standing.core.trust_conditions import federated_credential_block

MICROSOFT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"  # owner of Microsoft's first-party apps
ROLE_DEFINITION_PREFIX = "/providers/microsoft.authorization/roledefinitions/"
# Well-known Microsoft Graph application permissions, for exports that lack the Graph SP's appRoles.
GRAPH_APP_ROLES = {
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30": "Application.Read.All",
}
_GRAPH_USER = "#microsoft.graph.user"
_FRACTION = re.compile(r"(\.\d{6})\d+")
_SHORT_OFFSET = re.compile(r"([+-])(\d):(\d\d)$")  # '-8:00', as Graph's beta report examples write it
_SUBSCRIPTION_ALIAS = "/providers/microsoft.subscription/subscriptions/"


def parse_time(value: Any) -> datetime | None:
    """Graph/ARM timestamps ('Z', up to 7 fractional digits) as aware UTC; None stays None."""
    if not value:
        return None
    text = _FRACTION.sub(r"\1", str(value).replace("Z", "+00:00"))
    text = _SHORT_OFFSET.sub(r"\g<1>0\2:\3", text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _time_or_none(value: Any) -> datetime | None:
    """A timestamp from free text (Graph's ``additionalDetails``): unreadable is unknown, never a crash."""
    try:
        return parse_time(value)
    except (ValueError, TypeError):
        return None


def _expiry(value: Any) -> datetime | None:
    """An end date; Graph writes 'never' as a date in year 9999, which is None here."""
    when = parse_time(value)
    return None if when is None or when.year >= 9999 else when


def role_definition_id(value: str) -> str:
    """Any form of a role definition id (scoped path or bare GUID) -> the tenant-wide key."""
    guid = value.rstrip("/").rsplit("/", 1)[-1].lower()
    return f"{ROLE_DEFINITION_PREFIX}{guid}"


def arm_id(value: str) -> str:
    """Lower-cased, and ``/providers/Microsoft.Subscription/subscriptions/<id>`` (the alias PIM
    schedules use) written as ``/subscriptions/<id>``: one subscription, one id."""
    text = value.rstrip("/").lower() or "/"
    if text.startswith(_SUBSCRIPTION_ALIAS):
        text = "/subscriptions/" + text[len(_SUBSCRIPTION_ALIAS) :]
    return text


def entra_scope(tenant_id: str, directory_scope: str = "/") -> str:
    return f"entra:{tenant_id}" if directory_scope in ("", "/") else f"entra:{tenant_id}{directory_scope}"


def arm_scope_kind(scope_id: str) -> ScopeKind:
    parts = [p for p in scope_id.lower().split("/") if p]
    if not parts:
        return ScopeKind.TENANT
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"] and len(parts) == 4:
        return ScopeKind.MANAGEMENT_GROUP
    if parts[0] == "subscriptions" and len(parts) == 2:
        return ScopeKind.SUBSCRIPTION
    return ScopeKind.RESOURCE


def _arm_parent(scope_id: str) -> str | None:
    parts = [p for p in scope_id.split("/") if p]
    if parts and parts[0] == "subscriptions" and len(parts) > 2:
        # resource group -> subscription; resource -> its resource group
        return "/" + "/".join(parts[:2] if len(parts) <= 4 else parts[:4])
    return None


class _Builder:
    def __init__(self, raw: RawTenant, now: datetime) -> None:
        self.raw = raw
        self.now = now
        self.tenant = raw.tenant_id
        self.identities: dict[str, Identity] = {}
        self.credentials: dict[str, Credential] = {}
        self.roles: dict[str, Role] = {}
        self.scopes: dict[str, Scope] = {}
        self.grants: dict[tuple[str, str, str], Grant] = {}
        self.trusts: list[Trust] = []
        self.memberships: list[Membership] = []
        self.app_to_identity: dict[str, str] = {}  # application object id -> identity id
        # An application record without an object id (Microsoft's shortened examples) is
        # keyed by its appId rather than dropped; it then has no object id to report.
        self.applications = [
            {**a, "id": a.get("id") or a["appId"]} for a in raw.applications or [] if a.get("id") or a.get("appId")
        ]
        self._no_object_id = {a["appId"] for a in raw.applications or [] if not a.get("id") and a.get("appId")}
        self.appid_to_identity: dict[str, str] = {}  # appId -> identity id

    # -- identities ----------------------------------------------------------------------
    def service_principals(self) -> None:
        apps_by_appid = {a.get("appId"): a for a in self.applications}
        for sp in self.raw.service_principals or []:
            sp_type = sp.get("servicePrincipalType") or "Application"
            app = apps_by_appid.get(sp.get("appId"))
            owner_org = sp.get("appOwnerOrganizationId")
            tags = {"entra.objectType": "servicePrincipal", "entra.servicePrincipalType": sp_type}
            if sp.get("appId"):
                tags["entra.appId"] = sp["appId"]
            if app is not None and app["id"] not in self._no_object_id:
                tags["entra.applicationObjectId"] = app["id"]
            if owner_org and owner_org.lower() not in (self.tenant.lower(), MICROSOFT_TENANT):
                tags["entra.thirdParty"] = owner_org
            identity = Identity(
                id=sp["id"].lower(),
                provider=Provider.AZURE,
                kind=IdentityKind.MANAGED_IDENTITY if sp_type == "ManagedIdentity" else IdentityKind.SERVICE_PRINCIPAL,
                account=self.tenant,
                name=sp.get("displayName") or sp["id"],
                created=parse_time(app.get("createdDateTime")) if app else None,
                tags=tags,
                human=False,
                provider_managed=(owner_org or "").lower() == MICROSOFT_TENANT,
                disabled=sp.get("accountEnabled") is False,
                aliases=[sp["appId"].lower()] if sp.get("appId") else [],
            )
            self.identities[identity.id] = identity
            if app is not None:
                self.app_to_identity[app["id"]] = identity.id
            if sp.get("appId"):
                self.appid_to_identity[sp["appId"]] = identity.id
        for app in self.applications:
            if app["id"] in self.app_to_identity:
                continue
            identity = Identity(
                id=app["id"].lower(),
                provider=Provider.AZURE,
                kind=IdentityKind.SERVICE_PRINCIPAL,
                account=self.tenant,
                name=app.get("displayName") or app["id"],
                created=parse_time(app.get("createdDateTime")),
                human=False,
                tags={
                    "entra.objectType": "application",
                    "entra.appId": app.get("appId", ""),
                    **({} if app["id"] in self._no_object_id else {"entra.applicationObjectId": app["id"]}),
                },
            )
            self.identities[identity.id] = identity
            self.app_to_identity[app["id"]] = identity.id
            self.appid_to_identity.setdefault(app.get("appId", ""), identity.id)

    def managed_identities(self) -> None:
        for mi in self.raw.user_assigned_identities or []:
            principal = str(mi.get("principalId") or "").lower()
            if not principal:
                continue
            tags = {
                "azure.resourceId": arm_id(mi["id"]),
                "entra.servicePrincipalType": "ManagedIdentity",
                "azure.managedIdentity": "userAssigned",
            }
            if mi.get("clientId"):
                tags["entra.appId"] = mi["clientId"]
            known = self.identities.get(principal)
            self.identities[principal] = Identity(
                id=principal,
                provider=Provider.AZURE,
                kind=IdentityKind.MANAGED_IDENTITY,
                account=self.tenant,
                name=mi.get("name") or principal,
                human=False,
                tags={**(known.tags if known else {}), **tags},
                disabled=known.disabled if known else False,
                aliases=sorted(
                    {*(known.aliases if known else []), *([mi["clientId"].lower()] if mi.get("clientId") else [])}
                ),
            )
            for fic in (self.raw.identity_federated_credentials or {}).get(mi["id"], []):
                self._federated(principal, arm_id(fic["id"]), fic)

    # -- credentials ---------------------------------------------------------------------
    def secrets(self) -> None:
        for app in self.applications:
            owner = self.app_to_identity[app["id"]]
            self._secrets(owner, app)
            for fic in (self.raw.app_federated_credentials or {}).get(app["id"], []):
                self._federated(owner, str(fic["id"]).lower(), fic)
        for sp in self.raw.service_principals or []:
            self._secrets(sp["id"].lower(), sp)

    def _secrets(self, owner: str, obj: dict[str, Any]) -> None:
        identity = self.identities[owner]
        # SAML token-signing certificates (usage Sign) and the Verify key and password
        # generated with them authenticate nobody to Entra; they share a customKeyIdentifier.
        signing = {k.get("customKeyIdentifier") for k in obj.get("keyCredentials") or [] if k.get("usage") == "Sign"}
        for kind, field in (
            (CredentialKind.CLIENT_SECRET, "passwordCredentials"),
            (CredentialKind.CERTIFICATE, "keyCredentials"),
        ):
            for item in obj.get(field) or []:
                if item.get("usage") == "Sign" or (signing and item.get("customKeyIdentifier") in signing):
                    continue
                expires = _expiry(item.get("endDateTime"))
                cred = Credential(
                    id=str(item["keyId"]).lower(),
                    identity_id=owner,
                    kind=kind,
                    active=not identity.disabled and (expires is None or expires > self.now),
                    created=parse_time(item.get("startDateTime")),
                    expires=expires,
                )
                self.credentials[cred.id] = cred

    def _federated(self, owner: str, cred_id: str, fic: dict[str, Any]) -> None:
        identity = self.identities[owner]
        self.credentials[cred_id] = Credential(
            id=cred_id, identity_id=owner, kind=CredentialKind.FEDERATED, active=not identity.disabled
        )
        issuer_url = str(fic.get("issuer") or "")
        subject = fic.get("subject")
        issuer, conditions = federated_credential_block(fic)
        self.trusts.append(
            Trust(
                target_id=owner,
                principal=f"{issuer_url}#{subject or '*'}",
                kind=TrustKind.OIDC,
                issuer=issuer,
                actions=["federated sign-in"],
                conditions=conditions,
            )
        )

    def sign_ins(self) -> None:
        """Last use from Graph's (beta) sign-in activity reports; no entry stays unknown.

        ``servicePrincipalSignInActivity`` and ``appCredentialSignInActivity`` document no
        retention window (https://learn.microsoft.com/graph/api/resources/serviceprincipalsigninactivity);
        the only window Graph states is for users' ``signInActivity`` (non-interactive sign-ins kept
        since May 2020, https://learn.microsoft.com/graph/api/resources/signinactivity), which says
        nothing about workloads. So an absent entry is not read as "never" or as "not used in N days".
        """
        for activity in self.raw.sp_sign_ins or []:
            ident_id = self.appid_to_identity.get(activity.get("appId", ""))
            if ident_id is None:
                continue
            dates = [
                parse_time((activity.get(k) or {}).get("lastSignInDateTime"))
                for k in activity
                if k.endswith("Activity") and isinstance(activity.get(k), dict)
            ]
            last = max((d for d in dates if d), default=None)
            if last is not None:
                self.identities[ident_id] = self.identities[ident_id].model_copy(
                    update={"last_used": last, "last_used_status": UsageStatus.USED}
                )
        for activity in self.raw.credential_sign_ins or []:
            cred = self.credentials.get(str(activity.get("keyId", "")).lower())
            last = parse_time((activity.get("signInActivity") or {}).get("lastSignInDateTime"))
            if cred is not None and last is not None:
                self.credentials[cred.id] = cred.model_copy(
                    update={"last_used": last, "last_used_status": UsageStatus.USED}
                )

    def entra_unused(self) -> None:
        """Credentials Entra's open ``staleAppCreds`` recommendation names: the report is kept on
        the credential as evidence, and a use the sign-in report did not date becomes "no use
        in the last 30 days" (Entra's window) so the rules judge it by their own limits.

        Never on a managed identity (its certificate is Azure's, never a standing secret), never
        on a credential of another app than the one the resource names, and a dated use from the
        sign-in report is never overwritten.
        """
        by_app = {k.lower(): v for k, v in self.appid_to_identity.items() if k}
        for report in unused_credentials(self.raw.directory_recommendations, self.raw.recommendation_resources):
            cred = self.credentials.get(report.key_id)
            if cred is None or cred.kind not in (CredentialKind.CLIENT_SECRET, CredentialKind.CERTIFICATE):
                continue
            if not cred.user_managed or self.identities[cred.identity_id].kind is IdentityKind.MANAGED_IDENTITY:
                continue
            if report.app_id is not None and by_app.get(report.app_id) != cred.identity_id:
                continue
            last_active = _time_or_none(report.last_active)
            update: dict[str, Any] = {
                "reported_unused": UnusedReport(
                    source=SOURCE,
                    reference=report.recommendation_id,
                    window_days=UNUSED_WINDOW_DAYS,
                    reported_at=_time_or_none(report.reported_at),
                    last_active=last_active,
                )
            }
            if cred.last_used_status is UsageStatus.UNKNOWN:
                if last_active is not None:
                    update |= {"last_used": last_active, "last_used_status": UsageStatus.USED}
                else:
                    update |= {"last_used_status": UsageStatus.NOT_IN_WINDOW, "usage_window_days": UNUSED_WINDOW_DAYS}
            self.credentials[cred.id] = cred.model_copy(update=update)

    # -- owners ----------------------------------------------------------------------------
    def owners(self) -> None:
        for app_id, owners in (self.raw.app_owners or {}).items():
            target = self.app_to_identity.get(app_id)
            if target is None:
                continue
            for owner in owners:
                owner_id = str(owner["id"]).lower()
                if owner.get("@odata.type") == _GRAPH_USER:
                    self._person(owner_id, owner.get("userPrincipalName") or owner.get("displayName"))
                self.trusts.append(
                    Trust(
                        target_id=target,
                        principal=owner_id,
                        kind=TrustKind.OWNER,
                        actions=["add credentials to the application"],
                    )
                )

    def _person(self, object_id: str, name: str | None) -> None:
        """An Entra user: a person, counted and never judged (core/people.py)."""
        if object_id and object_id not in self.identities:
            self.identities[object_id] = Identity(
                id=object_id,
                provider=Provider.AZURE,
                kind=IdentityKind.USER,
                account=self.tenant,
                name=name or object_id,
                human=True,
                tags={"entra.objectType": "user"},
            )

    def people(self) -> None:
        """Entra users seen holding a role (ARM or directory) or in a role-holding group."""
        for record in [
            *(self.raw.role_assignments or []),
            *(self.raw.assignment_schedules or []),
            *(self.raw.eligibility_schedules or []),
        ]:
            if record.get("principalType") == "User":
                self._person(str(record.get("principalId") or "").lower(), record.get("principalName"))
        for record in [
            *(self.raw.directory_role_assignments or []),
            *(self.raw.directory_eligibility_schedules or []),
        ]:
            principal = record.get("principal") or {}  # present when read with $expand=principal
            if principal.get("@odata.type") == _GRAPH_USER:
                self._person(
                    str(record.get("principalId") or "").lower(),
                    principal.get("userPrincipalName") or principal.get("displayName"),
                )
        for members in (self.raw.group_members or {}).values():
            for member in members:
                if member.get("@odata.type") == _GRAPH_USER:
                    self._person(
                        str(member.get("id") or "").lower(),
                        member.get("userPrincipalName") or member.get("displayName"),
                    )

    def groups(self) -> None:
        """Groups that hold Azure roles, and the workloads in them (transitively)."""
        for group_id, members in (self.raw.group_members or {}).items():
            gid = group_id.lower()
            self.identities.setdefault(
                gid,
                Identity(
                    id=gid,
                    provider=Provider.AZURE,
                    kind=IdentityKind.GROUP,
                    account=self.tenant,
                    name=f"group {gid}",
                    tags={"entra.objectType": "group"},
                ),
            )
            for member in members:
                member_id = str(member.get("id") or "").lower()
                if member_id in self.identities and member_id != gid:
                    self.memberships.append(Membership(member_id=member_id, group_id=gid))

    # -- roles, scopes, grants --------------------------------------------------------------
    def scopes_from_hierarchy(self) -> None:
        parents: dict[str, str] = {}
        for group in self.raw.management_groups or []:
            gid = arm_id(group["id"])
            parent = ((group.get("details") or {}).get("parent") or {}).get("id")
            self.scopes[gid] = Scope(
                id=gid,
                provider=Provider.AZURE,
                kind=ScopeKind.MANAGEMENT_GROUP,
                name=group.get("displayName") or group.get("name") or gid,
                parent_id=arm_id(parent) if parent else None,
            )
            for child in group.get("children") or []:
                parents[arm_id(child["id"])] = gid
        for sub in self.raw.subscriptions or []:
            sid = arm_id(sub["id"])
            self.scopes[sid] = Scope(
                id=sid,
                provider=Provider.AZURE,
                kind=ScopeKind.SUBSCRIPTION,
                name=sub.get("displayName") or sid,
                parent_id=parents.get(sid),
            )
        tenant_scope = entra_scope(self.tenant)
        self.scopes[tenant_scope] = Scope(
            id=tenant_scope, provider=Provider.AZURE, kind=ScopeKind.TENANT, name=f"Entra ID tenant {self.tenant}"
        )

    def _scope(self, scope_id: str) -> str:
        if scope_id not in self.scopes:
            self.scopes[scope_id] = Scope(
                id=scope_id,
                provider=Provider.AZURE,
                kind=arm_scope_kind(scope_id),
                name=scope_id.rsplit("/", 1)[-1] or "/",
                parent_id=_arm_parent(scope_id),
            )
        return scope_id

    def arm_roles(self) -> None:
        for definition in self.raw.role_definitions or []:
            rid = role_definition_id(definition.get("name") or definition["id"])
            permissions = definition.get("permissions") or []
            self.roles[rid] = Role(
                id=rid,
                provider=Provider.AZURE,
                name=definition.get("roleName") or rid,
                documents=[
                    {
                        "kind": "arm-role-definition",
                        "roleType": definition.get("roleType"),
                        "permissions": permissions,
                        "assignableScopes": definition.get("assignableScopes") or [],
                    }
                ],
                permissions=sorted({a for p in permissions for a in p.get("actions") or []}),
                provider_managed=definition.get("roleType") == "BuiltInRole",
            )

    def _arm_role(self, role_id: str, name: str | None) -> str:
        rid = role_definition_id(role_id)
        if rid not in self.roles:  # definition not read (denied, or an export without it)
            self.roles[rid] = Role(
                id=rid,
                provider=Provider.AZURE,
                name=name or rid.rsplit("/", 1)[-1],
                documents=[{"kind": "arm-role-definition"}],
            )
        return rid

    def arm_grants(self) -> None:
        for schedule in self.raw.eligibility_schedules or []:
            self._arm_grant(schedule, GrantDuration.ELIGIBLE)
        for schedule in self.raw.assignment_schedules or []:
            end = parse_time(schedule.get("endDateTime"))
            bound = end is not None or schedule.get("assignmentType") == "Activated"
            self._arm_grant(schedule, GrantDuration.TIME_BOUND if bound else GrantDuration.STANDING)
        for assignment in self.raw.role_assignments or []:
            self._arm_grant(assignment, GrantDuration.STANDING)

    def _arm_grant(self, record: dict[str, Any], duration: GrantDuration) -> None:
        principal = str(record.get("principalId") or "").lower()
        if principal not in self.identities or not record.get("roleDefinitionId"):
            return
        role = self._arm_role(record["roleDefinitionId"], record.get("roleDefinitionName"))
        scope = self._scope(arm_id(record.get("scope") or "/"))
        key = (principal, role, scope)
        if duration is GrantDuration.ELIGIBLE:
            key = (principal, role, scope + "#eligible")
        elif key in self.grants:
            return  # an active schedule already said how long; the assignment is the same grant
        self.grants[key] = Grant(
            principal_id=principal,
            role_id=role,
            scope_id=scope,
            duration=duration,
            expires=parse_time(record.get("endDateTime")) if duration is not GrantDuration.STANDING else None,
            condition=record.get("condition"),
        )

    def graph_grants(self) -> None:
        names: dict[tuple[str, str], str] = {}
        for sp in self.raw.service_principals or []:
            for app_role in sp.get("appRoles") or []:
                names[(sp["id"].lower(), str(app_role.get("id")).lower())] = app_role.get("value") or ""
        tenant_scope = entra_scope(self.tenant)
        for assignment in self.raw.graph_app_role_assignments or []:
            principal = str(assignment.get("principalId") or "").lower()
            if principal not in self.identities:
                continue
            resource = str(assignment.get("resourceId") or "").lower()
            app_role = str(assignment.get("appRoleId") or "").lower()
            value = names.get((resource, app_role)) or GRAPH_APP_ROLES.get(app_role) or app_role
            rid = f"approle:{resource}/{app_role}"
            self.roles.setdefault(
                rid,
                Role(
                    id=rid,
                    provider=Provider.AZURE,
                    name=value,
                    permissions=[value],
                    documents=[
                        {
                            "kind": "graph-app-role",
                            "resourceAppId": GRAPH_APP_ID,
                            "resource": assignment.get("resourceDisplayName"),
                            "value": value,
                        }
                    ],
                    provider_managed=True,
                ),
            )
            self.grants[(principal, rid, tenant_scope)] = Grant(
                principal_id=principal, role_id=rid, scope_id=tenant_scope
            )

    def directory_grants(self) -> None:
        """Entra directory roles: active assignments, classified by PIM instances; eligible schedules."""
        definitions = {d["id"]: d for d in self.raw.directory_role_definitions or []}
        bounded: dict[tuple[str, str, str], datetime | None] = {}
        for instance in self.raw.directory_assignment_instances or []:
            end = parse_time(instance.get("endDateTime"))
            if end is not None or instance.get("assignmentType") == "Activated":
                bounded[_directory_key(instance)] = end
        for schedule in self.raw.directory_eligibility_schedules or []:
            until = (schedule.get("scheduleInfo") or {}).get("expiration") or {}
            self._directory_grant(schedule, definitions, GrantDuration.ELIGIBLE, parse_time(until.get("endDateTime")))
        for assignment in self.raw.directory_role_assignments or []:
            key = _directory_key(assignment)
            if key in bounded:
                self._directory_grant(assignment, definitions, GrantDuration.TIME_BOUND, bounded[key])
            else:
                self._directory_grant(assignment, definitions, GrantDuration.STANDING, None)

    def _directory_grant(
        self,
        record: dict[str, Any],
        definitions: dict[str, dict[str, Any]],
        duration: GrantDuration,
        expires: datetime | None,
    ) -> None:
        principal = str(record.get("principalId") or "").lower()
        if principal not in self.identities:
            return
        definition = record.get("roleDefinition") or definitions.get(record.get("roleDefinitionId") or "", {})
        template = str(definition.get("templateId") or record.get("roleDefinitionId") or "").lower()
        rid = f"directoryrole:{template}"
        self.roles.setdefault(
            rid,
            Role(
                id=rid,
                provider=Provider.AZURE,
                name=definition.get("displayName") or template,
                documents=[{"kind": "directory-role", "templateId": template}],
                provider_managed=bool(definition.get("isBuiltIn", True)),
            ),
        )
        scope = entra_scope(self.tenant, record.get("directoryScopeId") or "/")
        if scope not in self.scopes:
            self.scopes[scope] = Scope(
                id=scope,
                provider=Provider.AZURE,
                kind=ScopeKind.RESOURCE,
                name=scope,
                parent_id=entra_scope(self.tenant),
            )
        suffix = "#eligible" if duration is GrantDuration.ELIGIBLE else ""
        self.grants[(principal, rid, scope + suffix)] = Grant(
            principal_id=principal, role_id=rid, scope_id=scope, duration=duration, expires=expires
        )


def _directory_key(record: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(record.get("principalId") or "").lower(),
        str(record.get("roleDefinitionId") or "").lower(),
        record.get("directoryScopeId") or "/",
    )


def normalize_tenant(raw: RawTenant, *, now: datetime, meta: ScanMeta) -> Inventory:
    """``now`` decides which secrets have expired (an expired secret is inactive)."""
    b = _Builder(raw, now)
    b.service_principals()
    b.managed_identities()
    b.secrets()
    b.sign_ins()
    b.entra_unused()
    b.owners()
    b.people()
    b.groups()
    b.scopes_from_hierarchy()
    b.arm_roles()
    b.arm_grants()
    b.graph_grants()
    b.directory_grants()
    # Grants name only roles and scopes that now exist; keep output order stable.
    return Inventory(
        meta=meta,
        identities=sorted(b.identities.values(), key=lambda i: i.id),
        credentials=sorted(b.credentials.values(), key=lambda c: c.id),
        roles=sorted(b.roles.values(), key=lambda r: r.id),
        scopes=sorted(b.scopes.values(), key=lambda s: s.id),
        grants=sorted(b.grants.values(), key=lambda g: (g.principal_id, g.role_id, g.scope_id, g.duration)),
        memberships=sorted(b.memberships, key=lambda m: (m.member_id, m.group_id)),
        trusts=b.trusts,
        workloads=workloads(raw.workloads or []),
        guardrails=normalize_deny_assignments(raw.deny_assignments),
        coverage=list(raw.coverage),
    )
