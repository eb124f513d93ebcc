"""Whether a URL stays on this machine: the one case where plain http is allowed (emulators,
local relays, tests), for the Azure endpoints and the history webhook alike."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
