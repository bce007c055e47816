"""The provider reads a list's next page while the harvester reads this one, and serves it only
if the catalogue has not changed since: a harvest gets the same documents either way."""

from __future__ import annotations

import hashlib
import json
import re
import threading

import httpx
import pytest

from provider import ProviderConfig, ProviderServer
from provider.read_ahead import ReadAhead
from schemas import Identifier, Record, ResourceType, Title
from store import Store
from store.merged import MergedWrite, MergeUnitWrite


def a_record(n: int, title: str = "Record") -> Record:
    return Record(identifier=Identifier(value=f"10.5555/ahead-{n}", type="DOI"),
                  titles=[Title(value=f"{title} {n} <&>", lang="en")], publication_year=2020,
                  resource_type=ResourceType(general="Dataset"))


def put(store: Store, numbers: range, title: str = "Record") -> None:
    writes = []
    for n in numbers:
        data = a_record(n, title).model_dump(mode="json", exclude_none=True)
        writes.append(MergedWrite(
            merged_id=f"m{n:03d}", record=data, field_provenance={}, sources=["alpha"],
            members=[("alpha", f"oai:alpha:{n}")], sets=["source:alpha", "type:Dataset"],
            deleted=False,
            content_sha256=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()))
    store.write_merge_unit(MergeUnitWrite(record_ids=[], links=[], merged=writes, redirects={},
                                          claimed=[]))


@pytest.fixture
def store(sqlite_url) -> Store:
    store = Store.open(sqlite_url)
    put(store, range(25))
    yield store
    store.close()


def harvest(url: str, **params) -> list[bytes]:
    """Every page of a list, with the responseDate and the server's address blanked out."""
    pages = []
    with httpx.Client(timeout=10) as http:
        query = {"verb": "ListRecords", **params}
        while True:
            body = http.get(url + "/oai", params=query).content
            pages.append(re.sub(rb"<responseDate>[^<]*</responseDate>|127.0.0.1:\d+", b"", body))
            token = re.search(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>", body)
            if token is None:
                return pages
            query = {"verb": "ListRecords", "resumptionToken": token.group(1).decode()}


def test_a_harvest_gets_the_same_pages_with_and_without_read_ahead(store, monkeypatch):
    served_ahead = []
    take = ReadAhead.take

    def spy(self, key, version):
        found = take(self, key, version)
        served_ahead.append(found is not None)
        return found

    monkeypatch.setattr(ReadAhead, "take", spy)
    for prefix in ("oai_datacite", "oai_dc"):
        pages = {}
        for read_ahead in (False, True):
            config = ProviderConfig(page_size=4, read_ahead=read_ahead)
            with ProviderServer(store, config) as server:
                # The same fixed `until` for both, so that the tokens are the same too.
                pages[read_ahead] = harvest(server.url, metadataPrefix=prefix,
                                            until="2100-01-01T00:00:00Z")
        assert len(pages[True]) == 7
        assert pages[True] == pages[False]
    assert served_ahead.count(True) == 2 * 6  # every page but the first came read ahead


def test_a_page_read_ahead_before_the_catalogue_changed_is_read_again(store):
    with ProviderServer(store, ProviderConfig(page_size=10)) as server, \
            httpx.Client(timeout=10) as http:
        first = http.get(server.url + "/oai", params={
            "verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}).text
        token = re.search(r"<resumptionToken[^>]*>([^<]+)<", first).group(1)
        # Every record the list has left changes, and moves past its `until`.
        put(store, range(10, 25), title="Changed")
        second = http.get(server.url + "/oai", params={
            "verb": "ListIdentifiers", "resumptionToken": token}).text
    assert 'code="noRecordsMatch"' in second


def test_pages_are_served_only_in_the_version_they_were_read_in_and_only_a_few_are_kept():
    ahead = ReadAhead(limit=2)
    release = threading.Event()
    try:
        ahead.start("a", lambda: "page a", version=1)
        assert ahead.take("a", version=1).result() == "page a"
        assert ahead.take("a", version=1) is None  # taken once
        ahead.start("b", lambda: "page b", version=1)
        assert ahead.take("b", version=2) is None  # the catalogue changed since

        ahead.start("blocker", release.wait, version=1)  # keeps the reading thread busy
        for key in ("c", "d", "e"):
            ahead.start(key, lambda key=key: f"page {key}", version=1)
        release.set()
        assert ahead.take("blocker", version=1) is None  # dropped: the oldest beyond two
        assert ahead.take("c", version=1) is None
        assert [ahead.take(k, version=1).result() for k in ("d", "e")] == ["page d", "page e"]
    finally:
        release.set()
        ahead.close()
