"""Waivers: accepted risks, each owned, justified and ending on a date.

A waived finding stays in every output, marked with its waiver, and no longer fails the
scan. A waiver past its expiry waives nothing and is reported itself, so an exception
cannot quietly become permanent.

    [[waivers]]
    rule = "key-too-old"                      # a rule id, or "*"
    subject = "arn:aws:iam::*:user/svc-partner-sftp"  # glob on the finding's subject or identity
    owner = "payments-team@example.com"
    justification = "Partner SFTP accepts only static keys; rotation is automated"
    expires = 2027-01-31
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from standing.core.errors import UserError
from standing.core.findings import Finding, Waiver
from standing.rules.config import read_toml
from standing.rules.registry import load_rules


def load_waivers(path: Path | None) -> list[Waiver]:
    """The waivers file a command was given; without one (no ``--waivers``), none."""
    if path is None:
        return []
    source = str(path)
    data = read_toml(path)
    unknown = sorted(set(data) - {"waivers"})
    if unknown:
        raise UserError(source, f"unknown key {unknown[0]!r} (waivers go in [[waivers]] tables)")
    entries = data.get("waivers", [])
    if not isinstance(entries, list):
        raise UserError(source, "[[waivers]] must be an array of tables")
    rules = load_rules()
    waivers = []
    for index, entry in enumerate(entries, start=1):
        where = f"waiver {index}"
        try:
            waiver = Waiver.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "entry"
            raise UserError(source, f"{where}: {field}: {first['msg']}") from None
        if waiver.rule != "*" and waiver.rule not in rules:
            raise UserError(source, f"{where}: unknown rule {waiver.rule!r}")
        waivers.append(waiver)
    return waivers


def apply_waivers(findings: list[Finding], waivers: list[Waiver], now: datetime) -> tuple[list[Finding], list[Waiver]]:
    """Mark findings an active waiver covers; return them with the waivers that have expired."""
    active = [w for w in waivers if not w.expired(now)]
    expired = [w for w in waivers if w.expired(now)]
    marked = [
        f.model_copy(update={"waiver": w}) if (w := next((w for w in active if w.matches(f)), None)) else f
        for f in findings
    ]
    return marked, expired
