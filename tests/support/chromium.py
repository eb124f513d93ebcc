"""Debian's headless Chromium driven through Playwright, recording what a page does.

Playwright talks the DevTools protocol to the system browser (``/usr/bin/chromium``); no browser
is downloaded. Every request, console message, page error and dialog is recorded so a test can
assert a report is inert: nothing fetched, nothing logged, nothing run that we did not write.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing_reason() -> str | None:
    """Why a browser test cannot run here, or None when it can."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@dataclass
class PageRecord:
    requests: list[str] = field(default_factory=list)  # every request the page started, even a blocked one
    finished: list[str] = field(default_factory=list)
    failed: list[tuple[str, str | None]] = field(default_factory=list)  # (url, Chromium's net error)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@dataclass
class OpenedPage:
    page: Any  # playwright.sync_api.Page
    record: PageRecord


def watch(page: Any, record: PageRecord) -> None:
    """Record what this page, and any popup it opens, does (not other pages of its browser); dismiss its dialogs."""
    page.on("request", lambda request: record.requests.append(request.url))
    page.on("requestfinished", lambda request: record.finished.append(request.url))
    page.on("requestfailed", lambda request: record.failed.append((request.url, request.failure)))
    page.on("console", lambda m: record.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: record.page_errors.append(str(error)))

    def dismiss(dialog: Any) -> None:
        record.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.on("popup", lambda popup: watch(popup, record))


@contextmanager
def open_in_chromium(path: Path, *, viewport: tuple[int, int] = (1400, 1000)) -> Iterator[OpenedPage]:
    """The file opened in a fresh profile; the page is loaded and its script has run on entry."""
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    profile = tempfile.mkdtemp(prefix="standing-chromium-")
    record = PageRecord()
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                headless=True,
                args=FLAGS,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                watch(page, record)
                page.goto(path.resolve().as_uri(), wait_until="load")
                yield OpenedPage(page, record)
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
