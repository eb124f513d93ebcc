"""Offline import: ``aws iam`` CLI exports -> the ``RawAccount`` the live fetch builds -> same normalize.

Accepted files (JSON as the AWS CLI prints it, ``--output json``; timestamps are the CLI's ISO
strings where botocore gives datetimes, and ``normalize`` reads both the same):

- ``aws iam get-account-authorization-details``: the CLI's merged output, or one file per page
  (``--no-paginate`` pages carry ``IsTruncated``/``Marker``, ``--max-items`` pages a
  ``NextToken``). Pages are merged; a page set whose last page is missing (every file truncated),
  with two last pages, with one page twice, or (several pages) naming a group or an attached
  policy that is in no page is refused: a missing page is never read as "nothing there".
- ``aws iam get-credential-report``: the JSON (base64 ``Content`` and ``GeneratedTime``), or the
  CSV decoded from it. The CSV carries no generation time: the file's modification time stands
  in for it (IAM built the report at or before the file was written).
- ``aws iam list-access-keys --user-name U``, one file per user (or any number of users' lists):
  the key ids the live scan gets from ListAccessKeys. A key holder of the report without one is
  read exactly as the live scan reads everyone under ``--no-key-ids`` (keys named by report slot,
  ``<user ARN>/access-key-1``), and the scan says so.
- ``aws iam list-open-id-connect-providers`` and, per provider, ``aws iam
  get-open-id-connect-provider`` (``ARN=FILE``, or ``FILE`` whose ``Url`` names the provider);
  ``aws iam list-saml-providers``.

No IAM export shows which compute runs as which role, so workloads are never imported: a
``skipped`` gap, or ``scoped`` (left out by choice, as live) under ``--no-workloads``. Every
source not given is a ``skipped`` coverage entry naming the command that writes it. A malformed
or wrong-shaped file is a ``UserError`` naming the file (one line, exit 2).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from standing.collectors.aws import shapes
from standing.collectors.aws.normalize import normalize_account, parse_report_time
from standing.collectors.aws.raw import (
    ROOT_ROW_USER,
    AccessKeyMetadata,
    AuthorizationDetails,
    CredentialReport,
    OidcProviderDetails,
    RawAccount,
    SamlProviderDetails,
    holds_key,
)
from standing.core.errors import UserError
from standing.core.model import CoverageEntry, CoverageStatus, Inventory, Provider
from standing.core.textfiles import parse_json, read_bytes, read_text

_IAM_ARN = re.compile(r"^arn:([\w-]+):iam::(\d{12}):")
_GAAD = "aws iam get-account-authorization-details"
_GAAD_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_REPORT = "aws iam get-credential-report"
_KEYS = "aws iam list-access-keys --user-name USER"
_OIDC_LIST = "aws iam list-open-id-connect-providers"
_OIDC_GET = "aws iam get-open-id-connect-provider --open-id-connect-provider-arn"
_SAML_LIST = "aws iam list-saml-providers"


@dataclass(frozen=True, kw_only=True)
class ImportFiles:
    authorization_details: tuple[Path, ...] = ()
    credential_report: Path | None = None
    access_keys: tuple[Path, ...] = ()
    oidc_providers: Path | None = None
    oidc_provider: tuple[str, ...] = ()  # ARN=FILE or FILE
    saml_providers: Path | None = None
    workloads_left_out: bool = False  # --no-workloads: scoped by choice, not a gap

    def given(self) -> bool:
        return bool(self.authorization_details or self.credential_report)


def import_aws(files: ImportFiles, *, now: Callable[[], datetime]) -> Inventory:
    """The inventory of one account's exports, normalized exactly as a live read of it is."""
    started = now()
    return normalize_account(import_raw(files), now=started)


def import_raw(files: ImportFiles) -> RawAccount:
    if not files.given():
        raise UserError(
            "aws import", "needs --from-authorization-details or --from-credential-report: no identity is in the others"
        )
    details = _authorization_details(files.authorization_details) if files.authorization_details else None
    report = _credential_report(files.credential_report) if files.credential_report else None
    partition, account = _account(details, report, files)
    users = _user_arns(details, report)
    access_keys = _access_keys(files.access_keys, users)
    oidc = _oidc(files, partition, account)
    saml = _saml(files.saml_providers)
    gaps = _Gaps(account)
    gaps.source(details is not None, "iam:GetAccountAuthorizationDetails", files.authorization_details, _gaad_missing())
    gaps.source(
        report is not None,
        "iam:GetCredentialReport",
        (files.credential_report,) if files.credential_report else (),
        f"not imported: `aws iam generate-credential-report` then `{_REPORT} --output json` "
        "(--from-credential-report); last use, passwords and key ages are unknown",
    )
    gaps.keys(report, access_keys, files.access_keys)
    gaps.oidc(files, oidc)
    gaps.source(
        saml is not None,
        "iam:ListSAMLProviders",
        (files.saml_providers,) if files.saml_providers else (),
        f"not imported: `{_SAML_LIST} --output json` (--from-saml-providers)",
    )
    gaps.workloads(files.workloads_left_out)
    return RawAccount(
        account_id=account,
        caller_arn=f"arn:{partition}:iam::{account}:root",
        authorization_details=details,
        credential_report=report,
        access_keys=access_keys,
        oidc_providers=oidc,
        saml_providers=saml,
        coverage=gaps.entries,
    )


def _gaad_missing() -> str:
    return (
        f"not imported: `{_GAAD} --output json` (--from-authorization-details); "
        "no policy, group or role was read, users are known from the credential report only"
    )


# --- GetAccountAuthorizationDetails ----------------------------------------------------------


def _json(path: Path, shape: type[shapes.Shape], command: str) -> dict[str, Any]:
    source = str(path)
    data: dict[str, Any] = shapes.check(source, parse_json(read_text(path), source), shape, command)
    return data


def _truncated(page: dict[str, Any]) -> bool:
    return page.get("IsTruncated") is True or bool(page.get("NextToken"))


def _authorization_details(paths: tuple[Path, ...]) -> AuthorizationDetails:
    """The pages merged, after checking that they are one whole listing."""
    pages = []
    for path in paths:
        page = _json(path, shapes.AuthorizationDetails, _GAAD)
        if not any(key in page for key in _GAAD_LISTS):
            raise UserError(str(path), f"is not `{_GAAD}` output: it has none of {', '.join(_GAAD_LISTS)}")
        pages.append((path, page))
    _check_page_set(pages)
    merged = {key: [item for _, page in pages for item in page.get(key) or []] for key in _GAAD_LISTS}
    _check_unique(pages)
    if len(pages) > 1:
        _check_references(pages, merged)
    return AuthorizationDetails(
        users=merged["UserDetailList"],
        groups=merged["GroupDetailList"],
        roles=merged["RoleDetailList"],
        policies=merged["Policies"],
    )


def _check_page_set(pages: list[tuple[Path, dict[str, Any]]]) -> None:
    last = [path for path, page in pages if not _truncated(page)]
    if not last:
        path = pages[-1][0]
        what = "is one page of a longer listing" if len(pages) == 1 else "and every other page given are truncated"
        raise UserError(
            str(path),
            f"{what} (IsTruncated or NextToken): the last page is missing; give every page "
            "(repeat --from-authorization-details) or the CLI's own merged output",
        )
    if len(last) > 1:
        raise UserError(str(last[1]), f"is a last page, and so is {last[0]}: pages of two different exports?")
    markers: dict[str, Path] = {}
    for path, page in pages:
        marker = page.get("Marker") or page.get("NextToken")
        if marker and marker in markers:
            raise UserError(str(path), f"is the same page as {markers[marker]} (the same Marker)")
        if marker:
            markers[marker] = path


def _check_unique(pages: list[tuple[Path, dict[str, Any]]]) -> None:
    """An entry in two pages: the same page twice, or pages of two exports."""
    seen: dict[str, Path] = {}
    for path, page in pages:
        for key in _GAAD_LISTS:
            for item in page.get(key) or []:
                arn = item["Arn"]
                if arn in seen:
                    where = "twice" if seen[arn] == path else f"and in {seen[arn]}"
                    raise UserError(str(path), f"holds {arn} {where}: the same page twice, or two exports?")
                seen[arn] = path


def _check_references(pages: list[tuple[Path, dict[str, Any]]], merged: dict[str, list[dict[str, Any]]]) -> None:
    """In a page set, every group a user is in and every attached policy is in some page
    (GetAccountAuthorizationDetails lists both): a name found in no page means a page is missing."""
    groups = {g["GroupName"] for g in merged["GroupDetailList"]}
    policies = {p["Arn"] for p in merged["Policies"]}
    for path, page in pages:
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
            for item in page.get(key) or []:
                absent = [
                    a["PolicyArn"] for a in item.get("AttachedManagedPolicies") or [] if a["PolicyArn"] not in policies
                ]
                absent += [f"group {g}" for g in item.get("GroupList") or [] if g not in groups]
                if absent:
                    raise UserError(
                        str(path),
                        f"{item['Arn']} names {absent[0]}, which is in no page given: is a page missing?",
                    )


# --- credential report -----------------------------------------------------------------------


def _credential_report(path: Path) -> CredentialReport:
    source = str(path)
    data = read_bytes(path)
    if data.lstrip().startswith(b"{"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UserError(source, "cannot read file (UnicodeDecodeError)") from None
        document = shapes.check(source, parse_json(text, source), shapes.CredentialReport, _REPORT)
        if document.get("ReportFormat", "text/csv") != "text/csv":
            raise UserError(source, f"holds a {document['ReportFormat']} report; only text/csv is read")
        try:
            content = base64.b64decode(document["Content"], validate=True)
        except (binascii.Error, ValueError):
            raise UserError(source, "Content is not base64, as the CLI prints the report") from None
        generated = datetime.fromisoformat(document["GeneratedTime"]).astimezone(UTC)
        return CredentialReport(generated_time=generated, rows=_report_rows(source, content))
    # The decoded CSV has no generation time: the file's own time is the latest it can be.
    generated = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return CredentialReport(generated_time=generated, rows=_report_rows(source, data))


def _report_rows(source: str, content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(source, "the report is not UTF-8 text") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = reader.fieldnames or []
        if "user" not in header or "arn" not in header:
            raise UserError(source, "is not a credential report: its CSV header has no 'user' and 'arn' columns")
        rows: list[dict[str, str]] = []
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise UserError(source, f"line {reader.line_num} has not as many values as the header has columns")
            if not row["user"] or not _IAM_ARN.match(row["arn"]):
                raise UserError(source, f"line {reader.line_num} names no user and IAM ARN")
            for column, value in row.items():
                try:
                    parse_report_time(value)
                except (OverflowError, ValueError):
                    raise UserError(
                        source,
                        f"line {reader.line_num}, {column}: {value[:40]!r} is outside the supported range of dates",
                    ) from None
            rows.append(dict(row))
    except csv.Error as exc:
        raise UserError(source, f"is not valid CSV ({exc})") from None
    return rows


# --- account, keys, providers ----------------------------------------------------------------


def _arns(details: AuthorizationDetails | None, report: CredentialReport | None) -> Iterable[str]:
    if details is not None:
        for entries in (details.users, details.groups, details.roles, details.policies):
            yield from (str(e["Arn"]) for e in entries)
    if report is not None:
        yield from (row["arn"] for row in report.rows)


def _account(
    details: AuthorizationDetails | None, report: CredentialReport | None, files: ImportFiles
) -> tuple[str, str]:
    """(partition, account id) from the ARNs the files hold: one account per import."""
    found = {match.groups() for arn in _arns(details, report) if (match := _IAM_ARN.match(arn))}
    source = str((files.authorization_details or (files.credential_report,))[0])
    if not found:
        raise UserError(source, "names no IAM ARN of an account: nothing to tell which account it is")
    if len({account for _, account in found}) > 1:
        accounts = sorted({account for _, account in found})
        raise UserError(source, f"the exports hold several accounts ({', '.join(accounts)}): import one at a time")
    partition, account = sorted(found)[0]
    return partition, account


def _user_arns(details: AuthorizationDetails | None, report: CredentialReport | None) -> dict[str, str]:
    """User name -> ARN, from the authorization details, else the credential report."""
    names: dict[str, str] = {}
    if report is not None:
        names |= {row["user"]: row["arn"] for row in report.rows if row["user"] != ROOT_ROW_USER}
    if details is not None:
        names |= {str(u["UserName"]): str(u["Arn"]) for u in details.users}
    return names


def _access_keys(paths: tuple[Path, ...], users: dict[str, str]) -> dict[str, list[AccessKeyMetadata]]:
    keys: dict[str, list[AccessKeyMetadata]] = {}
    for path in paths:
        listing = _json(path, shapes.AccessKeys, _KEYS)
        if listing.get("IsTruncated"):
            raise UserError(str(path), "is one page of a longer listing (IsTruncated): give the CLI's merged output")
        for item in listing["AccessKeyMetadata"]:
            arn = users.get(item["UserName"])
            if arn is None:
                raise UserError(
                    str(path), f"lists keys of {item['UserName']!r}, a user in neither the details nor the report"
                )
            keys.setdefault(arn, []).append(AccessKeyMetadata.from_item(item))
    return keys


def _oidc(files: ImportFiles, partition: str, account: str) -> list[OidcProviderDetails] | None:
    details: dict[str, OidcProviderDetails] = {}
    for spec in files.oidc_provider:
        arn, sep, name = spec.partition("=") if spec.startswith("arn:") else ("", "", spec)
        path = Path(name if sep else spec)
        item = _json(path, shapes.OidcProvider, _OIDC_GET)
        url = item.get("Url")
        if not arn:
            if not url:
                raise UserError(str(path), "has no Url to tell which provider it is: give it as ARN=FILE")
            arn = f"arn:{partition}:iam::{account}:oidc-provider/{url.removeprefix('https://')}"
        details[arn] = OidcProviderDetails.from_detail(arn, item)
    if files.oidc_providers is None:
        return list(details.values()) if details else None
    listed = _json(files.oidc_providers, shapes.OidcProviders, _OIDC_LIST)["OpenIDConnectProviderList"]
    arns = [str(entry["Arn"]) for entry in listed]
    stray = sorted(set(details) - set(arns))
    if stray:
        raise UserError(str(files.oidc_providers), f"does not list {stray[0]}, whose details were given")
    # A provider listed without its details is still one (as live, when its Get is denied).
    return [details.get(arn) or OidcProviderDetails(arn=arn) for arn in arns]


def _saml(path: Path | None) -> list[SamlProviderDetails] | None:
    if path is None:
        return None
    return [
        SamlProviderDetails.from_item(item)
        for item in _json(path, shapes.SamlProviders, _SAML_LIST)["SAMLProviderList"]
    ]


# --- coverage --------------------------------------------------------------------------------


class _Gaps:
    """What was imported (ok, naming the files) and what was not (skipped, naming the command)."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.entries: list[CoverageEntry] = []

    def add(self, operation: str, status: CoverageStatus, detail: str) -> None:
        self.entries.append(
            CoverageEntry(provider=Provider.AWS, scope=self.account, operation=operation, status=status, detail=detail)
        )

    def source(self, read: bool, operation: str, paths: Iterable[Path | str], missing: str) -> None:
        if read:
            self.add(operation, CoverageStatus.OK, "imported from " + ", ".join(map(str, paths)))
        else:
            self.add(operation, CoverageStatus.SKIPPED, missing)

    def keys(
        self, report: CredentialReport | None, keys: dict[str, list[AccessKeyMetadata]], paths: tuple[Path, ...]
    ) -> None:
        holders = [
            row["user"]
            for row in (report.rows if report is not None else [])
            if holds_key(row) and row["arn"] not in keys
        ]
        if keys:
            self.add("iam:ListAccessKeys", CoverageStatus.OK, f"keys of {len(keys)} users imported")
        if holders:
            shown = ", ".join(holders[:5]) + (f" and {len(holders) - 5} more" if len(holders) > 5 else "")
            self.add(
                "iam:ListAccessKeys",
                CoverageStatus.SKIPPED,
                f"not imported for {len(holders)} key holders ({shown}): `{_KEYS} --output json` each "
                "(--from-access-keys); their keys are named by report slot, as with --no-key-ids",
            )

    def oidc(self, files: ImportFiles, providers: list[OidcProviderDetails] | None) -> None:
        self.source(
            files.oidc_providers is not None,
            "iam:ListOpenIDConnectProviders",
            (files.oidc_providers,) if files.oidc_providers else (),
            f"not imported: `{_OIDC_LIST} --output json` (--from-oidc-providers); "
            "only the providers given with --from-oidc-provider are known",
        )
        unread = [p.arn for p in providers or [] if p.url is None and not p.client_ids]
        for arn in unread:
            self.add(
                "iam:GetOpenIDConnectProvider",
                CoverageStatus.SKIPPED,
                f"not imported: `{_OIDC_GET} {arn} --output json` (--from-oidc-provider ARN=FILE); "
                "its audiences are unknown",
            )
        if providers and len(unread) < len(providers):
            self.add("iam:GetOpenIDConnectProvider", CoverageStatus.OK, "imported")

    def workloads(self, left_out: bool) -> None:
        if left_out:
            detail = "workloads not read (--no-workloads): which compute runs as which role is unknown"
            self.add("ec2:DescribeRegions", CoverageStatus.SCOPED, detail)
        else:
            self.add(
                "ec2:DescribeRegions",
                CoverageStatus.SKIPPED,
                "not imported: no IAM export shows which compute runs as which role; scan live to read "
                "workloads, or give --no-workloads to leave them out by choice",
            )


def usage_not_imported(inventory: Inventory) -> CoverageEntry:
    """The gap an import without ``--usage-from`` leaves: what each identity used is unknown."""
    account = next((s.id.removeprefix("aws:account:") for s in inventory.scopes), "")
    return CoverageEntry(
        provider=Provider.AWS,
        scope=account,
        operation="iam:GenerateServiceLastAccessedDetails",
        status=CoverageStatus.SKIPPED,
        detail="not imported: `aws iam get-service-last-accessed-details` per identity (--usage-from ARN=FILE) "
        "or `aws accessanalyzer get-finding-v2` (--usage-from FILE), or --usage none; what each identity "
        "used of its grants is unknown",
    )
