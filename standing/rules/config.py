"""The TOML configuration file: thresholds, disabled rules, severity overrides.

Strict on purpose: a misspelt key in a security tool's config silently keeps the default
threshold, so every unknown key is an error that names the file and the key.

    fail_on = "high"

    [rules.key-too-old]
    max_age_days = 60

    [rules.console-and-keys]
    enabled = false

    [rules.open-trust]
    severity = "critical"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from standing.core.errors import UserError
from standing.core.findings import Severity
from standing.core.textfiles import MAX_DEPTH, check_depth, read_text
from standing.rules.engine import RuleSettings
from standing.rules.registry import default_settings, load_rules

_TOP_LEVEL = {"fail_on", "rules"}
_RULE_KEYS = {"enabled", "severity"}


@dataclass(frozen=True)
class ScanConfig:
    rules: dict[str, RuleSettings] = field(default_factory=default_settings)
    fail_on: Severity | None = None


def _severity(source: str, where: str, value: Any) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise UserError(source, f"{where}: {value!r} is not a severity ({choices})") from None


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's table, or one ``UserError`` naming the file and what is wrong with it."""
    source = str(path)
    text = read_text(path)  # bounded: size, devices and FIFOs are refused before reading
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(source, f"not valid TOML ({exc})") from None
    except RecursionError:
        raise UserError(source, f"nested deeper than {MAX_DEPTH} levels; refusing to read it") from None
    check_depth(data, source)
    return data


def load_config(path: Path | None) -> ScanConfig:
    """The config file a command was given; without one (no ``--config``), the defaults."""
    return parse_config(read_toml(path), str(path)) if path is not None else ScanConfig()


def parse_config(data: dict[str, Any], source: str) -> ScanConfig:
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        raise UserError(source, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_TOP_LEVEL))})")
    fail_on = _severity(source, "fail_on", data["fail_on"]) if "fail_on" in data else None
    rules_table = data.get("rules", {})
    if not isinstance(rules_table, dict):
        raise UserError(source, "[rules] must be a table")
    known = load_rules()
    settings = default_settings()
    for rule_id, table in rules_table.items():
        where = f"[rules.{rule_id}]"
        if rule_id not in known:
            raise UserError(source, f"unknown rule {rule_id!r} in [rules] (see `standing rules`)")
        if not isinstance(table, dict):
            raise UserError(source, f"{where} must be a table")
        rule = known[rule_id]
        param_names = set(rule.Params.model_fields)
        for key in table:
            if key not in _RULE_KEYS | param_names:
                allowed = ", ".join(sorted(_RULE_KEYS | param_names))
                raise UserError(source, f"{where} unknown setting {key!r} (allowed: {allowed})")
        current = settings[rule_id]
        enabled = table.get("enabled", current.enabled)
        if not isinstance(enabled, bool):
            raise UserError(source, f"{where} enabled must be true or false")
        severity = (
            _severity(source, f"{where} severity", table["severity"]) if "severity" in table else current.severity
        )
        try:
            params = rule.Params.model_validate({k: v for k, v in table.items() if k in param_names})
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            raise UserError(source, f"{where} {key}: {first['msg']}") from None
        settings[rule_id] = replace(current, enabled=enabled, severity=severity, params=params)
    return ScanConfig(rules=settings, fail_on=fail_on)
