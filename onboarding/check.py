"""The whole check of one endpoint: detect, list what it offers, sample, propose, judge.

Every way an endpoint can fail ends in a verdict (a status and one paragraph a steward can act
on), never in an exception: `check_source` returns a `SourceCheck` whatever the partner does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from errors import Os10Error, RetriableError
from harvesters import get_harvester
from harvesters.transport import HttpClient
from onboarding.detect import (
    LABELS,
    Detection,
    Unreachable,
    detect,
    suggested_protocol,
    unreachable,
)
from onboarding.offerings import OFFERINGS, best_format
from onboarding.proposal import source_id_for, sources_yaml
from onboarding.sample import take_sample
from schemas import SourceConfig
from schemas.onboarding import (
    Attempt,
    CkanOfferings,
    DcatOfferings,
    OaiOfferings,
    Sample,
    SourceCheck,
    Verdict,
)
from schemas.quality import SourceQualityReport

DEFAULT_SAMPLES = 10
DEFAULT_TIMEOUT = 30.0
DEFAULT_RATE = 2.0  # requests per second, as for a registered source
# One retry: enough to ride out a blip, few enough that a dead endpoint is judged quickly.
RETRIES = 1
BACKOFF_SECONDS = 0.5
_FIRST_STEP = {"oai_pmh": "Identify", "ckan": "status_show", "dcat": "its first page"}


@dataclass
class _Findings:
    url: str
    protocol: str | None = None
    base_url: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    offerings: OaiOfferings | CkanOfferings | DcatOfferings | None = None
    sample: Sample | None = None
    quality: SourceQualityReport | None = None
    sources_yaml: str | None = None


def check_source(url: str, *, samples: int = DEFAULT_SAMPLES, protocol: str | None = None,
                 timeout_seconds: float = DEFAULT_TIMEOUT,
                 requests_per_second: float = DEFAULT_RATE) -> SourceCheck:
    """Check the endpoint at `url` (as `protocol` when given) without storing anything."""
    checked_at = datetime.now(UTC)
    started = time.monotonic()
    findings = _Findings(url=url.strip())
    client = HttpClient(source_id=source_id_for(findings.url),
                        max_requests_per_second=requests_per_second,
                        timeout_seconds=timeout_seconds, max_retries=RETRIES,
                        retry_backoff_seconds=BACKOFF_SECONDS,
                        max_retry_after_seconds=timeout_seconds)
    with client:
        try:
            verdict = _check(findings, client, samples, protocol)
        except Unreachable as exc:
            verdict = Verdict(status=exc.status, sentence=exc.sentence)
        except RetriableError as exc:  # from a harvester, after detection got through
            found = unreachable(exc, client)
            verdict = Verdict(status=found.status, sentence=found.sentence)
    return SourceCheck(**vars(findings), verdict=verdict, checked_at=checked_at,
                       seconds=round(time.monotonic() - started, 3))


def _check(findings: _Findings, client: HttpClient, samples: int,
           protocol: str | None) -> Verdict:
    url = findings.url
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        return Verdict(status="invalid", sentence=f"{url!r} is not an http(s) URL; give the "
                       "endpoint's full address, like https://repository.example.org/oai.")
    detection = detect(client, url, protocol)
    findings.attempts = detection.attempts
    if detection.protocol is None:
        return _unrecognised(url, detection.attempts, protocol or suggested_protocol(url),
                             given=protocol is not None)
    findings.protocol, findings.base_url = detection.protocol, detection.base_url
    label = LABELS[detection.protocol]

    source = _source(detection, client, samples)
    harvester = get_harvester(source.protocol)(source, client)
    try:
        findings.offerings = OFFERINGS[source.protocol](harvester, client)
    except RetriableError:
        raise  # judged as down, slow or unavailable by check_source
    except Os10Error as exc:
        return Verdict(status="invalid", sentence=(
            f"The endpoint at {source.base_url} answered {label} detection but fails when "
            f"asked {_FIRST_STEP[source.protocol]} by the harvester: {exc.message}"
            f"{_stop(exc.message)} Ask the partner to fix it before registering it."))
    finally:
        harvester.close()

    metadata_format = best_format(findings.offerings)
    if metadata_format is None:
        offered = ", ".join(f.prefix for f in findings.offerings.metadata_formats)
        return Verdict(status="invalid", sentence=(
            f"The {label} repository at {source.base_url} offers only metadata formats we "
            f"cannot map ({offered}); ask the partner for oai_datacite or at least oai_dc."))
    if source.protocol == "oai_pmh":
        source = source.model_copy(update={"metadata_prefix": metadata_format})
    name = _name(findings.offerings) or source.name
    source = source.model_copy(update={"name": name})

    harvester = get_harvester(source.protocol)(source, client)
    try:
        findings.sample, findings.quality = take_sample(harvester, source, samples,
                                                        metadata_format)
    except RetriableError:
        raise
    except Os10Error as exc:
        return Verdict(status="invalid", sentence=(
            f"The {label} endpoint at {source.base_url} describes itself, but listing its "
            f"records fails: {exc.message}{_stop(exc.message)} Nothing could be sampled; ask "
            "the partner to fix it before registering it."))
    finally:
        harvester.close()

    findings.sources_yaml = sources_yaml(
        source_id=source.id, name=name, protocol=source.protocol, url=source.base_url,
        offerings=findings.offerings,
        metadata_prefix=metadata_format if source.protocol == "oai_pmh" else None,
        sample=findings.sample, timeout_seconds=client.timeout_seconds)
    return _judge(label, source, findings)


def _source(detection: Detection, client: HttpClient, samples: int) -> SourceConfig:
    """An in-memory source for the harvester, polite as the check's own client."""
    source_id = source_id_for(detection.base_url)
    return SourceConfig(
        id=source_id, name=detection.name or source_id, protocol=detection.protocol,
        url=detection.base_url,
        metadata_prefix="oai_dc" if detection.protocol == "oai_pmh" else None,
        timeout_seconds=client.timeout_seconds, max_retries=client.max_retries,
        retry_backoff_seconds=client.retry_backoff_seconds,
        ckan_rows=min(max(samples, 1), 1000))


def _name(offerings: OaiOfferings | CkanOfferings | DcatOfferings) -> str | None:
    if isinstance(offerings, OaiOfferings):
        return offerings.repository_name
    if isinstance(offerings, CkanOfferings):
        return offerings.site_title
    return offerings.catalogue_title


def _judge(label: str, source: SourceConfig, findings: _Findings) -> Verdict:
    sample, quality, offerings = findings.sample, findings.quality, findings.offerings
    records = sample.records
    mapped = [r for r in records if r.mapping_error is None]
    what = f"The {label} {_kind(source.protocol)} {source.name!r} at {source.base_url}"
    notes = []
    if sample.problem:
        notes.append(f"Sampling stopped early: {sample.problem}{_stop(sample.problem)}")
    if offerings.problems:
        notes.append("Also: " + "; ".join(p.rstrip(".") for p in offerings.problems) + ".")
    if records and not mapped:
        first = records[0].mapping_error or "no reason given"
        return Verdict(status="invalid", sentence=" ".join([
            f"{what} answers, but none of the {len(records)} sampled records could be mapped "
            f"from {sample.metadata_format}: {first}{_stop(first)} Ask the partner about "
            "their metadata before registering it.", *notes]))
    if not sample.requested:
        body = (f"{what} answers {label} correctly ({_summary(offerings)}); no records were "
                "sampled (--samples 0). Paste the sources.yaml entry below under `sources:`.")
    elif not records:
        body = (f"{what} answers {label} correctly ({_summary(offerings)}) but listed no "
                "records to sample; register it when it has some, or now if that is expected.")
    else:
        body = (f"{what} is ready to register: {_summary(offerings)}; {len(mapped)} of "
                f"{len(records)} sampled records were mapped from {sample.metadata_format}"
                f"{_quality_clause(quality)}. Paste the sources.yaml entry below under "
                "`sources:`.")
    return Verdict(status="ok", sentence=" ".join([body, *notes]))


def _summary(offerings: OaiOfferings | CkanOfferings | DcatOfferings) -> str:
    if isinstance(offerings, OaiOfferings):
        formats = ", ".join(f.prefix for f in offerings.metadata_formats) or "none listed"
        sets = f"{len(offerings.sets)}{'+' if offerings.more_sets else ''} set(s)"
        return f"OAI-PMH {offerings.protocol_version or '?'} with formats {formats} and {sets}"
    if isinstance(offerings, CkanOfferings):
        count = "an unknown number of" if offerings.dataset_count is None else \
            f"{offerings.dataset_count:,}"
        organisations = (f"{len(offerings.organizations)}"
                         f"{'+' if offerings.more_organizations else ''}")
        return (f"CKAN {offerings.ckan_version or '?'} with {count} datasets in "
                f"{organisations} organisation(s)")
    total = f"{offerings.total_items:,} datasets" if offerings.total_items is not None else \
        f"{offerings.datasets_on_first_page} datasets on its first page"
    paging = {"hydra": "Hydra paging", "legacy": "legacy Hydra paging",
              "none": "no paging"}[offerings.paging]
    return f"{offerings.serialisation or 'RDF'} with {total}, {paging}"


def _quality_clause(quality: SourceQualityReport | None) -> str:
    if quality is None or not quality.records or quality.mean_score is None:
        return ""
    clause = f" (mean quality score {quality.mean_score:.2f}"
    if quality.top_issues:
        top = quality.top_issues[0]
        clause += f"; most common finding: {top.code} in {top.count} of {quality.records}"
    return clause + ")"


def _unrecognised(url: str, attempts: list[Attempt], claimed: str | None, *,
                  given: bool) -> Verdict:
    """The verdict when no probe matched: broken (invalid) beats foreign (not_recognised)."""
    ordered = sorted(attempts, key=lambda a: a.protocol != claimed)
    broken = next((a for a in ordered if a.outcome == "invalid"), None)
    if broken is not None:
        label = LABELS[broken.protocol]
        return Verdict(status="invalid", sentence=(
            f"The endpoint at {url} looks like {label} but is broken: {broken.url} "
            f"{broken.detail}. It cannot be harvested until the partner fixes this."))
    if claimed is not None:
        label = LABELS[claimed]
        own = next((a for a in attempts if a.protocol == claimed), None)
        how = "as --protocol says" if given else "as its address suggests"
        others = [a for a in attempts if a.protocol != claimed]
        article = "an" if label.startswith("OAI") else "a"
        sentence = (f"The endpoint at {url} is not {article} {label} endpoint {how}: "
                    f"{own.url} {own.detail}.")
        if others:
            sentence += " Nor does it speak another protocol we harvest: " + "; ".join(
                f"{a.url} {a.detail}" for a in others) + "."
        return Verdict(status="not_recognised", sentence=sentence + _ASK)
    sentence = (f"Nothing at {url} speaks a protocol we harvest (OAI-PMH, CKAN or DCAT): "
                + "; ".join(f"{a.url} {a.detail}" for a in attempts) + ".")
    # The address itself (as DCAT reads it, or with ?verb=Identify) serves a web page.
    if any(a.received == "html" and a.protocol != "ckan" for a in attempts):
        sentence += " It looks like a web site, not an API."
    return Verdict(status="not_recognised", sentence=sentence + _ASK)


_ASK = (" Ask the partner for the OAI-PMH base URL, the CKAN portal address or the address of "
        "the DCAT catalogue document.")


def _kind(protocol: str) -> str:
    return {"oai_pmh": "repository", "ckan": "portal", "dcat": "catalogue"}[protocol]


def _stop(text: str) -> str:
    return "" if text.rstrip().endswith((".", "!", "?")) else "."
