"""Who is a person, per cloud: people are counted, never judged.

A scan judges non-human identities. The people it sees are left out, and the summary and
``findings.json`` say how many, so a reader knows what was not looked at. One rule per cloud,
documented in docs/scope.md:

- AWS: an IAM user with a console password (login profile) and no active access key. The AWS
  normalizer marks it ``human=True``; a user with both a password and keys stays judged, for
  its keys.
- Azure: Entra users (the normalizer records the users it sees, as owners, role holders or
  group members, as ``human=True`` identities).
- GCP: ``user:`` and ``group:`` principals (Google accounts and groups). They are not
  identities of the inventory, only principals of grants, so they are counted from the grants.
"""

from __future__ import annotations

from collections import defaultdict

from standing.core.model import IdentityKind, Inventory, Provider

GCP_PEOPLE_PREFIXES = ("user:", "group:")


def people_left_out(inventory: Inventory) -> dict[Provider, int]:
    """How many distinct people each provider's scan saw and left out (providers with none omitted)."""
    people: dict[Provider, set[str]] = defaultdict(set)
    for identity in inventory.identities:
        if identity.kind is IdentityKind.USER and identity.human is True:
            people[identity.provider].add(identity.id)
    for grant in inventory.grants:
        if grant.principal_id.startswith(GCP_PEOPLE_PREFIXES):
            people[Provider.GCP].add(grant.principal_id.lower())
    return {provider: len(ids) for provider, ids in sorted(people.items()) if ids}
