"""Webhook notifications: new findings at or above a severity, retried with backoff, URL never shown."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from standing.cli.main import main
from standing.core.snapshot import dump_snapshot
from standing.history import recorder as recorder_module
from standing.history.notify import NotificationFailed, deliver
from tests.builders import inventory, key, user
from tests.history.estates import day, estate
from tests.support.webhook import WebhookReceiver

SECRET_PATH = "/services/T0000/B0000/s3cr3tT0k3n"


def test_delivery_retries_with_backoff_and_honours_retry_after():
    script = [(500, {}), (503, {}), (429, {"Retry-After": "7"})]
    waits: list[float] = []
    with WebhookReceiver(script) as receiver:
        delivery = deliver(receiver.url(SECRET_PATH), {"text": "hi"}, sleep=waits.append)
    assert (delivery.attempts, delivery.status) == (4, 200)
    assert waits == [1.0, 2.0, 7.0]  # exponential, then the receiver's Retry-After
    assert [body for _, _, body in receiver.received] == [{"text": "hi"}] * 4


def test_delivery_gives_up_without_naming_the_url():
    waits: list[float] = []
    with WebhookReceiver([(500, {})] * 4) as receiver, pytest.raises(NotificationFailed) as failed:
        deliver(receiver.url(SECRET_PATH), {"text": "hi"}, sleep=waits.append)
    assert str(failed.value) == "gave up after 4 attempts: HTTP 500"
    assert waits == [1.0, 2.0, 4.0]
    with WebhookReceiver([(404, {})]) as receiver:  # not a passing fault: no retry
        with pytest.raises(NotificationFailed, match="refused the message: HTTP 404"):
            deliver(receiver.url(SECRET_PATH), {"text": "hi"}, sleep=waits.append)
    assert len(receiver.received) == 1


def _snapshot(tmp_path, name, inv):
    path = tmp_path / name
    path.write_text(dump_snapshot(inv))
    return str(path)


def test_scan_notifies_new_findings_at_or_above_severity_after_a_failed_attempt(tmp_path, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(recorder_module, "BACKOFF_SLEEP", waits.append)
    store = str(tmp_path / "history.db")
    runner = CliRunner()
    first = runner.invoke(
        main,
        [
            "scan",
            "--snapshot",
            _snapshot(tmp_path, "d0.json", estate(old_key=False)),
            "--store",
            store,
            "--as-of",
            day(0).isoformat(),
            "--fail-on",
            "none",
        ],
    )
    assert first.exit_code == 0, first.output
    # day 1: ci's old key (high) and two-active-keys (medium) are new; an outsider-named user's key too
    odd = user("<!channel> & co")
    later = inventory(*estate().identities, *estate().credentials, odd, key(odd, "AKIAODD", age=120, used=1))
    with WebhookReceiver([(500, {})]) as receiver:
        url = receiver.url(SECRET_PATH)
        result = runner.invoke(
            main,
            [
                "scan",
                "--snapshot",
                _snapshot(tmp_path, "d1.json", later),
                "--store",
                store,
                "--as-of",
                day(1).isoformat(),
                "--fail-on",
                "none",
                "--notify-webhook",
                url,
                "--notify-on",
                "high",
            ],
        )
    assert result.exit_code == 0, result.output
    assert waits == [1.0]
    assert len(receiver.received) == 2 and receiver.received[0] == receiver.received[1]
    path, content_type, payload = receiver.received[1]
    assert (path, content_type) == (SECRET_PATH, "application/json")
    assert payload["text"] == (
        "standing: 2 new finding(s) at or above high in scan 2 of 111122223333 (as of 2026-06-02 12:00 UTC)"
    )
    assert [block["text"]["text"] for block in payload["blocks"][1:]] == [
        "*HIGH* `key-too-old` &lt;!channel&gt; &amp; co (111122223333): "
        "access key AKIAODD of &lt;!channel&gt; &amp; co is 121 days old (limit 90)",
        "*HIGH* `key-too-old` ci (111122223333): access key AKIAOLD of ci is 401 days old (limit 90)",
    ]  # two-active-keys is medium: below the threshold
    assert "Notified the webhook of 2 new finding(s) at or above high (attempt 2)" in result.output
    assert SECRET_PATH not in result.output and "s3cr3t" not in result.output


def test_a_webhook_that_keeps_failing_warns_once_and_keeps_the_scan(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_module, "BACKOFF_SLEEP", lambda seconds: None)
    store = str(tmp_path / "history.db")
    with WebhookReceiver([(502, {})] * 4) as receiver:
        result = CliRunner().invoke(
            main,
            [
                "scan",
                "--snapshot",
                _snapshot(tmp_path, "d0.json", estate()),
                "--store",
                store,
                "--as-of",
                day(0).isoformat(),
                "--notify-webhook",
                receiver.url(SECRET_PATH),
            ],
        )
    assert result.exit_code == 1  # the scan's own verdict (a high finding), unchanged
    assert (
        "standing: warning: notification webhook: gave up after 4 attempts: HTTP 502; the scan is recorded"
        in result.output
    )
    assert "s3cr3t" not in result.output
    listed = CliRunner().invoke(main, ["history", "--store", store, "list", "--format", "csv"])
    # 1 identity, 2 credentials, 4 findings: key-too-old, two-active-keys and the two keys' census
    assert listed.output.splitlines()[1].startswith("1,2026-06-01T12:00:00Z,aws,111122223333,True,1,2,4,")


@pytest.mark.parametrize("url", ["http://hooks.example.com/services/s3cr3t", "ftp://127.0.0.1/s3cr3t", "s3cr3t"])
def test_a_webhook_must_be_https_except_on_loopback(tmp_path, url):
    result = CliRunner().invoke(
        main,
        [
            "scan",
            "--snapshot",
            _snapshot(tmp_path, "d0.json", estate()),
            "--store",
            str(tmp_path / "h.db"),
            "--notify-webhook",
            url,
        ],
    )
    assert result.exit_code == 2
    assert result.output == (
        "standing: error: --notify-webhook: must be an https:// URL (plain http only on a loopback address)\n"
    )
    assert not (tmp_path / "h.db").exists()  # refused before the store was even opened
