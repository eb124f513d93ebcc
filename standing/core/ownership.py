"""Who an identity's tags say owns or consumes it, read the ways teams actually write tags.

Conventions differ from one estate to the next: one key per party (``owner``, ``team``,
``consumer``), a namespaced key (``acme:owner``, ``app.example.com/team``, ``OwningTeam``), or one
key holding a list (``owner-teams = "search,billing"``). Reading only the first kind misses a
shared identity tagged the second or third way, so every reader of ownership tags goes through here.

Lists are split on ``,``, ``;`` and ``|``. Whitespace separates parties only under a plural key
(``owners``, ``teams``, ``consumers``, ``owner-teams``): under a singular key, ``Platform Team``
is one team, not two.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAMESPACE = re.compile(r"[:/.]")
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_LIST = re.compile(r"[,;|]")
_SINGULAR = frozenset({"owner", "team", "consumer"})
_PLURAL = frozenset({"owners", "teams", "consumers"})


def _words(key: str) -> set[str]:
    """The words of a tag key's last namespace segment: ``acme:OwnerTeams`` -> {owner, teams}."""
    last = _NAMESPACE.split(key)[-1]
    return {w.lower() for w in _WORD.findall(last)}


def is_ownership_key(key: str) -> bool:
    return bool(_words(key) & (_SINGULAR | _PLURAL))


def _parties(key: str, value: str) -> list[str]:
    plural = bool(_words(key) & _PLURAL)
    parts = _LIST.split(value)
    if plural and len(parts) == 1:
        parts = value.split()
    return [p.strip() for p in parts if p.strip()]


def named_parties(tags: Mapping[str, str]) -> list[str]:
    """Every distinct owner, team or consumer the tags name, in first-seen order (case-insensitive)."""
    seen: dict[str, str] = {}
    for key in sorted(tags):
        if not is_ownership_key(key):
            continue
        for party in _parties(key, tags[key]):
            seen.setdefault(party.casefold(), party)
    return list(seen.values())
