"""A ``data.aws_iam_policy_document`` Terraform reads only at apply, rebuilt from the plan.

When a role's trust names an OIDC provider the same change creates
(``identifiers = [aws_iam_openid_connect_provider.github.arn]``), Terraform cannot read the data
source during plan, and the role's ``assume_role_policy`` is "known after apply": read as it
is, the gate has nothing to judge, and the role the planner recommends could never pass. The
plan still holds what is needed: the data source's planned arguments (a ``read`` in
``resource_changes``, its ``after`` and ``after_unknown``) and the configuration's expressions
for each argument. So the document is rebuilt as the data source would render it, and:

- an unknown argument whose only reference is ``aws_iam_openid_connect_provider.X.arn`` is the
  provider's ARN, ``arn:aws:iam::<account>:oidc-provider/<host and path of its planned url>``;
- a value built from ``aws_iam_openid_connect_provider.X.url`` (a condition key
  ``"${aws_iam_openid_connect_provider.github.url}:sub"``) is read with the URL as IAM stores it,
  host and path without ``https://``: the plan shows the URL as configured, the apply reads it
  back from IAM;
- any other unknown (an argument built from another resource's computed value, a ``dynamic``
  block, merged ``source_policy_documents``) leaves the document unresolved: the gap is named and
  the document is not judged, never guessed into a pass or a fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standing.collectors.iac.plan import DeferredRead


@dataclass(frozen=True)
class OidcProvider:
    """An ``aws_iam_openid_connect_provider`` of the plan: its URL as planned, and as IAM names it."""

    url: str  # as configured and planned, e.g. https://token.actions.githubusercontent.com
    issuer: str  # host and path, e.g. token.actions.githubusercontent.com
    arn: str


Lookup = Callable[[str], OidcProvider | None]  # "aws_iam_openid_connect_provider.github" -> the provider
_PROVIDER_REF = re.compile(r"^(aws_iam_openid_connect_provider\.[A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.(arn|url)$")
_UNKNOWN = object()
_STATEMENT_LISTS = ("actions", "not_actions", "resources", "not_resources")
_RENDERED = {"actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"}


@dataclass
class Rebuilt:
    """The document (None when anything stayed unknown) and each argument that did."""

    document: dict[str, Any] | None
    gaps: list[str] = field(default_factory=list)


def rebuild_policy_document(read: DeferredRead, lookup: Lookup) -> Rebuilt:
    builder = _Builder(lookup)
    document = builder.document(read.instance.values, read.instance.unknown, read.expressions)
    return Rebuilt(None if builder.gaps else document, builder.gaps)


def _has_unknown(unknown: Any) -> bool:
    if isinstance(unknown, dict):
        return any(_has_unknown(v) for v in unknown.values())
    if isinstance(unknown, list):
        return any(_has_unknown(v) for v in unknown)
    return unknown is True


def _value_references(expression: Any) -> list[str]:
    """The references that carry a value: each step implied by a longer one is dropped."""
    references = [r for r in (expression or {}).get("references") or [] if isinstance(r, str)]
    return [r for r in references if not any(o != r and o.startswith(r + ".") for o in references)]


class _Builder:
    def __init__(self, lookup: Lookup) -> None:
        self.lookup = lookup
        self.gaps: list[str] = []

    def gap(self, path: str) -> Any:
        self.gaps.append(path)
        return _UNKNOWN

    # -- the document ------------------------------------------------------------------------
    def document(self, after: dict[str, Any], unknown: Any, expressions: dict[str, Any]) -> dict[str, Any]:
        unknown = unknown if isinstance(unknown, dict) else {}
        for merged in ("source_policy_documents", "override_policy_documents", "source_json", "override_json"):
            if after.get(merged) or unknown.get(merged):
                self.gap(merged)  # merging documents is not rebuilt here
        document: dict[str, Any] = {}
        version = self.value("version", after.get("version"), unknown.get("version"), expressions.get("version"))
        document["Version"] = version if isinstance(version, str) and version else "2012-10-17"
        policy_id = self.value(
            "policy_id", after.get("policy_id"), unknown.get("policy_id"), expressions.get("policy_id")
        )
        if isinstance(policy_id, str) and policy_id:
            document["Id"] = policy_id
        statements = self.blocks(
            "statement", after.get("statement"), unknown.get("statement"), expressions.get("statement"), ordered=True
        )
        document["Statement"] = [self.statement(block) for block in statements]
        return document

    def statement(self, block: dict[str, Any]) -> dict[str, Any]:
        rendered: dict[str, Any] = {"Effect": block.get("effect") or "Allow"}
        if block.get("sid"):
            rendered["Sid"] = block["sid"]
        for key in _STATEMENT_LISTS:
            if block.get(key):
                rendered[_RENDERED[key]] = list(block[key])
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            principals: dict[str, list[str]] = {}
            for entry in block.get(key) or []:
                principals.setdefault(str(entry.get("type")), []).extend(map(str, entry.get("identifiers") or []))
            if principals == {"*": ["*"]}:
                rendered[name] = "*"
            elif principals:
                rendered[name] = principals
        conditions: dict[str, dict[str, list[str]]] = {}
        for entry in block.get("condition") or []:
            values = conditions.setdefault(str(entry.get("test")), {}).setdefault(str(entry.get("variable")), [])
            values.extend(map(str, entry.get("values") or []))
        if conditions:
            rendered["Condition"] = conditions
        return rendered

    # -- blocks and values -------------------------------------------------------------------
    def blocks(self, path: str, after: Any, unknown: Any, config: Any, *, ordered: bool) -> list[dict[str, Any]]:
        """Nested blocks with their unknown arguments resolved; a block that cannot be is a gap."""
        configs = [
            c for c in (config if isinstance(config, list) else [config] if config else []) if isinstance(c, dict)
        ]
        if unknown is True:  # the whole set of blocks is unknown: rebuild each from its configuration
            if not configs:
                self.gap(path)
                return []
            return [self.block(f"{path}[{n}]", {}, True, c) for n, c in enumerate(configs)]
        found: list[dict[str, Any]] = []
        for position, block in enumerate(after if isinstance(after, list) else []):
            marks = unknown[position] if isinstance(unknown, list) and position < len(unknown) else {}
            marks = marks if isinstance(marks, dict) else {}
            where = f"{path}[{position}]"
            if not isinstance(block, dict):
                self.gap(where)
                continue
            candidates = self._candidates(block, configs, position, ordered)
            if not _has_unknown(marks):  # known: the candidates' references only say which values came from a url
                found.append(self.block(where, block, marks, _merged(candidates)))
            elif len(candidates) == 1:
                found.append(self.block(where, block, marks, candidates[0]))
            else:
                self.gap(where)
        return [b for b in found if b is not _UNKNOWN]

    @staticmethod
    def _candidates(
        block: dict[str, Any], configs: list[dict[str, Any]], position: int, ordered: bool
    ) -> list[dict[str, Any]]:
        """The configuration blocks this planned block may come from (sets are unordered: matched by constants)."""
        if ordered:
            return [configs[position]] if position < len(configs) and len(configs) else []
        return [
            c
            for c in configs
            if all(
                "constant_value" not in (c.get(k) or {}) or c[k]["constant_value"] == v
                for k, v in block.items()
                if v is not None and not isinstance(v, dict)
            )
        ]

    def block(self, path: str, after: dict[str, Any], unknown: Any, config: dict[str, Any]) -> dict[str, Any]:
        built: dict[str, Any] = {}
        keys = set(after) | (set(config) if unknown is True else set(unknown) if isinstance(unknown, dict) else set())
        for key in sorted(keys):
            mark = True if unknown is True else (unknown.get(key) if isinstance(unknown, dict) else None)
            expression = config.get(key)
            if key in ("principals", "not_principals", "condition"):
                built[key] = self.blocks(f"{path}.{key}", after.get(key), mark, expression, ordered=False)
            elif key == "statement":
                continue
            else:
                value = self.value(f"{path}.{key}", after.get(key), mark, expression)
                if value is not _UNKNOWN:
                    built[key] = value
        return built

    def value(self, path: str, after: Any, unknown: Any, expression: Any) -> Any:
        references = _value_references(expression if isinstance(expression, dict) else None)
        if unknown is True:
            if isinstance(expression, dict) and "constant_value" in expression:
                return expression["constant_value"]
            resolved = self._single(references)
            if resolved is None:
                return self.gap(path)
            return [resolved] if path.rsplit(".", 1)[-1] in _LIST_ARGUMENTS else resolved
        if isinstance(unknown, list) and isinstance(after, list) and _has_unknown(unknown):
            holes = [n for n, mark in enumerate(unknown) if mark is True]
            resolved = self._single(references)
            if len(holes) != 1 or resolved is None:
                return self.gap(path)
            return [resolved if n == holes[0] else self._as_stored(v, references) for n, v in enumerate(after)]
        if isinstance(after, list):
            return [self._as_stored(v, references) for v in after]
        return self._as_stored(after, references)

    def _single(self, references: list[str]) -> str | None:
        """The value of the one reference an argument is made of, when it is an OIDC provider's ARN or URL."""
        if len(references) != 1:
            return None
        match = _PROVIDER_REF.match(references[0])
        provider = self.lookup(match.group(1)) if match else None
        if provider is None or match is None:
            return None
        return provider.arn if match.group(2) == "arn" else provider.issuer

    def _as_stored(self, value: Any, references: list[str]) -> Any:
        """A known value built from a provider's ``url``, with the URL as IAM stores it (no scheme)."""
        if not isinstance(value, str):
            return value
        for reference in references:
            match = _PROVIDER_REF.match(reference)
            provider = self.lookup(match.group(1)) if match and match.group(2) == "url" else None
            if provider is not None and provider.url != provider.issuer and value.startswith(provider.url):
                return provider.issuer + value[len(provider.url) :]
        return value


def _merged(candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """One block expression whose references are those of every candidate (constants dropped)."""
    if len(candidates) == 1:
        return candidates[0]
    merged: dict[str, Any] = {}
    for candidate in candidates:
        for key, expression in candidate.items():
            if isinstance(expression, dict) and expression.get("references"):
                merged.setdefault(key, {"references": []})["references"] += expression["references"]
    return merged


_LIST_ARGUMENTS = frozenset({"identifiers", "values", *_STATEMENT_LISTS})
