"""A check's result as the text a steward reads: verdict first, then what was found."""

from __future__ import annotations

import textwrap

from onboarding.detect import LABELS
from schemas.onboarding import (
    CkanOfferings,
    DcatOfferings,
    OaiOfferings,
    Sample,
    SourceCheck,
)
from schemas.quality import SourceQualityReport

WIDTH = 100
TITLE_WIDTH = 48
SHOWN_SETS = 20


def render(check: SourceCheck) -> str:
    out: list[str] = []
    status = "OK" if check.verdict.ok else check.verdict.status.upper().replace("_", " ")
    out.append(f"Checked {check.url} in {check.seconds:.1f}s")
    out.append("")
    out.extend(textwrap.wrap(f"Verdict: {status}. {check.verdict.sentence}", WIDTH,
                             break_long_words=False, break_on_hyphens=False))
    if check.attempts:
        out += ["", "Detection"]
        for attempt in check.attempts:
            out.append(f"  {LABELS.get(attempt.protocol, attempt.protocol):8} "
                       f"{attempt.outcome:8} {attempt.url}")
            out.extend(textwrap.wrap(attempt.detail, WIDTH, initial_indent=" " * 20,
                                     subsequent_indent=" " * 20, break_long_words=False))
    if check.offerings is not None:
        out += ["", f"Offerings ({LABELS[check.offerings.protocol]} at {check.base_url})"]
        out += _offerings(check.offerings)
    if check.sample is not None:
        out += ["", *_sample(check.sample)]
    if check.quality is not None and check.quality.records:
        out += ["", *_quality(check.quality)]
    if check.sources_yaml:
        out += ["", "sources.yaml (paste under `sources:`)", "",
                *("  " + line if line else "" for line in check.sources_yaml.splitlines())]
    return "\n".join(out) + "\n"


def _offerings(offerings: OaiOfferings | CkanOfferings | DcatOfferings) -> list[str]:
    rows: list[tuple[str, str]] = []
    if isinstance(offerings, OaiOfferings):
        earliest = offerings.earliest_datestamp
        formats = ", ".join(f.prefix + ("" if f.mapped else " (not mapped)")
                            for f in offerings.metadata_formats)
        rows += [("repository name", offerings.repository_name or "-"),
                 ("protocol version", offerings.protocol_version or "-"),
                 ("granularity", offerings.granularity or "-"),
                 ("deleted records", offerings.deleted_record or "-"),
                 ("earliest datestamp", earliest.strftime("%Y-%m-%dT%H:%M:%SZ")
                  if earliest else "-"),
                 ("admin e-mail", ", ".join(offerings.admin_emails) or "-"),
                 ("metadata formats", formats or "-")]
        count = f"{len(offerings.sets)}{'+' if offerings.more_sets else ''}"
        sets = ", ".join(f"{s.spec} ({s.name})" if s.name else s.spec
                         for s in offerings.sets[:SHOWN_SETS])
        if len(offerings.sets) > SHOWN_SETS or offerings.more_sets:
            sets += ", ..."
        rows.append((f"sets ({count})", sets or "none"))
    elif isinstance(offerings, CkanOfferings):
        more_orgs = ", ..." if offerings.more_organizations else ""
        more_groups = ", ..." if offerings.more_groups else ""
        rows += [("site title", offerings.site_title or "-"),
                 ("CKAN version", offerings.ckan_version or "-"),
                 ("extensions", ", ".join(offerings.extensions) or "-"),
                 ("datasets", "-" if offerings.dataset_count is None
                  else f"{offerings.dataset_count:,}"),
                 (f"organisations ({len(offerings.organizations)}"
                  f"{'+' if more_orgs else ''})",
                  ", ".join(offerings.organizations) + more_orgs or "none"),
                 (f"groups ({len(offerings.groups)}{'+' if more_groups else ''})",
                  ", ".join(offerings.groups) + more_groups or "none")]
    else:
        conditional = {"supported": "supported (304 Not Modified to a conditional request)",
                       "ignored": "validators sent, but conditional requests are ignored",
                       "not_offered": "no ETag or Last-Modified"}[offerings.conditional_requests]
        rows += [("catalogue title", offerings.catalogue_title or "-"),
                 ("serialisation", offerings.serialisation or "-"),
                 ("datasets (first page)", str(offerings.datasets_on_first_page)),
                 ("datasets (total)", "-" if offerings.total_items is None
                  else f"{offerings.total_items:,}"),
                 ("paging", {"hydra": "Hydra PartialCollectionView",
                             "legacy": "legacy hydra:PagedCollection",
                             "none": "none (one document)"}[offerings.paging]),
                 ("ETag", offerings.etag or "-"),
                 ("Last-Modified", offerings.last_modified or "-"),
                 ("conditional requests", conditional)]
    lines = []
    for label, value in rows:
        lines += textwrap.wrap(value, WIDTH, initial_indent=f"  {label:24}",
                               subsequent_indent=" " * 26, break_long_words=False) or [
            f"  {label}"]
    lines += [f"  problem: {p}" for p in offerings.problems]
    return lines


def _sample(sample: Sample) -> list[str]:
    mapped = sum(r.mapping_error is None for r in sample.records)
    head = (f"Sample: {len(sample.records)} of {sample.requested} requested records in "
            f"{sample.metadata_format}, {mapped} mapped")
    extras = []
    if sample.list_size is not None:
        extras.append(f"the list holds {sample.list_size:,}")
    if sample.deleted:
        extras.append(f"{sample.deleted} deletion(s) skipped")
    if sample.failed:
        extras.append(f"{len(sample.failed)} unreadable")
    lines = [head + (f" ({'; '.join(extras)})" if extras else "")]
    if sample.problem:
        lines.append(f"  stopped early: {sample.problem}")
    rows = [("ID", "TITLE", "TYPE", "YEAR", "DOI", "LICENCE", "LANG", "ISSUES")]
    for r in sample.records:
        if r.mapping_error:
            rows.append((r.identifier, f"(not mapped: {r.mapping_error})", "", "", "", "", "",
                         ""))
            continue
        title = r.title or "-"
        if len(title) > TITLE_WIDTH:
            title = title[:TITLE_WIDTH - 1] + "…"
        rows.append((r.identifier, title, r.resource_type or "-", str(r.year or "-"),
                     r.doi or "-", r.licence or "-", ",".join(r.languages) or "-",
                     ",".join(r.issues) or "-"))
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                  .rstrip() for row in rows]
    lines += [f"  unreadable: {reason}" for reason in sample.failed[:5]]
    return lines


def _quality(quality: SourceQualityReport) -> list[str]:
    def pct(share: float) -> str:
        return f"{share * 100:.0f}%"

    lines = [f"Quality of the sample ({quality.records} record(s) scored"
             + (f", {quality.mapping_failures} not mapped" if quality.mapping_failures else "")
             + ")",
             f"  mean score {quality.mean_score:.2f} (mandatory {quality.mean_mandatory:.2f}, "
             f"recommended {quality.mean_recommended:.2f}, optional "
             f"{quality.mean_optional:.2f})",
             f"  with DOI {pct(quality.share_doi)}, licence {pct(quality.share_licence)}, "
             f"ORCID {pct(quality.share_orcid)}, ROR {pct(quality.share_ror)}, language "
             f"{pct(quality.share_language)}"]
    if quality.languages:
        lines.append("  languages: " + ", ".join(f"{k} {v}" for k, v in
                                                quality.languages.items()))
    for issue in quality.top_issues:
        lines += textwrap.wrap(f"{issue.code} ({issue.count} of {quality.records}): "
                               f"{issue.advice}", WIDTH, initial_indent="  - ",
                               subsequent_indent="    ", break_long_words=False)
    return lines
