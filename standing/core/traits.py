"""What a rule's findings mean to the rest of standing: the questions other layers ask of a finding.

A rule declares its traits (``Rule.traits``); the gate, risk and the planner ask for a trait,
never for a rule id, so renaming a rule or adding one changes what blocks a pipeline, what
scores higher and which plan is chosen only through what the rule declares.
``standing.rules.registry.traits_of`` answers for a rule id (a finding's ``rule_id``).
"""

from __future__ import annotations

from enum import StrEnum


class Trait(StrEnum):
    ABOUT_SECRET = "about-secret"
    """The finding is about one credential: its subject is the secret, not the identity."""

    STANDING_KEY = "standing-key"
    """A new finding is a new standing key or secret: what ``gate --fail-on keys`` blocks."""

    SECRET_CENSUS = "secret-census"
    """One finding for every live long-lived secret: the census (on in scans, low; the gate and the
    baseline switch it on even when a config turned it off); summaries group these findings."""

    PRIVILEGED = "privileged"
    """The identity is admin-equivalent, can escalate to admin, or holds a privileged role."""

    PRIVILEGED_ROLE = "privileged-role"
    """The identity holds a broad privileged role (basic, admin or Owner-like) standing."""

    ADMITS_OUTSIDERS = "admits-outsiders"
    """A trust lets principals outside the estate become the identity."""

    THIRD_PARTY = "third-party"
    """A party outside the scanned estate (another account, domain or tenant) holds standing access.

    Nothing on our side can make its access just-in-time (the party signs in with its own
    credentials), so the planner gives it compensating controls: an external id or a pinned
    partner principal, source conditions, short sessions, expiry and periodic review.
    """

    ABOUT_POLICY = "about-policy"
    """The finding is about a permission set (a customer-managed policy, a custom role), not an identity.

    Its ``subject`` and ``identity`` are the policy's id, ``identity_name`` is the policy's name and
    ``evidence["holders"]`` lists who holds it: one fix for every holder, and no identity to plan for.
    """

    OPEN_TO_ACCOUNTS = "open-to-accounts"
    """A trust admits anyone, or every principal of a whole account, instead of one named principal."""

    BROAD_IMPERSONATION = "broad-impersonation"
    """The identity may impersonate every account in a scope."""

    UNUSED = "unused"
    """Nothing uses it: the identity itself, or (with ``ABOUT_SECRET``) the secret."""

    USED_BY_PEOPLE = "used-by-people"
    """A person uses the workload's identity (a console password next to its keys)."""

    SHARED = "shared"
    """Several consumers share the identity."""

    SEVERAL_SECRETS = "several-secrets"
    """More than one live secret on one identity: an unfinished rotation, or a sign of sharing."""
