"""The limit figures: what a single process can do at best, with nothing but the work itself.

Each adds one step to the one before: fetch every page over HTTP; then parse it with lxml; then
extract ten fields per record into a dict; then load those rows into a table. No pipeline that
fetches, parses and stores in one process can beat them.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from collections.abc import Callable, Iterator

import requests
from lxml import etree

from bench.databases import driver_url
from bench.measured import Measured, Stopwatch

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
_TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]*)</resumptionToken>")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
DOI_URL = "https://doi.org/"


def fetch_pages(url: str, prefix: str) -> Iterator[bytes]:
    """The bodies of a ListRecords list, page by page; the token is found without parsing."""
    with requests.Session() as session:
        params = {"verb": "ListRecords", "metadataPrefix": prefix}
        while True:
            reply = session.get(url, params=params, timeout=300)
            reply.raise_for_status()
            body = reply.content
            yield body
            found = _TOKEN.search(body)
            token = html.unescape(found.group(1).decode()) if found else ""
            if not token:
                return
            params = {"verb": "ListRecords", "resumptionToken": token}


def parsed_records(url: str, prefix: str) -> Iterator[list[etree._Element]]:
    """The <record> elements of each page, parsed once with lxml."""
    for body in fetch_pages(url, prefix):
        root = etree.fromstring(body, _PARSER)
        listing = root.find(f"{OAI}ListRecords")
        if listing is None:
            error = root.find(f"{OAI}error")
            if error is not None and error.get("code") == "noRecordsMatch":
                return
            raise RuntimeError(f"no ListRecords in the reply: {body[:300]!r}")
        yield listing.findall(f"{OAI}record")


def extract_datacite(record: etree._Element) -> dict:
    """Ten fields of an oai_datacite record: identifier, datestamp, doi, title, creators,
    publisher, year, type, description, licence."""
    header = record.find(f"{OAI}header")
    row = {"identifier": header.findtext(f"{OAI}identifier"),
           "datestamp": header.findtext(f"{OAI}datestamp")}
    metadata = record.find(f"{OAI}metadata")
    resource = None if metadata is None else next(metadata.iter("{*}resource"), None)
    if resource is None:
        return row
    k = resource.tag[:resource.tag.index("}") + 1]
    doi = next((e.text for e in resource.iterfind(f"{k}identifier")
                if e.get("identifierType") == "DOI"), None)
    resource_type = resource.find(f"{k}resourceType")
    rights = resource.find(f"{k}rightsList/{k}rights")
    row.update(
        doi=doi,
        title=resource.findtext(f"{k}titles/{k}title"),
        creators=[e.text for e in resource.iterfind(f"{k}creators/{k}creator/{k}creatorName")],
        publisher=resource.findtext(f"{k}publisher"),
        year=resource.findtext(f"{k}publicationYear"),
        type=None if resource_type is None else resource_type.get("resourceTypeGeneral"),
        description=resource.findtext(f"{k}descriptions/{k}description"),
        licence=None if rights is None else rights.get("rightsURI") or rights.text)
    return row


def extract_dc(record: etree._Element) -> dict:
    """The same ten fields from an oai_dc record."""
    header = record.find(f"{OAI}header")
    row = {"identifier": header.findtext(f"{OAI}identifier"),
           "datestamp": header.findtext(f"{OAI}datestamp")}
    metadata = record.find(f"{OAI}metadata")
    if metadata is None or not len(metadata):
        return row
    values: dict[str, list[str]] = {}
    for element in metadata[0]:
        if isinstance(element.tag, str) and element.tag.startswith(DC):
            values.setdefault(element.tag[len(DC):], []).append(element.text)
    dois = [v[len(DOI_URL):] for v in values.get("identifier", ()) if v.startswith(DOI_URL)]
    date = values.get("date", [None])[0]
    row.update(
        doi=dois[0] if dois else None, title=values.get("title", [None])[0],
        creators=values.get("creator", []), publisher=values.get("publisher", [None])[0],
        year=date[:4] if date else None, type=values.get("type", [None])[0],
        description=values.get("description", [None])[0],
        licence=values.get("rights", [None])[0])
    return row


EXTRACTORS: dict[str, Callable[[etree._Element], dict]] = {
    "oai_datacite": extract_datacite, "oai_dc": extract_dc}


def extracted_rows(url: str, prefix: str) -> Iterator[list[dict]]:
    extract = EXTRACTORS[prefix]
    for records in parsed_records(url, prefix):
        yield [extract(record) for record in records]


def fetch(spec: dict) -> Measured:
    n = pages = size = 0
    with Stopwatch() as clock:
        for body in fetch_pages(spec["feed_url"], spec["prefix"]):
            pages += 1
            size += len(body)
            n += body.count(b"<record>") + body.count(b"<record ")
    return Measured(n, clock.seconds, {"pages": pages, "bytes": size,
                                       "wire_bytes_per_record": round(size / n) if n else None})


def parse(spec: dict) -> Measured:
    n = 0
    with Stopwatch() as clock:
        for records in parsed_records(spec["feed_url"], spec["prefix"]):
            n += len(records)
    return Measured(n, clock.seconds)


def extract(spec: dict) -> Measured:
    n = fields = 0
    with Stopwatch() as clock:
        for rows in extracted_rows(spec["feed_url"], spec["prefix"]):
            n += len(rows)
            fields = max([fields, *map(len, rows)])
    return Measured(n, clock.seconds, {"fields": fields})


def load_pg(spec: dict) -> Measured:
    """Fetch, parse, extract, then COPY the rows as JSON into a jsonb column: one COPY, one
    transaction."""
    import psycopg

    n = size = 0
    with psycopg.connect(driver_url(spec["db_url"])) as conn:
        conn.execute("CREATE TABLE bench_limit (identifier text PRIMARY KEY, doc jsonb NOT NULL)")
        conn.commit()
        with Stopwatch() as clock:
            with conn.cursor() as cursor, cursor.copy(
                    "COPY bench_limit (identifier, doc) FROM STDIN") as copy:
                for rows in extracted_rows(spec["feed_url"], spec["prefix"]):
                    for row in rows:
                        doc = json.dumps(row, ensure_ascii=False)
                        size += len(doc)
                        copy.write_row((row["identifier"], doc))
                    n += len(rows)
            conn.commit()
        stored = conn.execute("SELECT count(*) FROM bench_limit").fetchone()[0]
    return Measured(n, clock.seconds, {"rows_stored": stored,
                                       "json_chars_per_row": round(size / n) if n else None})


def load_sqlite(spec: dict) -> Measured:
    """Fetch, parse, extract, then executemany the rows into a plain table: one transaction."""
    n = size = 0
    conn = sqlite3.connect(spec["db_url"].split("///", 1)[1])
    try:
        conn.execute("CREATE TABLE bench_limit (identifier TEXT PRIMARY KEY, doc TEXT NOT NULL)")
        conn.commit()
        with Stopwatch() as clock:
            for rows in extracted_rows(spec["feed_url"], spec["prefix"]):
                docs = [(row["identifier"], json.dumps(row, ensure_ascii=False)) for row in rows]
                size += sum(len(doc) for _, doc in docs)
                conn.executemany("INSERT INTO bench_limit (identifier, doc) VALUES (?, ?)", docs)
                n += len(rows)
            conn.commit()
        stored = conn.execute("SELECT count(*) FROM bench_limit").fetchone()[0]
    finally:
        conn.close()
    return Measured(n, clock.seconds, {"rows_stored": stored,
                                       "json_chars_per_row": round(size / n) if n else None})
