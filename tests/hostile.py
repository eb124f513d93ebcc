"""Text an attacker controls, for the escaping tests: the names of issue 16, an estate that carries
them on every cloud, what "raw" means, and Hypothesis strategies of such strings.

Anyone who can name an Entra app, set a GCP display name or tag an AWS identity writes these.
"""

from __future__ import annotations

import json
import re

from hypothesis import strategies as st

from standing.core.model import (
    CoverageEntry,
    CoverageStatus,
    Credential,
    CredentialKind,
    Identity,
    IdentityKind,
    Inventory,
    Provider,
    Scope,
    ScopeKind,
    TrustKind,
)
from tests.builders import ACCOUNT, allow, arn, days_ago, grant, inventory, key, policy, role, trust, user

RETITLE = "\x1b]0;pwned\x07"  # retitles the terminal
CLEAR = "\x1b[2J"  # clears the screen
FENCE_BREAKER = "a\n```\n}"  # ends a line, a fence and a Terraform block
FORMULA = '=HYPERLINK("x")'
DDE = "+cmd|' /C calc'!A0"
QUOTES = "O'Brien\" or 1=1 --"
BIDI = "\u202egnp.exe"  # reads as exe.png
C1 = "svc\x9b31mred"  # a C1 CSI, which some terminals obey like ESC [
MARKUP = "[bold red]boss[/bold red]"  # rich markup: must print as typed

AWS_NAMES = (RETITLE, CLEAR, FENCE_BREAKER, FORMULA, DDE, QUOTES, BIDI, C1, MARKUP)
GCP_DISPLAY = "\x1b]0;gcp\x07etl-runner"
AZURE_DISPLAY = "O'Brien\" or 1=1 -- \x1b[31mapp"
BENIGN = "naïve 名前-svc"  # the near miss: non-ASCII and an inner hyphen stay exactly as typed
HOSTILE_TAGS = {"owner": "\x1b[31mmallory", "team": "=cmd|' /C calc'!A0", "note": "a\nb\u202e"}
GAP_DETAIL = "\x1b[2J<b>denied</b>"

GCP_PROJECT = "data-prod"
PROJECT_DISPLAY = "\x1b[2Jdata prod"
AZURE_TENANT = "00000000-0000-0000-0000-0000000000aa"
AZURE_SP = "11111111-2222-3333-4444-555555555555"

# A character a person's terminal, spreadsheet or XML parser would act on: C0 but tab and
# newline, DEL, C1, bidi controls, lone surrogates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """How ``standing.core.safe_text.printable`` shows ``text``: written out here, not imported,
    so the tests do not check the module against itself."""
    out = []
    for char in text:
        code = ord(char)
        if RAW.match(char) or char == "\n":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def hostile_estate(*, with_hostile: bool = True) -> Inventory:
    """AWS users named with every hostile string (their ARNs carry them too), one with hostile
    tags and a path to admin; a GCP service account and an Entra app with hostile display
    names; a coverage gap with a hostile detail; and a benign user, the near miss."""
    benign = user(BENIGN)
    records: list[object] = [benign, key(benign, "AKIABENIGN", age=200, used=3)]
    if with_hostile:
        admin = role("acme-admin")
        admin_policy = policy("Admin", allow("*"))
        assume = policy("AssumeAdmin", allow("sts:AssumeRole", arn("role", "acme-admin")))
        records += [admin, admin_policy, grant(admin, admin_policy)]
        records.append(trust(admin, f"arn:aws:iam::{ACCOUNT}:root", TrustKind.ACCOUNT))
        for i, name in enumerate(AWS_NAMES):
            fields = {"tags": HOSTILE_TAGS} if name == RETITLE else {}
            hostile = user(name, **fields)
            records += [hostile, key(hostile, f"AKIAHOSTILE{i:02d}", age=300 + i, used=2)]
            if name in (RETITLE, QUOTES):
                records.append(grant(hostile, assume))
        records.append(assume)
    inv = inventory(*records)
    if not with_hostile:
        return inv
    sa = Identity(
        id=f"projects/{GCP_PROJECT}/serviceAccounts/etl@{GCP_PROJECT}.iam.gserviceaccount.com",
        provider=Provider.GCP,
        kind=IdentityKind.SERVICE_ACCOUNT,
        account=GCP_PROJECT,
        name=GCP_DISPLAY,
        human=False,
    )
    sp = Identity(
        id=AZURE_SP,
        provider=Provider.AZURE,
        kind=IdentityKind.SERVICE_PRINCIPAL,
        account=AZURE_TENANT,
        name=AZURE_DISPLAY,
        human=False,
    )
    credentials = [
        Credential(
            id=f"{sa.id}/keys/k1", identity_id=sa.id, kind=CredentialKind.SA_KEY, active=True, created=days_ago(400)
        ),
        Credential(
            id=f"{AZURE_SP}/secret/s1",
            identity_id=AZURE_SP,
            kind=CredentialKind.CLIENT_SECRET,
            active=True,
            created=days_ago(500),
        ),
    ]
    gap = CoverageEntry(
        provider=Provider.AWS,
        scope=f"aws:account:{ACCOUNT}",
        operation="iam:ListAccessKeys",
        status=CoverageStatus.DENIED,
        detail=GAP_DETAIL,
    )
    scopes = [
        *inv.scopes,
        Scope(id=f"projects/{GCP_PROJECT}", provider=Provider.GCP, kind=ScopeKind.PROJECT, name=PROJECT_DISPLAY),
    ]
    meta = inv.meta.model_copy(update={"providers": [Provider.AWS, Provider.GCP, Provider.AZURE]})
    return inv.model_copy(
        update={
            "identities": [*inv.identities, sa, sp],
            "credentials": [*inv.credentials, *credentials],
            "scopes": scopes,
            "meta": meta,
            "coverage": [gap],
        }
    )


_KQL_PART = re.compile(r'"(?:[^"\\]|\\.)*"|unicode_codepoints_to_string\((\d+)\)')


def read_kql(expression: str) -> str:
    """A KQL string expression as ``kql_literal`` writes it, read back: one literal, or strcat of
    literals and code points."""
    inner = expression[len("strcat(") : -1] if expression.startswith("strcat(") else expression
    out, end = [], 0
    for match in _KQL_PART.finditer(inner):
        assert inner[end : match.start()].strip(", ") == "", expression  # nothing between the parts
        out.append(chr(int(match.group(1))) if match.group(1) else json.loads(match.group()))
        end = match.end()
    assert inner[end:] == "", expression
    return "".join(out)


# --- Hypothesis: strings that mix what an attacker types with ordinary text ---------------------

_DANGEROUS = st.sampled_from(
    [
        "\x1b",
        "\x07",
        "\x00",
        "\r",
        "\n",
        "\t",
        "\x7f",
        "\x9b",
        "\x85",
        "\u202e",
        "\u2066",
        "\u200f",
        "`",
        "```",
        "|",
        "*",
        "_",
        "[",
        "]",
        "<",
        ">",
        "&",
        "'",
        '"',
        "\\",
        "}",
        "{",
        "#",
        "=",
        "+",
        "-",
        "@",
        "%",
        "--",
        "]]>",
        "${",
        "é",
        "名",
    ]
)
_ORDINARY = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
hostile_text = st.lists(st.one_of(_DANGEROUS, _ORDINARY), max_size=8).map("".join)
"""Names, tags, display names, descriptions: control, bidi, Markdown, XML, CSV and query
metacharacters among arbitrary Unicode."""
