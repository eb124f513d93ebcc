"""Azure escalation methods (see standing.analysis.methods).

pathfinding.cloud has no Azure paths, so every id here is ``azure-<area>-NNN``. Ownership of
an application is a ``Trust`` (OWNER) the collector records; the hop ``escalation`` follows
for it carries the method of ``TRUST_METHODS`` (keyed by the trust's action, as the
collector writes it). ``escalation_azure`` derives the rest from the roles and Graph
permissions held, where they are held.
"""

from __future__ import annotations

from standing.analysis.methods import EscalationMethod, method_maker
from standing.core.model import Provider

# Every method is shown through the real clients against the replay server, beside its near
# miss (tests/test_escalation_azure.py shows each on typed inventories too)
WIRE = "tests/test_escalation_methods_wire.py::test_azure_method_through_the_wire_and_its_near_miss"


_method = method_maker(Provider.AZURE, WIRE)


# The action text ``collectors/azure/normalize.py`` writes on an application-owner trust.
APP_OWNER_ACTION = "add credentials to the application"
TRUST_METHODS: dict[str, str] = {APP_OWNER_ACTION: "azure-entra-001"}

METHODS: tuple[EscalationMethod, ...] = (
    _method(
        "azure-authorization-001",
        "set-iam-policy",
        ("Microsoft.Authorization/roleAssignments/write",),
        "assigns itself Owner on a subscription, management group or the root",
    ),
    _method(
        "azure-compute-001",
        "existing-compute",
        ("Microsoft.Compute/virtualMachines/runCommand/action",),
        "runs a command on a VM and uses the token of its managed identity",
    ),
    _method(
        "azure-compute-002",
        "existing-compute",
        ("Microsoft.Compute/virtualMachines/write",),
        "rewrites a VM (custom data, OS profile) to run code as its managed identity",
    ),
    _method(
        "azure-compute-003",
        "existing-compute",
        ("Microsoft.Compute/virtualMachines/extensions/write",),
        "installs a custom script extension on a VM to run code as its managed identity",
    ),
    _method(
        "azure-automation-001",
        "existing-compute",
        (
            "Microsoft.Automation/automationAccounts/runbooks/write",
            "Microsoft.Automation/automationAccounts/jobs/write",
        ),
        "edits a runbook and starts a job that runs as the Automation account's identity",
    ),
    _method(
        "azure-web-001",
        "existing-compute",
        ("Microsoft.Web/sites/write",),
        "changes a web or function app's deployment to run its code as the app's identity",
    ),
    _method(
        "azure-web-002",
        "existing-compute",
        ("Microsoft.Web/sites/publishxml/action",),
        "reads a web or function app's publishing credentials and deploys code that runs as its identity",
    ),
    _method(
        "azure-graph-001",
        "create-credentials",
        ("Application.ReadWrite.All",),
        "adds a secret to any application of the tenant and signs in as its service principal",
    ),
    _method(
        "azure-graph-002",
        "set-iam-policy",
        ("AppRoleAssignment.ReadWrite.All",),
        "grants itself any Microsoft Graph application permission, directory roles included",
    ),
    _method(
        "azure-entra-001",
        "owner",
        ("microsoft.directory/applications/credentials/update",),
        "as an owner of an application, adds a credential to it and signs in as its service principal",
    ),
    _method(
        "azure-keyvault-001",
        "set-iam-policy",
        ("Microsoft.KeyVault/vaults/accessPolicies/write",),
        "rewrites the access policy of a Key Vault in the access-policy model (or the vault, with "
        "vaults/write) and grants itself its secrets, keys and certificates",
    ),
)
