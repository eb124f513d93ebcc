"""The AWS CLI's own published example outputs, imported as a person would hand them over.

`aws iam` prints botocore's parsed response; the CLI repository publishes an example output per
command (awscli/examples/iam/*.rst, provenance in each fixture and PROVENANCE.md). The
GetAccountAuthorizationDetails example is one page of a truncated listing, and writes two
groups' ``AttachedManagedPolicies`` as one object where the service model (and so the CLI's
real output) has a list: as published it is refused naming that field, with the lists restored
it is refused as one page without its last, and as the merged listing the CLI prints it is read.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from standing.collectors.aws.importer import ImportFiles, import_aws, import_raw
from standing.core.errors import UserError
from standing.core.model import CoverageStatus, CredentialKind, FederationKind, IdentityKind, TrustKind, WorkloadKind
from tests.support.published import body

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ACCOUNT = "arn:aws:iam::123456789012"


def _file(tmp: Path, name: str, value: Any) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(value, indent=4))
    return path


def _lists_restored(page: dict[str, Any]) -> dict[str, Any]:
    """The one correction: each group's AttachedManagedPolicies as the list the API returns."""
    fixed = copy.deepcopy(page)
    for group in fixed["GroupDetailList"]:
        attached = group["AttachedManagedPolicies"]
        group["AttachedManagedPolicies"] = attached if isinstance(attached, list) else [attached]
    return fixed


def _merged(page: dict[str, Any]) -> dict[str, Any]:
    """What the CLI prints when it follows the Marker itself: no IsTruncated, no Marker."""
    return {k: v for k, v in _lists_restored(page).items() if k not in ("IsTruncated", "Marker")}


GAAD = "cli-iam-get-account-authorization-details"


def test_the_published_authorization_details_as_published_are_refused_naming_the_object_for_a_list(tmp_path):
    path = _file(tmp_path, "gaad", body("aws", GAAD))
    with pytest.raises(UserError) as refused:
        import_raw(ImportFiles(authorization_details=(path,)))
    assert str(path) in str(refused.value)
    assert "GroupDetailList[0].AttachedManagedPolicies" in str(refused.value)
    assert "valid list" in str(refused.value)


def test_the_published_page_with_its_lists_restored_is_refused_as_a_page_without_its_last(tmp_path):
    path = _file(tmp_path, "gaad-page", _lists_restored(body("aws", GAAD)))
    with pytest.raises(UserError) as refused:
        import_raw(ImportFiles(authorization_details=(path,)))
    assert "one page of a longer listing" in str(refused.value) and "the last page is missing" in str(refused.value)


def test_the_published_authorization_details_merged_are_the_users_groups_role_and_policies(tmp_path):
    gaad = _file(tmp_path, "gaad", _merged(body("aws", GAAD)))
    inventory = import_aws(ImportFiles(authorization_details=(gaad,)), now=lambda: NOW)
    kinds = {i.id.removeprefix(ACCOUNT + ":"): i.kind for i in inventory.identities}
    assert kinds == {
        "user/Alice": IdentityKind.USER,
        "user/Bob": IdentityKind.USER,
        "user/Charlie": IdentityKind.USER,
        "group/Admins": IdentityKind.GROUP,
        "group/Dev": IdentityKind.GROUP,
        "group/Finance": IdentityKind.GROUP,
        "role/EC2role": IdentityKind.ROLE,
    }
    alice = next(i for i in inventory.identities if i.name == "Alice")
    assert alice.created == datetime(2013, 10, 14, 18, 32, 24, tzinfo=UTC)  # the CLI's "Z" string
    assert {(m.member_id.rsplit("/")[-1], m.group_id.rsplit("/")[-1]) for m in inventory.memberships} == {
        ("Alice", "Admins"),
        ("Bob", "Admins"),
        ("Charlie", "Dev"),
    }
    grants = {(g.principal_id.rsplit("/")[-1], g.role_id.rsplit("/")[-1]) for g in inventory.grants}
    assert ("Admins", "AdministratorAccess") in grants and ("EC2role", "AmazonS3FullAccess") in grants
    assert ("Bob", "DenyBillingAndIAMPolicy") in grants  # the inline policy, its own role
    managed = {r.name: r.account for r in inventory.roles if r.provider_managed}
    assert managed == {"AmazonEC2FullAccess": None}  # an AWS managed policy belongs to no account
    [trust] = inventory.trusts
    assert (trust.kind, trust.principal) == (TrustKind.SERVICE, "ec2.amazonaws.com")
    role = next(i for i in inventory.identities if i.kind is IdentityKind.ROLE)
    assert role.workload is WorkloadKind.APP
    # what this import lacks is said, each with the command that writes it
    skipped = {e.operation for e in inventory.coverage if e.status is CoverageStatus.SKIPPED}
    assert skipped == {
        "iam:GetCredentialReport",
        "iam:ListOpenIDConnectProviders",
        "iam:ListSAMLProviders",
        "ec2:DescribeRegions",
    }


def test_the_published_provider_listings_and_alice_s_keys_join_the_same_account(tmp_path):
    gaad = _file(tmp_path, "gaad", _merged(body("aws", GAAD)))
    oidc = _file(tmp_path, "oidc", body("aws", "cli-iam-list-open-id-connect-providers"))
    saml = _file(tmp_path, "saml", body("aws", "cli-iam-list-saml-providers"))
    keys = _file(tmp_path, "keys", body("aws", "iam-ListAccessKeys"))
    files = ImportFiles(authorization_details=(gaad,), oidc_providers=oidc, saml_providers=saml, access_keys=(keys,))
    inventory = import_aws(files, now=lambda: NOW)
    assert {(f.kind, f.id) for f in inventory.federation} == {
        (FederationKind.OIDC, f"{ACCOUNT}:oidc-provider/example.oidcprovider.com"),
        (FederationKind.SAML, f"{ACCOUNT}:saml-provider/SAMLADFS"),
    }
    assert {(c.id, c.kind, c.identity_id) for c in inventory.credentials} == {
        ("AKIA111111111EXAMPLE", CredentialKind.ACCESS_KEY, f"{ACCOUNT}:user/Alice"),
        ("AKIA222222222EXAMPLE", CredentialKind.ACCESS_KEY, f"{ACCOUNT}:user/Alice"),
    }
    # listed without its get-open-id-connect-provider output: known, its audiences said unread
    [unread] = [e for e in inventory.coverage if e.operation == "iam:GetOpenIDConnectProvider"]
    assert unread.status is CoverageStatus.SKIPPED and "example.oidcprovider.com" in (unread.detail or "")


def test_near_miss_keys_of_a_user_no_export_names_are_refused(tmp_path):
    gaad = _file(tmp_path, "gaad", {**_merged(body("aws", GAAD)), "UserDetailList": []})
    keys = _file(tmp_path, "keys", body("aws", "iam-ListAccessKeys"))
    with pytest.raises(UserError, match="'Alice'"):
        import_raw(ImportFiles(authorization_details=(gaad,), access_keys=(keys,)))
