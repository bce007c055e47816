"""What a detected endpoint offers: OAI formats and sets, CKAN organisations, DCAT paging.

The registered harvesters ask (so their protocol checks apply); a failing secondary question
(ListSets, organization_list) becomes a problem sentence, not a failed check. Only the first
question of each protocol (Identify, status_show, the first page) may fail the check.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from itertools import islice
from typing import Any

from errors import Os10Error, RetriableError
from harvesters.base import HarvestRequest
from harvesters.ckan import CkanHarvester
from harvesters.dcat import DcatHarvester
from harvesters.oai_pmh import OaiPmhHarvester
from harvesters.rdf_formats import ACCEPT
from harvesters.transport import HttpClient
from mappers import MAPPERS
from onboarding.detect import fetch
from schemas.onboarding import (
    CkanOfferings,
    DcatOfferings,
    OaiOfferings,
    OfferedFormat,
    OfferedSet,
)

SET_LIMIT = 100
ORGANIZATION_LIMIT = 50
GROUP_LIMIT = 50
# The metadata format we sample and propose, best first: DataCite says the most.
PREFERRED_FORMATS = ("oai_datacite", "datacite", "oai_dc")


def oai_offerings(harvester: OaiPmhHarvester, client: HttpClient) -> OaiOfferings:
    info = harvester.identify()
    offerings = OaiOfferings(
        repository_name=info.name, protocol_version=info.extra.get("protocol_version"),
        granularity=info.granularity, deleted_record=info.deleted_record,
        earliest_datestamp=info.earliest_datestamp,
        admin_emails=[e for e in info.extra.get("admin_emails") or [] if e])
    formats = _ask(offerings.problems, "ListMetadataFormats", harvester.list_metadata_formats)
    offerings.metadata_formats = [
        OfferedFormat(prefix=f.prefix, schema_url=f.schema, namespace=f.namespace,
                      mapped=f.prefix in MAPPERS) for f in formats or []]
    sets = _ask(offerings.problems, "ListSets", lambda: _first(harvester.list_sets(),
                                                               SET_LIMIT + 1))
    if sets:
        offerings.sets = [OfferedSet(spec=s.spec, name=s.name) for s in sets[:SET_LIMIT]]
        offerings.more_sets = len(sets) > SET_LIMIT
    return offerings


def ckan_offerings(harvester: CkanHarvester, client: HttpClient) -> CkanOfferings:
    info = harvester.identify()
    offerings = CkanOfferings(site_title=info.name, site_url=info.extra.get("site_url"),
                              ckan_version=info.extra.get("ckan_version"),
                              extensions=info.extra.get("extensions") or [])
    problems = offerings.problems
    search = _ask(problems, "package_search",
                  lambda: harvester.action("package_search", {"q": "*:*", "rows": "0"}))
    if isinstance(search, dict) and isinstance(search.get("count"), int):
        offerings.dataset_count = search["count"]
    organisations = _ask(problems, "organization_list", lambda: harvester.action(
        "organization_list", {"limit": str(ORGANIZATION_LIMIT + 1)}))
    offerings.organizations, offerings.more_organizations = _names(organisations,
                                                                   ORGANIZATION_LIMIT)
    groups = _ask(problems, "group_list",
                  lambda: harvester.action("group_list", {"limit": str(GROUP_LIMIT + 1)}))
    offerings.groups, offerings.more_groups = _names(groups, GROUP_LIMIT)
    return offerings


def dcat_offerings(harvester: DcatHarvester, client: HttpClient) -> DcatOfferings:
    info = harvester.identify()
    offerings = DcatOfferings(
        serialisation=info.extra.get("syntax"), catalogue_title=info.name,
        datasets_on_first_page=info.extra.get("datasets_on_first_page") or 0,
        total_items=info.extra.get("total_items"), paging=info.extra.get("paging") or "none")
    # The first page once more, plainly, for its validators (identify() keeps them to itself).
    response = fetch(client, harvester.base_url, headers={"Accept": ACCEPT})
    offerings.etag = (response.headers.get("ETag") or "").strip() or None
    offerings.last_modified = (response.headers.get("Last-Modified") or "").strip() or None
    if offerings.etag or offerings.last_modified:
        offerings.conditional_requests = _conditional(harvester, client, offerings)
    return offerings


OFFERINGS: dict[str, Callable[[Any, HttpClient], OaiOfferings | CkanOfferings | DcatOfferings]] = {
    "oai_pmh": oai_offerings,
    "ckan": ckan_offerings,
    "dcat": dcat_offerings,
}


def best_format(offerings: OaiOfferings | CkanOfferings | DcatOfferings) -> str | None:
    """The metadata format to sample and register; None when we map none of those offered."""
    if isinstance(offerings, CkanOfferings):
        return "ckan"
    if isinstance(offerings, DcatOfferings):
        return "dcat_ap"
    offered = [f.prefix for f in offerings.metadata_formats]
    if not offered:  # ListMetadataFormats failed; oai_dc is mandatory for every repository
        return "oai_dc"
    for prefix in (*PREFERRED_FORMATS, *offered):
        if prefix in offered and prefix in MAPPERS:
            return prefix
    return None


def _conditional(harvester: DcatHarvester, client: HttpClient, offerings: DcatOfferings) -> str:
    """Ask for the first page again with its validators: 304 means the partner supports it."""
    validators = {k: v for k, v in (("etag", offerings.etag),
                                     ("last_modified", offerings.last_modified)) if v}
    probe = DcatHarvester(harvester.source, client, validators=validators)
    pages = probe.pages(HarvestRequest())
    try:
        next(pages, None)  # one page at most, whatever the answer
    except RetriableError:
        raise
    except Os10Error as exc:
        offerings.problems.append(f"A conditional request for the first page failed: "
                                  f"{exc.message}")
        return "ignored"
    finally:
        pages.close()
    return "supported" if probe.not_modified else "ignored"


def _ask(problems: list[str], what: str, question: Callable[[], Any]) -> Any:
    """The answer, or None with the reason added to `problems`; no answer at all propagates."""
    try:
        return question()
    except RetriableError:
        raise
    except Os10Error as exc:
        problems.append(f"{what} failed: {exc.message}")
        return None


def _names(result: Any, limit: int) -> tuple[list[str], bool]:
    if not isinstance(result, list):
        return [], False
    names = [item if isinstance(item, str) else str(item.get("name", "")) for item in result
             if isinstance(item, str | dict)]
    names = [n for n in names if n]
    return names[:limit], len(names) > limit


def _first(items: Generator[Any, None, None], n: int) -> list[Any]:
    """At most `n` items of a lazily paged list, closing it so no further page is asked for."""
    try:
        return list(islice(items, n))
    finally:
        items.close()
