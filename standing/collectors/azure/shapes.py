"""The shape of each ``az`` export, checked before the importer or the normalizer reads it.

The normalizer reads what Graph and ARM return, where each field has its type; a file a person
hands over may say ``displayName: 5``, ``permissions: [null]`` or ``endDateTime: "soon"``. Each
item is validated against the model of its export (only the fields ``standing`` reads; every
other field passes through), so a wrong type is one line naming the file and the field
(``item 0 at permissions[0]: Input should be an object``) instead of a ``TypeError`` in the
normalizer. The items themselves are passed on unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
)

from standing.collectors.azure.normalize import parse_time
from standing.collectors.shapes import ExportShape, date_text
from standing.core.errors import UserError
from standing.core.textfiles import validation_problem

Time = Annotated[StrictStr, AfterValidator(date_text(parse_time, "ISO 8601"))]
Strings = list[StrictStr]
Text = StrictStr | None


Shape = ExportShape


class Credential(Shape):
    keyId: StrictStr  # field names as the export spells them
    usage: Text = None
    customKeyIdentifier: Text = None
    startDateTime: Time | None = None
    endDateTime: Time | None = None


class AppRole(Shape):
    id: Text = None
    value: Text = None


class _Credentialed(Shape):
    id: StrictStr
    appId: StrictStr
    displayName: Text = None
    keyCredentials: list[Credential] | None = None
    passwordCredentials: list[Credential] | None = None


class ServicePrincipal(_Credentialed):
    servicePrincipalType: Text = None
    appOwnerOrganizationId: Text = None
    accountEnabled: StrictBool | None = None
    appRoles: list[AppRole] | None = None


class Application(_Credentialed):
    createdDateTime: Time | None = None


class RoleAssignment(Shape):
    """``az role assignment list`` and ARM PIM schedules (both flattened)."""

    id: Text = None
    principalId: StrictStr
    roleDefinitionId: StrictStr
    scope: StrictStr
    roleDefinitionName: Text = None
    principalType: Text = None
    principalName: Text = None
    condition: Text = None
    assignmentType: Text = None
    endDateTime: Time | None = None


class Permission(Shape):
    actions: Strings | None = None
    notActions: Strings | None = None
    dataActions: Strings | None = None
    notDataActions: Strings | None = None


class RoleDefinition(Shape):
    id: Text = None
    name: StrictStr
    roleName: StrictStr
    roleType: Text = None
    permissions: list[Permission] | None = None
    assignableScopes: Strings | None = None


class DirectoryObject(Shape):
    """An app owner or a group member: a Graph directory object."""

    id: StrictStr
    odata_type: Text = Field(default=None, alias="@odata.type")
    userPrincipalName: Text = None
    displayName: Text = None


class FederatedCredential(Shape):
    id: StrictStr
    issuer: StrictStr
    subject: Text = None
    audiences: Strings | None = None


class AppRoleAssignment(Shape):
    principalId: StrictStr
    resourceId: StrictStr
    appRoleId: StrictStr
    resourceDisplayName: Text = None


class Principal(Shape):
    odata_type: Text = Field(default=None, alias="@odata.type")
    userPrincipalName: Text = None
    displayName: Text = None


class DirectoryRoleDefinition(Shape):
    id: StrictStr
    templateId: Text = None
    displayName: Text = None
    isBuiltIn: StrictBool | None = None


class Expiration(Shape):
    endDateTime: Time | None = None


class ScheduleInfo(Shape):
    expiration: Expiration | None = None


class DirectoryRoleRecord(Shape):
    """Directory role assignments, PIM instances and eligibility schedules."""

    principalId: StrictStr
    roleDefinitionId: StrictStr
    directoryScopeId: Text = None
    principal: Principal | None = None
    roleDefinition: DirectoryRoleDefinition | None = None
    assignmentType: Text = None
    endDateTime: Time | None = None
    scheduleInfo: ScheduleInfo | None = None


class ManagedIdentity(Shape):
    id: StrictStr
    principalId: StrictStr
    clientId: Text = None
    name: Text = None


class AssignedIdentity(Shape):
    principalId: Text = None


class KubeletIdentity(Shape):
    objectId: Text = None
    resourceId: Text = None


class IdentityProfile(Shape):
    kubeletidentity: KubeletIdentity | None = None


class ResourceIdentity(Shape):
    type: Text = None
    principalId: Text = None
    userAssignedIdentities: dict[str, AssignedIdentity | None] | None = None


class ComputeProperties(Shape):
    """The properties ``collectors/azure/workloads.py`` reads; the rest pass through."""

    state: Text = None
    provisioningState: Text = None
    defaultHostName: Text = None
    httpsOnly: StrictBool | None = None
    disableLocalAccounts: StrictBool | None = None
    identityProfile: IdentityProfile | None = None


class ComputeResource(Shape):
    """One record of ``az graph query`` (Resource Graph) over the compute types."""

    id: StrictStr
    type: StrictStr
    name: Text = None
    kind: Text = None
    location: Text = None
    subscriptionId: Text = None
    tags: dict[str, StrictStr] | None = None
    identity: ResourceIdentity | None = None
    properties: ComputeProperties | None = None


class SignIn(Shape):
    lastSignInDateTime: Time | None = None


class ServicePrincipalSignIns(Shape):
    """Every ``...Activity`` object in it holds a ``lastSignInDateTime`` the normalizer reads
    (checked by :func:`check_items`, which knows the field's name for the message)."""

    appId: StrictStr


class CredentialSignIns(Shape):
    keyId: StrictStr
    signInActivity: SignIn | None = None


class KeyValue(Shape):
    key: Text = None
    value: Text = None


class ImpactedResource(Shape):
    subjectId: Text = None
    status: Text = None
    addedDateTime: Time | None = None
    additionalDetails: list[KeyValue] | None = None


class Recommendation(Shape):
    """One recommendation as listed with ``$expand=impactedResources``."""

    id: StrictStr
    recommendationType: Text = None
    status: Text = None
    lastCheckedDateTime: Time | None = None
    impactedResources: list[ImpactedResource] | None = None


def check_items(source: str, items: list[dict[str, Any]], shape: type[Shape], where: str = "") -> None:
    """Refuse the file at its first item whose fields do not have the types ``shape`` names."""
    for index, item in enumerate(items):
        for root, model, value in _parts(item, shape):
            try:
                model.model_validate(value)
            except ValidationError as exc:
                raise UserError(source, f"{where}item {index} {validation_problem(exc, root=root)}") from None


def _parts(item: dict[str, Any], shape: type[Shape]) -> Iterator[tuple[tuple[str, ...], type[Shape], Any]]:
    """The item, and for sign-in activity each ``...Activity`` object in it, with where each sits."""
    yield (), shape, item
    if shape is ServicePrincipalSignIns:
        for name, value in item.items():
            if name.endswith("Activity") and isinstance(value, dict):
                yield (name,), SignIn, value
