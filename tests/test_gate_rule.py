"""long-lived-secret: one finding per live long-lived secret, off in scans, on in the gate."""

from __future__ import annotations

from datetime import timedelta

from standing.core.model import CredentialKind
from standing.gate.judge import gate_config
from standing.rules.analyse import analyse
from standing.rules.config import ScanConfig, parse_config
from tests.builders import NOW, inventory, key, user


def test_every_live_long_lived_secret_is_a_finding_unless_short_lived_or_expired():
    app = user("svc-app")
    aws_key = key(app, "AKIAAPP000000001", age=0, used=None)
    inactive = key(app, "AKIAAPP000000002", age=10, used=None, active=False)
    cert_day = key(app, "cert-12h", age=0, kind=CredentialKind.CERTIFICATE).model_copy(
        update={"expires": NOW + timedelta(hours=12)}
    )
    secret_year = key(app, "secret-1y", age=0, kind=CredentialKind.CLIENT_SECRET).model_copy(
        update={"expires": NOW + timedelta(days=365)}
    )
    expired = key(app, "secret-old", age=400, kind=CredentialKind.CLIENT_SECRET).model_copy(
        update={"expires": NOW - timedelta(days=1)}
    )
    inv = inventory(app, aws_key, inactive, cert_day, secret_year, expired)
    hits = {
        (f.subject, f.evidence["lifetime_days"])
        for f in analyse(inv, gate_config(ScanConfig()), as_of=NOW)
        if f.rule_id == "long-lived-secret"
    }
    assert hits == {("AKIAAPP000000001", None), ("secret-1y", 365)}
    assert "long-lived-secret" not in {f.rule_id for f in analyse(inv, ScanConfig(), as_of=NOW)}


def test_configuring_a_disabled_rule_keeps_it_disabled_unless_enabled():
    config = parse_config({"rules": {"long-lived-secret": {"max_lifetime_days": 30}}}, "t.toml")
    assert config.rules["long-lived-secret"].enabled is False
    config = parse_config({"rules": {"long-lived-secret": {"enabled": True}}}, "t.toml")
    assert config.rules["long-lived-secret"].enabled is True
    assert parse_config({"rules": {"key-too-old": {"max_age_days": 30}}}, "t.toml").rules["key-too-old"].enabled
