"""The common part of reading one side of a Terraform plan: targets of references, unknowns, placeholders.

Provider modules (``terraform_aws.py``, ``terraform_google.py``, ``terraform_azure.py``) add the
resource handlers; ``terraform.py`` puts them together and decides the order.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from standing.collectors.iac.estate import DEPLOY_ACCOUNT, Estate
from standing.collectors.iac.plan import Instance, Instances, Plan
from standing.core.model import IdentityKind, Provider

PROVIDER_OF = {"aws": Provider.AWS, "google": Provider.GCP, "azuread": Provider.AZURE, "azurerm": Provider.AZURE}
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


class PlanView:
    """One side of the change (before or after it): instances in, an Estate out."""

    def __init__(self, plan: Plan, instances: list[Instance], now: datetime) -> None:
        self.plan = plan
        self.instances = instances
        self.now = now
        self.out = Estate(now=now)
        self.out.accounts |= plan.accounts
        self.account = next(iter(plan.accounts)) if len(plan.accounts) == 1 else DEPLOY_ACCOUNT
        self.index = Instances(instances)
        self.by_type = self.index.by_type
        # Application address -> the service principal created for it (one identity, as in scans).
        self.app_principal: dict[str, str] = {}

    def named(self, types: tuple[str, ...], attribute: str, value: Any) -> Instance | None:
        """The first instance of these types whose known ``attribute`` is ``value`` (a name, an ARN, an id)."""
        found = self.index.first_with(types, attribute, value)
        return found[1] if found is not None else None

    def provider_of(self, instance: Instance) -> Provider:
        return PROVIDER_OF.get(instance.type.split("_")[0], Provider.AWS)

    def target(self, instance: Instance, attribute: str, types: tuple[str, ...]) -> Instance | None:
        """The resource in this change that an attribute refers to (followed through config)."""
        for reference in self.plan.references(instance, attribute):
            if reference[1].split(".")[0] in types:
                found = self.plan.instance_for(self.index, instance, reference)
                if found is not None:
                    return found
        return None

    def unresolved(self, instance: Instance, attribute: str, what: str, provider: Provider) -> None:
        self.out.unknown(
            provider,
            instance.address,
            attribute,
            f"{what} is known only after apply and its reference could not be followed",
        )

    def created(self, instance: Instance) -> datetime | None:
        """A secret the change creates is issued now; one that already exists has an unknown age."""
        return self.now if instance.changed else None

    def placeholder(self, instance: Instance, attribute: str, provider: Provider, kind: IdentityKind) -> str:
        """The holder of a credential whose owner cannot be known yet: still a standing secret."""
        self.unresolved(instance, attribute, "the credential's holder", provider)
        return self.out.identity(
            None,
            id=f"{instance.address}:holder",
            provider=provider,
            kind=kind,
            name=f"holder of {instance.address} (known after apply)",
            account=self.account,
        )


def tags_of(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def duration(value: Any) -> timedelta | None:
    """Terraform's relative durations: ``8760h``, ``90m``, ``3600s``."""
    match = _DURATION.match(value) if isinstance(value, str) and value else None
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)
