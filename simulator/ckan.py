"""The CKAN Action API of one simulated feed: package_search with a Solr fq subset, and friends.

Served at `/<feed>/api/3/action/<action>` (ROUTES["api"]): package_search (q, fq, sort,
rows, start), package_show (id or name), package_list (limit, offset), organization_list,
group_list (all_fields) and status_show; GET parameters or a JSON POST body. Each live record
of the feed is one package, built from the same content as its OAI-PMH record
(`simulator.records`); deleted records are absent, as CKAN's search lists active packages only.
Organisations follow the OAI collections (index % 3), groups the resource-type sets.

What can be switched, always on the feed:
- `feed.api_key`: when set (a str), every action needs exactly that key in `Authorization`
  (or `X-CKAN-API-Key`), as CKAN reads it: raw, without "Bearer"; else HTTP 403 with an
  Authorization Error envelope.
- `feed.faults.oai_error_422`, read here as "bad envelope": each firing answers HTTP 200 with
  JSON that is not a CKAN envelope.
- Every transport fault of the server (reset, slow, 503, 429, HTML, truncate, after_pages);
  package_search and package_list replies are list pages for truncate and after_pages.

Bad parameters get CKAN's `success: false` envelopes: 409 Validation Error (rows, start, id),
409 Search Query Error (fq, q, sort), 400 for an unknown action or a body that is not JSON.
The fq language is the part of Solr's that harvesters use: `field:value`, `field:"phrase"`,
`field:(a OR b)`, `field:[a TO b]` with `{}` for exclusive ends and `*` for open ones, AND, OR,
NOT, `+`, parentheses and `*:*`; juxtaposed clauses are ANDed. Dates are compared at Solr's
millisecond precision. A search looks at every live record: O(feed size) per request, fine for
the test-sized feeds this endpoint is for.
"""

from __future__ import annotations

import calendar
import json
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple
from xml.sax.saxutils import unescape

from simulator import records, texts
from simulator.feed import Entry, Feed, Selection

if TYPE_CHECKING:
    from simulator.routes import SimReply, SimRequest

CKAN_VERSION = "2.10.4"
MAX_ROWS = 1000  # ckan.search.rows_max: larger requests are cut to it, as CKAN does
DEFAULT_ROWS = 10
DEFAULT_SORT = "score desc, metadata_modified desc"
_JSON = "application/json;charset=utf-8"
_SITE = "https://{key}.sim.example.org"

# Organisations stand where the OAI side has collections a, b and c.
_ORGANISATIONS = tuple(texts.ORGANISATIONS[:3])
# resourceTypeGeneral -> (CKAN package type, group name, group title)
_KINDS = {"Dataset": ("dataset", "datasets", "Datasets"),
          "Text": ("document", "documents", "Documents"),
          "Software": ("software", "software", "Software"),
          "Image": ("image", "images", "Images")}
# Licences as CKAN portals write them: CKAN's own versionless ids and an SPDX id.
_LICENCES = (
    ("cc-by", "Creative Commons Attribution", "http://www.opendefinition.org/licenses/cc-by"),
    ("cc-zero", "Creative Commons CCZero", "http://www.opendefinition.org/licenses/cc-zero"),
    ("CC-BY-SA-4.0", "Creative Commons Attribution Share-Alike 4.0",
     "https://creativecommons.org/licenses/by-sa/4.0/"),
)
_FORMATS = {  # media type -> (CKAN format label, file extension)
    "text/csv": ("CSV", "csv"), "application/x-netcdf": ("NetCDF", "nc"),
    "application/json": ("JSON", "json"), "application/zip": ("ZIP", "zip"),
    "application/pdf": ("PDF", "pdf"), "text/x-python": ("Python", "py"),
    "image/tiff": ("TIFF", "tif"), "image/png": ("PNG", "png"),
}


class Problem(Exception):
    """A CKAN error: answered as `success: false` with this status and error object."""

    def __init__(self, status: int, kind: str, **details: Any) -> None:
        super().__init__(kind)
        self.status = status
        self.error = {"__type": kind, **details}


# --- the endpoint ---------------------------------------------------------------------------------

def handle(request: SimRequest) -> SimReply:
    path = request.path.strip("/")
    if path in ("", "3", "3/action"):
        return _reply(200, {"version": 3})
    action = path.removeprefix("3/action/")
    if action == path or "/" in action:
        return _reply(404, _envelope(request, action, error={
            "__type": "Not Found Error", "message": "Not found"}))
    feed = request.feed
    if not _authorised(request):
        return _reply(403, _envelope(request, action, error={
            "__type": "Authorization Error",
            "message": f"Access denied: Action {action} requires an authenticated user"}))
    if feed.faults.take("oai_error_422"):  # the "bad envelope": JSON, but not CKAN's
        return _reply(200, {"status": "ok", "datasets": [], "note": "not a CKAN envelope"})
    handler = ACTIONS.get(action)
    if handler is None:
        return _reply(400, _envelope(request, action, error={
            "__type": "Bad Request", "message": f"Bad request - Action name not known: {action}"}))
    try:
        params = _params(request)
        result = handler(request, params)
    except Problem as problem:
        return _reply(problem.status, _envelope(request, action, error=problem.error))
    return _reply(200, _envelope(request, action, result=result),
                  page=action in ("package_search", "package_list"))


def _authorised(request: SimRequest) -> bool:
    expected = request.feed.api_key
    if not expected:
        return True
    headers = {name.lower(): value for name, value in request.headers.items()}
    return expected in (headers.get("authorization"), headers.get("x-ckan-api-key"))


def _params(request: SimRequest) -> dict[str, Any]:
    if request.method == "POST" and request.body.strip():
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise Problem(400, "Bad Request", message=f"Bad request - JSON Error: {exc}") from None
        if not isinstance(body, dict):
            raise Problem(400, "Bad Request",
                          message="Bad request - JSON Error: Request data JSON decoded to "
                                  f"{type(body).__name__} but it needs to be a dictionary.")
        return body
    return {name: values[-1] for name, values in request.query.items()}


def _envelope(request: SimRequest, action: str, **content: Any) -> dict[str, Any]:
    help_url = f"{request.base_url}/3/action/help_show?name={action}"
    return {"help": help_url, "success": "error" not in content, **content}


def _reply(status: int, document: Any, page: bool = False) -> SimReply:
    from simulator.routes import SimReply  # here: routes imports this module to register it

    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return SimReply(status=status, body=body, content_type=_JSON, page=page)


# --- actions --------------------------------------------------------------------------------------

def _package_search(request: SimRequest, params: Mapping[str, Any]) -> dict[str, Any]:
    rows = min(_natural(params, "rows", DEFAULT_ROWS), MAX_ROWS)
    start = _natural(params, "start", 0)
    sort = str(params.get("sort") or DEFAULT_SORT)
    order = _sort_keys(sort)
    matches = _matching(request, str(params.get("q") or ""), str(params.get("fq") or ""))
    for field, descending in reversed(order):
        matches.sort(key=lambda doc: getattr(doc, field), reverse=descending)
    chosen = matches[start:start + rows]
    feed = request.feed
    return {"count": len(matches), "sort": sort, "facets": {}, "search_facets": {},
            "results": [package(request.key, feed, doc.entry) for doc in chosen]}


def _package_show(request: SimRequest, params: Mapping[str, Any]) -> dict[str, Any]:
    wanted = params.get("id")
    if not isinstance(wanted, str) or not wanted:
        raise Problem(409, "Validation Error", id=["Missing value"])
    for doc in _live(request.key, request.feed):
        if wanted in (doc.id, doc.name):
            return package(request.key, request.feed, doc.entry)
    raise Problem(404, "Not Found Error", message="Not found")


def _package_list(request: SimRequest, params: Mapping[str, Any]) -> list[str]:
    names = sorted(doc.name for doc in _live(request.key, request.feed))
    offset = _natural(params, "offset", 0)
    limit = _natural(params, "limit", len(names))
    return names[offset:offset + limit]


def _organization_list(request: SimRequest, params: Mapping[str, Any]) -> list[Any]:
    organisations = sorted((_organisation(k) for k in range(len(_ORGANISATIONS))),
                           key=lambda o: o["name"])
    if _true(params.get("all_fields")):
        return [dict(o) for o in organisations]
    return [o["name"] for o in organisations]


def _group_list(request: SimRequest, params: Mapping[str, Any]) -> list[Any]:
    groups = sorted((_group(general) for general in _KINDS), key=lambda g: g["name"])
    return groups if _true(params.get("all_fields")) else [g["name"] for g in groups]


def _status_show(request: SimRequest, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"site_title": request.feed.name, "site_url": request.base_url.removesuffix("/api"),
            "site_description": "A simulated CKAN portal.", "ckan_version": CKAN_VERSION,
            "locale_default": "en", "error_emails_to": None,
            "extensions": ["scheming_datasets", "fluent", "dcat", "spatial_metadata"]}


ACTIONS: dict[str, Callable[[SimRequest, Mapping[str, Any]], Any]] = {
    "package_search": _package_search,
    "package_show": _package_show,
    "package_list": _package_list,
    "organization_list": _organization_list,
    "group_list": _group_list,
    "status_show": _status_show,
}


def _natural(params: Mapping[str, Any], name: str, default: int) -> int:
    value = params.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or isinstance(value, bool):
        raise Problem(409, "Validation Error", **{name: ["Invalid integer"]})
    return number


def _true(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


# --- the search index: what fq and sort see of each live record --------------------------------

class Doc(NamedTuple):
    entry: Entry
    id: str
    name: str
    metadata_modified: int  # milliseconds since the epoch, as Solr keeps dates
    organization: str
    groups: tuple[str, ...]
    type: str


def _live(key: str, feed: Feed) -> list[Doc]:
    entries = feed.page(Selection(), 0, max(feed.count, 1)).entries
    return [_doc(key, e) for e in entries if not e.deleted]


def _doc(key: str, entry: Entry) -> Doc:
    general = records.resource_type(entry.index)
    return Doc(entry=entry, id=package_id(key, entry.index), name=package_name(key, entry.index),
               metadata_modified=entry.datestamp * 1000,
               organization=_organisation(entry.index % 3)["name"],
               groups=(_KINDS[general][1],), type=_KINDS[general][0])


_FIELDS = {"metadata_modified": "date", "id": "text", "name": "text", "organization": "text",
           "groups": "texts", "type": "text", "dataset_type": "text", "state": "text"}
_SORTABLE = frozenset({"metadata_modified", "id", "name"})


def _value(doc: Doc, field: str) -> tuple[Any, ...]:
    if field == "groups":
        return doc.groups
    if field == "dataset_type":
        return (doc.type,)
    if field == "state":
        return ("active",)
    return (getattr(doc, field),)


def _matching(request: SimRequest, q: str, fq: str) -> list[Doc]:
    docs = _live(request.key, request.feed)
    tests = [parse_query(text) for text in (fq,) if text.strip()]
    query = q.strip()
    if query and query != "*:*":
        if ":" in query:
            tests.append(parse_query(query))
        else:
            words = query.lower().split()
            feed = request.feed

            def has_words(doc: Doc) -> bool:
                found = package(request.key, feed, doc.entry)
                text = " ".join([found["title"], found["notes"],
                                 *(t["name"] for t in found["tags"])]).lower()
                return all(word in text for word in words)
            tests.append(has_words)
    return [doc for doc in docs if all(test(doc) for test in tests)]


def _sort_keys(sort: str) -> list[tuple[str, bool]]:
    keys = []
    for part in sort.split(","):
        words = part.split()
        if not words:
            continue
        field, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise Problem(409, "Search Query Error",
                          message=f"Search Query is invalid: Can't determine a Sort Order "
                                  f"(asc or desc) in sort spec '{part.strip()}'")
        if field == "score":
            continue  # every match scores the same here
        if field not in _SORTABLE:
            raise Problem(409, "Search Query Error",
                          message=f"Search Query is invalid: can not sort on field: {field}")
        keys.append((field, direction == "desc"))
    return keys


# --- the fq language --------------------------------------------------------------------------

Test = Callable[[Doc], bool]
_TOKEN = re.compile(r'\s*(?:(\()|(\))|([\[{])|([\]}])|("(?:[^"\\]|\\.)*")|([^\s()\[\]{}"]+))')


def parse_query(text: str) -> Test:
    """A predicate over docs for a Solr query in the subset this simulator understands."""
    tokens: list[str] = []
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise _invalid(f"cannot read the query at {text[position:position + 20]!r}")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    parser = _Parser(tokens)
    test = parser.either()
    if parser.peek() is not None:
        raise _invalid(f"unexpected {parser.peek()!r}")
    return test


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise _invalid("the query ends too early")
        self.at += 1
        return token

    def either(self) -> Test:
        tests = [self.both()]
        while self.peek() == "OR":
            self.take()
            tests.append(self.both())
        return tests[0] if len(tests) == 1 else (lambda doc: any(t(doc) for t in tests))

    def both(self) -> Test:
        tests = [self.unary()]
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
            tests.append(self.unary())
        return tests[0] if len(tests) == 1 else (lambda doc: all(t(doc) for t in tests))

    def unary(self) -> Test:
        token = self.take()
        if token.startswith("-") or token == "NOT":
            if token not in ("-", "NOT"):  # "-field:x": read the rest as the clause negated
                self.at -= 1
                self.tokens[self.at] = token[1:]
            inner = self.unary()
            return lambda doc: not inner(doc)
        if token == "+":
            token = self.take()
        elif token.startswith("+"):
            token = token[1:]
        if token == "(":
            inner = self.either()
            self._expect(")")
            return inner
        if token == "*:*":
            return lambda doc: True
        field, colon, rest = token.partition(":")
        if not colon or field not in _FIELDS:
            raise _invalid(f"undefined field {field!r}" if colon else f"no field in {token!r}")
        kind = _FIELDS[field]
        if rest:
            return self._equals(field, kind, rest)
        following = self.take()
        if following.startswith('"'):
            return self._equals(field, kind, _unquote(following))
        if following == "(":
            values = [self._word()]
            while self.peek() != ")":
                if self.peek() == "OR":
                    self.take()
                values.append(self._word())
            self.take()
            tests = [self._equals(field, kind, v) for v in values]
            return lambda doc: any(t(doc) for t in tests)
        if following in ("[", "{"):
            low = self._word()
            self._expect("TO")
            high = self._word()
            closing = self.take()
            if closing not in ("]", "}"):
                raise _invalid(f"a range ends with {closing!r}")
            return self._range(field, kind, low, high, following == "[", closing == "]")
        raise _invalid(f"cannot read the value {following!r} of {field}")

    def _word(self) -> str:
        token = self.take()
        return _unquote(token) if token.startswith('"') else token

    def _expect(self, token: str) -> None:
        found = self.take()
        if found != token:
            raise _invalid(f"expected {token!r}, found {found!r}")

    @staticmethod
    def _equals(field: str, kind: str, value: str) -> Test:
        if value == "*":
            return lambda doc: True
        wanted = _date_ms(value) if kind == "date" else value
        return lambda doc: wanted in _value(doc, field)

    @staticmethod
    def _range(field: str, kind: str, low: str, high: str, low_in: bool, high_in: bool) -> Test:
        convert = _date_ms if kind == "date" else str
        lo = None if low == "*" else convert(low)
        hi = None if high == "*" else convert(high)

        def inside(value: Any) -> bool:
            if lo is not None and (value < lo or (value == lo and not low_in)):
                return False
            return hi is None or value < hi or (value == hi and high_in)
        return lambda doc: any(inside(v) for v in _value(doc, field))


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


_SOLR_DATE = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z\Z")


def _date_ms(text: str) -> int:
    match = _SOLR_DATE.match(text)
    if not match:
        raise _invalid(f"Invalid Date String:'{text}'")
    seconds = calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1000 + int((match.group(2) or "0").ljust(3, "0")[:3])


def _invalid(reason: str) -> Problem:
    return Problem(409, "Search Query Error", message=f"Search Query is invalid: {reason}")


# --- packages -------------------------------------------------------------------------------------

@lru_cache(maxsize=65536)
def package_id(key: str, index: int) -> str:
    """The stable UUID of record `index`'s package."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{_SITE.format(key=key)}/dataset/{index}"))


def package_name(key: str, index: int) -> str:
    return f"{key.lower()}-{index:07d}"


def organisation_name(index: int) -> str:
    """The organisation (slug) record `index` belongs to."""
    return _organisation(index % 3)["name"]


@lru_cache(maxsize=8)
def _organisation(position: int) -> dict[str, Any]:
    title = _ORGANISATIONS[position]
    name = re.sub(r"[^a-z0-9]+", "-", _ascii(title).lower()).strip("-")
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"organization:{name}")), "name": name,
            "title": title, "type": "organization", "is_organization": True, "state": "active",
            "description": "", "image_url": "", "approval_status": "approved"}


@lru_cache(maxsize=8)
def _group(general: str) -> dict[str, Any]:
    _, name, title = _KINDS[general]
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"group:{name}")), "name": name,
            "title": title, "display_name": title, "description": "", "image_display_url": ""}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _iso(seconds: int) -> str:
    """How CKAN writes timestamps: UTC, no zone, microseconds only when there are any."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None).isoformat()


def _person(given: str, family: str) -> tuple[str, str]:
    """("Family, Given", e-mail address) of a simulated person."""
    local = re.sub(r"[^a-z]+", ".", _ascii(f"{given} {family}").lower()).strip(".")
    return f"{family}, {given}", f"{local}@people.sim.example.org"


def package(key: str, feed: Feed, entry: Entry) -> dict[str, Any]:
    """Record `entry` of the feed as the package dict package_show would return."""
    c = records._content(feed.seed, entry.index, entry.version, False)  # noqa: SLF001 - one feed, two faces
    index, topic = entry.index, texts.TOPICS[c.topic]
    site = _SITE.format(key=key)
    identifier, name = package_id(key, index), package_name(key, index)
    first, last, year = c.years
    month, day = c.month_day
    created = f"{year}-{month:02d}-{day:02d}T09:00:00"
    modified = _iso(entry.datestamp)
    kind, _, _ = _KINDS[c.general]
    title = unescape(c.title)
    notes = texts.ABSTRACTS[c.lang][c.topic]
    creator = c.creators[0]
    if creator.person is None:
        author, author_email = texts.ORGANISATIONS[creator.org], None
    else:
        author, author_email = _person(*texts.PEOPLE[creator.person])
    maintainer, maintainer_email = _person(*texts.PEOPLE[c.contact.person])
    licence_id, licence_title, licence_url = _LICENCES[c.licence]
    tags = [k for n, k in enumerate(topic.keywords) if n != c.skip]
    organisation = _organisation(index % 3)
    resources = [_resource(site, identifier, index, n, media_type, c, created, modified)
                 for n, media_type in enumerate(c.formats)]
    result: dict[str, Any] = {
        "id": identifier, "name": name, "type": kind, "state": "active", "private": False,
        "title": title, "notes": notes, "url": f"{site}/dataset/{index}",
        "version": f"{c.version}.0", "author": author, "author_email": author_email,
        "maintainer": maintainer, "maintainer_email": maintainer_email,
        "license_id": licence_id, "license_title": licence_title, "license_url": licence_url,
        "isopen": True, "metadata_created": created, "metadata_modified": modified,
        "creator_user_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{site}/user/harvester")),
        "owner_org": organisation["id"], "organization": dict(organisation),
        "groups": [_group(c.general)],
        "tags": [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None}
                 for t in tags],
        "num_tags": len(tags), "resources": resources, "num_resources": len(resources),
        "extras": _extras(key, index, c),
        "relationships_as_object": [], "relationships_as_subject": [],
    }
    if c.translation:  # ckanext-fluent: every language of the title and notes
        other, other_title = c.translation
        result["title_translated"] = {c.lang: title, other: unescape(other_title)}
        result["notes_translated"] = {c.lang: notes, other: texts.ABSTRACTS[other][c.topic]}
    return result


def _resource(site: str, package: str, index: int, n: int, media_type: str, c: Any,
              created: str, modified: str) -> dict[str, Any]:
    label, extension = _FORMATS.get(media_type, (media_type, "bin"))
    url = f"{site}/dataset/{index}/resource/{n + 1}.{extension}"
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, url)), "package_id": package, "position": n,
        "name": f"{texts.TOPICS[c.topic].key}-{index}-{n + 1}.{extension}",
        "description": f"{label} file {n + 1} of the dataset.", "format": label,
        "mimetype": media_type, "url": url, "url_type": "upload" if n == 0 else "",
        "size": int(float(c.size_mb) * 1_000_000) // len(c.formats), "state": "active",
        "created": created, "last_modified": modified, "hash": "", "cache_url": None,
    }


def _extras(key: str, index: int, c: Any) -> list[dict[str, str]]:
    """DOIs on even records, a GeoJSON point or box on two of three, a temporal range on some."""
    extras = [{"key": "language", "value": c.lang}]
    if index % 2 == 0:
        extras.append({"key": "doi", "value": records.doi(key, index)})
    place, lat, lon = c.place
    if index % 3 == 0:
        point = {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]}
        extras.append({"key": "spatial", "value": json.dumps(point)})
    elif index % 3 == 1:
        w, e, s, n = (round(v, 4) for v in (lon - 0.5, lon + 0.5, lat - 0.5, lat + 0.5))
        box = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
        extras.append({"key": "spatial", "value": json.dumps(box)})
    if index % 3 != 2:
        extras.append({"key": "spatial_text", "value": unescape(place)})
    if c.collected:
        first, last, _ = c.years
        extras += [{"key": "temporal_start", "value": f"{first}-01-01"},
                   {"key": "temporal_end", "value": f"{last}-12-31"}]
    return sorted(extras, key=lambda extra: extra["key"])  # CKAN lists extras by key
