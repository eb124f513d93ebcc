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
from collections.abc import Callable
from datetime import datetime

from standing.collectors.iac.estate import Estate
from standing.collectors.iac.plan import Instance, Plan
from standing.collectors.iac.terraform_aws import AwsResources
from standing.collectors.iac.terraform_azure import AzureResources
from standing.collectors.iac.terraform_google import GCP_IAM, GoogleResources
from standing.core.iac import IacChange, SourceRef


def convert_plan(plan: Plan, now: datetime) -> IacChange:
    before = _View(plan, plan.before, now).estate()
    after_view = _View(plan, plan.after, now)
    after = after_view.estate()
    changed = {i.address for i in plan.after if i.changed}
    return IacChange(
        source=plan.source,
        kind="terraform-plan",
        before=before.inventory(),
        after=after.inventory(),
        refs={address: SourceRef(file=plan.source, address=address, line=plan.line_of(address)) for address in changed},
        declared=after.declared,
        involved=after.involved,
    )


class _View(AwsResources, GoogleResources, AzureResources):
    """One side of the change, with every provider's handlers."""

    def estate(self) -> Estate:
        # Principals first, so credentials and grants can find them by name.
        for order in (_PRINCIPALS, _POLICIES, _LINKS):
            for type_name, handler in order.items():
                for instance in self.by_type.get(type_name, []):
                    self._guarded(handler, instance)
        for instance in self.instances:
            if GCP_IAM.match(instance.type):
                self._guarded(_View.gcp_iam, instance)
            elif (
                instance.changed
                and _IDENTITY_TYPES.match(instance.type)
                and instance.type not in SUPPORTED_TYPES
                and instance.type not in GRANTS_NOTHING
            ):
                self.out.unknown(
                    self.provider_of(instance),
                    instance.address,
                    instance.type,
                    "this resource type is not converted by standing; what it grants is not judged",
                )
        return self.out

    def _guarded(self, handler: Handler, instance: Instance) -> None:
        """A resource whose values have an unexpected shape is reported as not judged, never skipped."""
        try:
            handler(self, instance)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            self.out.unknown(
                self.provider_of(instance),
                instance.address,
                instance.type,
                f"its values could not be read ({exc.__class__.__name__}); not judged",
            )


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
GRANTS_NOTHING = frozenset(
    {
        "aws_iam_account_alias",
        "aws_iam_account_password_policy",
        "aws_iam_group",
        "aws_iam_instance_profile",
        "aws_iam_openid_connect_provider",
        "aws_iam_saml_provider",
        "aws_iam_server_certificate",
        "aws_iam_service_linked_role",
        "aws_iam_virtual_mfa_device",
        "google_project_iam_custom_role",
        "google_organization_iam_custom_role",
        "google_project_iam_audit_config",
        "azuread_group",
        "azuread_user",
        "azuread_application_identifier_uri",
        "azuread_application_redirect_uris",
        "azuread_application_api_access",
        "azuread_application_federated_identity_credential",
        "azurerm_role_definition",
    }
)
_IDENTITY_TYPES = re.compile(
    r"^(aws_iam_|google_(project|folder|organization|service_account)_iam_|"
    r"google_service_account|azuread_|azurerm_role_|azurerm_user_assigned_identity)"
)
