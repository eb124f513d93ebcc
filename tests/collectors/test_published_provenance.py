"""Every published example says where it was published, and is replayed by a test."""

from __future__ import annotations

import json

import pytest

from tests.support.published import PUBLISHED, all_fixtures, provenance_problems

TESTS = [p.read_text() for p in (PUBLISHED.parents[1] / "tests" / "collectors").glob("test_published_*.py")]
TABLE = (PUBLISHED / "PROVENANCE.md").read_text()


def test_there_are_published_examples_for_each_provider():
    assert {p.parent.name for p in all_fixtures()} == {"graph", "arm", "gcp", "aws"}


@pytest.mark.parametrize("path", all_fixtures(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_example_records_its_source_and_is_replayed(path):
    data = json.loads(path.read_text())
    assert provenance_problems(data) == []
    relative = f"{path.parent.name}/{path.name}"
    assert f"`{relative}`" in TABLE, f"{relative} is missing from PROVENANCE.md"
    prov = data["provenance"]
    assert (prov["commit"][:8] if "commit" in prov else prov["page"]) in TABLE
    assert any(f'"{path.stem}"' in source for source in TESTS), f"no test replays {relative}"


def test_a_documentation_page_example_names_the_provider_s_page_and_when_it_was_read():
    [page] = [p for p in all_fixtures() if p.stem == "recommender-v1-secops-get-recommendation"]
    good = json.loads(page.read_text())
    assert provenance_problems(good) == []
    elsewhere = {**good, "provenance": {**good["provenance"], "page": "https://example.com/recs"}}
    assert provenance_problems(elsewhere) == ["page is not the provider's documentation"]
    undated = {**good, "provenance": {k: v for k, v in good["provenance"].items() if k != "read_at"}}
    assert "no read_at" in provenance_problems(undated)


def test_an_example_without_its_commit_or_with_a_url_elsewhere_is_refused():
    good = json.loads(all_fixtures()[0].read_text())
    assert provenance_problems(good) == []
    no_commit = {**good, "provenance": {**good["provenance"], "commit": ""}}
    assert "no commit" in provenance_problems(no_commit)
    moved = {**good, "provenance": {**good["provenance"], "url": "https://example.com/x.json"}}
    assert provenance_problems(moved) == ["url does not name the repository, commit and path"]
