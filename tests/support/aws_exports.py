"""`aws iam` exports of a live account, written exactly as the AWS CLI prints them.

The AWS CLI (``--output json``) prints botocore's parsed response without ``ResponseMetadata``,
timestamps as ISO 8601 strings (``2026-06-01T12:00:00+00:00``), blobs base64-encoded, and, for
a paginated operation, every page merged into one document (``--max-items`` stops early and
prints a ``NextToken``). These helpers read the account through boto3 (here: the moto server
of the test estate) and write those files, so the import tests feed the importer what a person
running the CLI against the same account would hand over.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from standing.collectors.aws.fetch import parse_credential_report
from standing.collectors.aws.raw import has_key_slot

LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def cli_json(value: Any) -> str:
    """``value`` as the AWS CLI prints it (indent 4, ISO timestamps, base64 blobs)."""

    def default(item: Any) -> Any:
        if isinstance(item, datetime):
            return item.isoformat()
        if isinstance(item, bytes):
            return base64.b64encode(item).decode("ascii")
        raise TypeError(type(item).__name__)

    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if k != "ResponseMetadata"}
    return json.dumps(value, indent=4, default=default) + "\n"


def write(path: Path, value: Any) -> Path:
    path.write_text(cli_json(value))
    return path


def export_account(iam: Any, out: Path, *, page_size: int = 4) -> dict[str, Any]:
    """Every file of one account: merged and paged GAAD, the report (JSON and CSV), keys, providers."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Any] = {}
    merged = iam.get_paginator("get_account_authorization_details").paginate().build_full_result()
    files["gaad"] = write(out / "gaad.json", merged)
    files["gaad_pages"] = _api_pages(merged, out, page_size)
    files["gaad_cli_pages"] = _cli_pages(iam, out, page_size)
    iam.generate_credential_report()
    report = iam.get_credential_report()
    files["report"] = write(out / "credential-report.json", report)
    files["report_csv"] = out / "credential-report.csv"
    files["report_csv"].write_bytes(report["Content"])
    rows = parse_credential_report(report["Content"])
    # the users the live scan lists keys for: every key slot in use, active or not
    holders = [r["user"] for r in rows if has_key_slot(r, 1) or has_key_slot(r, 2)]
    files["keys"] = [
        write(
            out / f"keys-{user}.json", iam.get_paginator("list_access_keys").paginate(UserName=user).build_full_result()
        )
        for user in holders
        if user != "<root_account>"
    ]
    listed = iam.list_open_id_connect_providers()
    files["oidc_list"] = write(out / "oidc-providers.json", listed)
    files["oidc"] = []
    for n, entry in enumerate(listed["OpenIDConnectProviderList"]):
        got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=entry["Arn"])
        files["oidc"].append((entry["Arn"], write(out / f"oidc-provider-{n}.json", got)))
    files["saml"] = write(out / "saml-providers.json", iam.list_saml_providers())
    return files


def _api_pages(merged: dict[str, Any], out: Path, size: int) -> list[Path]:
    """One file per API page, as GetAccountAuthorizationDetails returns it with ``MaxItems``/``Marker``
    (what ``aws iam get-account-authorization-details --no-paginate`` prints for the first): users, then groups, roles and policies, ``size`` entries a page, every page but
    the last with ``IsTruncated: true`` and a ``Marker`` (moto answers GAAD in one page whatever
    ``MaxItems`` says, so the account's merged listing is cut as IAM cuts it)."""
    entries = [(key, item) for key in LISTS for item in merged.get(key, [])]
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)] or [[]]
    pages: list[Path] = []
    for n, chunk in enumerate(chunks, start=1):
        page: dict[str, Any] = {key: [item for k, item in chunk if k == key] for key in LISTS}
        page["IsTruncated"] = n < len(chunks)
        if n < len(chunks):
            page["Marker"] = base64.b64encode(f"{n * size}".encode()).decode()
        pages.append(write(out / f"gaad-page-{n}.json", page))
    return pages


def _cli_pages(iam: Any, out: Path, size: int) -> list[Path]:
    """One file per ``--max-items N [--starting-token T]`` run: the CLI's own paging (``NextToken``)."""
    pages: list[Path] = []
    token: dict[str, str] = {}
    while True:
        paginator = iam.get_paginator("get_account_authorization_details")
        page = paginator.paginate(PaginationConfig={"MaxItems": size, "PageSize": size, **token}).build_full_result()
        pages.append(write(out / f"gaad-cli-page-{len(pages) + 1}.json", page))
        if "NextToken" not in page:
            return pages
        token = {"StartingToken": page["NextToken"]}


def client(endpoint_url: str) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
