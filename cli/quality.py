"""`os10 quality SOURCE [--json]`: a source's metadata quality report for a steward."""

from __future__ import annotations

import sys

import settings


def register(commands) -> None:
    quality = commands.add_parser(
        "quality", help="a source's metadata quality: score, shares, languages, top issues")
    quality.add_argument("source_id", metavar="SOURCE")
    quality.add_argument("--json", action="store_true", help="print the report as JSON")
    quality.add_argument("--top", type=int, default=10, help="issues to show (default 10)")
    quality.set_defaults(func=cmd_quality)


def cmd_quality(args) -> int:
    from pipeline.quality import no_records_reason, source_quality
    from store import Store

    store = Store.open(settings.database_url(args.db))
    try:
        report = source_quality(store, args.source_id, top=args.top)
        if not report.records and not report.mapping_failures:
            print(no_records_reason(store, args.source_id), file=sys.stderr)
            return 1
    finally:
        store.close()
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print("\n".join(render(report)))
    return 0


def render(report) -> list[str]:
    """The report as lines of text: summary, shares, languages, then the top issues."""
    lines = [f"Quality of {report.source_id}: {report.records} live records scored, "
             f"{report.mapping_failures} could not be mapped."]
    if not report.records:
        return lines
    lines += [
        "",
        f"score        {report.mean_score:.2f}  (mandatory {report.mean_mandatory:.2f}, "
        f"recommended {report.mean_recommended:.2f}, optional {report.mean_optional:.2f})",
        "scores       " + "  ".join(f"{b.low:.1f}-{b.high:.1f}: {b.count}"
                                    for b in report.score_distribution),
        "records with " + "  ".join(f"{label} {share:.0%}" for label, share in (
            ("DOI", report.share_doi), ("licence", report.share_licence),
            ("ORCID", report.share_orcid), ("ROR", report.share_ror),
            ("language", report.share_language))),
        "languages    " + (", ".join(f"{tag} {n}" for tag, n in report.languages.items())
                           or "none declared or detected"),
    ]
    if not report.top_issues:
        return [*lines, "", "No failed checks and no mapping issues."]
    width = max(len(issue.code) for issue in report.top_issues)
    lines += ["", f"{'ISSUE'.ljust(width)}  KIND     RECORDS  SHARE"]
    for issue in report.top_issues:
        lines += [f"{issue.code.ljust(width)}  {issue.kind.ljust(7)}  {issue.count:>7}  "
                  f"{issue.share:>5.0%}",
                  f"  ask:      {issue.advice}",
                  f"  examples: {', '.join(issue.examples)}"]
    return lines
