"""Terraform labels and file names in plans: one per identity in the estate, the same every run.

IAM allows ``svc.old`` and ``svc-old`` side by side, and two accounts may each have a
``deployer``; a plan written into one directory must never overwrite another's file, and a
resource label must never clash when the snippets are applied together.
"""

from __future__ import annotations

import hashlib

from standing.core.model import Identity, TrustKind
from standing.planner.iac import identity_label, label
from standing.planner.model import Plan, TargetPattern
from tests.builders import key, role, trust, user
from tests.planner.cases import aws, parsed_terraform, plans_of

OTHER_ACCOUNT = "444455556666"


def _labels(plan: Plan) -> set[str]:
    """Every resource label the plan's Terraform declares."""
    return {
        name.strip('"')
        for doc in parsed_terraform(plan)
        for block in doc.get("resource", [])
        for body in block.values()
        for name in body
    }


def test_two_valid_iam_names_that_sanitise_alike_get_their_own_file_and_labels() -> None:
    dotted, dashed = user("svc.old"), user("svc-old")
    plans = plans_of(
        aws(
            dotted,
            key(dotted, "AKIADOTTED0000000001", age=200, used=1),
            dashed,
            key(dashed, "AKIADASHED0000000001", age=200, used=1),
        )
    )
    first, second = plans["svc.old"], plans["svc-old"]
    assert label("svc.old") == label("svc-old")  # what used to collide
    assert first.iac[0].filename != second.iac[0].filename
    assert _labels(first) and _labels(first).isdisjoint(_labels(second))
    # the readable name stays in front, so a reviewer still finds the file
    assert first.iac[0].filename.startswith("svc_old_") and second.iac[0].filename.startswith("svc_old_")


def test_the_same_name_in_two_accounts_gets_two_files() -> None:
    here = user("deployer")
    there = here.model_copy(update={"id": f"arn:aws:iam::{OTHER_ACCOUNT}:user/deployer", "account": OTHER_ACCOUNT})
    assert identity_label(here) != identity_label(there)


def test_a_label_is_the_same_on_every_run_and_a_valid_terraform_identifier() -> None:
    """The near miss: the same identity, planned again, keeps its file (a rerun updates it, never adds one)."""
    u = user("svc.old")
    again = Identity.model_validate(u.model_dump())
    assert identity_label(u) == identity_label(again)
    estate = aws(u, key(u, "AKIADOTTED0000000001", age=200, used=1))
    assert plans_of(estate)["svc.old"].iac[0].filename == plans_of(estate)["svc.old"].iac[0].filename
    # a fixed value, so a change of hashing (which would rename every plan's file) is caught here
    assert identity_label(u) == label("svc.old") + "_" + hashlib.sha256(u.id.encode()).hexdigest()[:8]
    for name in ("svc.old", "9lives", "@@@", "Ünïcode-name", "a" * 64):
        text = identity_label(user(name))
        assert text[0].isalpha() or text[0] == "_"
        assert all(c.isascii() and (c.isalnum() or c == "_") for c in text)


def test_third_party_plans_of_two_names_that_sanitise_alike_get_their_own_file_and_labels() -> None:
    """The third-party path writes its own Terraform; it must be as unique as every other path's."""
    partner = "arn:aws:iam::999988887777:root"
    dotted, dashed = role("vendor.sync"), role("vendor-sync")
    plans = plans_of(
        aws(
            dotted,
            dashed,
            trust(dotted, partner, TrustKind.PRINCIPAL, {"StringEquals": {"sts:ExternalId": "x1"}}),
            trust(dashed, partner, TrustKind.PRINCIPAL, {"StringEquals": {"sts:ExternalId": "x2"}}),
        )
    )
    first, second = plans["vendor.sync"], plans["vendor-sync"]
    assert first.pattern is second.pattern is TargetPattern.COMPENSATE
    assert first.iac[0].filename != second.iac[0].filename
    assert _labels(first) and _labels(first).isdisjoint(_labels(second))
