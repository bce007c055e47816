"""The read-only metadata quality pages: /quality (every source) and /quality/<source id>."""

from __future__ import annotations

from html import escape
from urllib.parse import quote, unquote

from pipeline.quality import no_records_reason, source_quality
from provider.status_page import STYLE
from provider.web import Reply, Request
from schemas import SourceQualityReport

PREFIX = "/quality/"
_HTML = "text/html; charset=utf-8"


def respond(provider, request: Request) -> Reply:
    if request.path in ("/quality", PREFIX):
        return _index(provider)
    source_id = unquote(request.path[len(PREFIX):])
    if "/" in source_id:
        return _page(404, "Not found", f"<p>Nothing here at {escape(request.path)}.</p>")
    report = source_quality(provider.store, source_id)
    if not report.records and not report.mapping_failures:
        return _page(404, f"No quality report for {source_id}",
                     f"<p>{escape(no_records_reason(provider.store, source_id))}</p>"
                     "<p><a href=/quality>All sources</a></p>")
    examples = {e for issue in report.top_issues for e in issue.examples}
    titles = provider.store.titles(source_id, sorted(examples))
    return _page(200, f"Metadata quality of {source_id}", _report(report, titles))


def _index(provider) -> Reply:
    overview = provider.store.quality_overview()
    rows = "".join(
        f"<tr><td><a href=\"{PREFIX}{escape(quote(source_id, safe=''))}\">{escape(source_id)}"
        f"</a></td><td>{o['records']}</td><td>{o['mean_score']:.2f}</td>"
        + "".join(f"<td>{o[f'share_{k}']:.0%}</td>" for k in ("doi", "licence", "orcid", "ror"))
        + "</tr>"
        for source_id, o in overview.items())
    body = (
        "<p><small><a href=/status>status</a> &middot; scores are described in "
        "docs/quality.md</small></p><table><tr><th>Source</th><th>Scored records</th>"
        "<th>Mean score</th><th>DOI</th><th>Licence</th><th>ORCID</th><th>ROR</th></tr>"
        f"{rows or '<tr><td colspan=7>No scored records yet.</td></tr>'}</table>")
    return _page(200, "Metadata quality", body)


def _report(r: SourceQualityReport, titles: dict[str, str | None]) -> str:
    shares = "".join(f"<tr><th>{label}</th><td>{share:.0%}</td></tr>" for label, share in (
        ("DOI", r.share_doi), ("Recognised licence", r.share_licence), ("ORCID", r.share_orcid),
        ("ROR", r.share_ror), ("Language", r.share_language)))
    buckets = "".join(f"<tr><th>{b.low:.1f}–{b.high:.1f}</th><td>{b.count}</td></tr>"
                      for b in r.score_distribution)
    languages = ", ".join(f"{escape(tag)} {n}" for tag, n in r.languages.items()) or "none"
    issues = "".join(
        f"<tr><td><code>{escape(i.code)}</code></td><td>{escape(i.kind)}</td><td>{i.count}</td>"
        f"<td>{i.share:.0%}</td><td>{escape(i.advice)}</td>"
        f"<td><small>{'<br>'.join(_example(e, titles.get(e)) for e in i.examples)}</small>"
        "</td></tr>"
        for i in r.top_issues) or "<tr><td colspan=6>No failed checks, no mapping issues.</td>"
    summary = (f"<p>{r.records} live records scored, {r.mapping_failures} could not be mapped."
               "</p>")
    if r.records:
        summary += (f"<p>Mean score <b>{r.mean_score:.2f}</b> (mandatory "
                    f"{r.mean_mandatory:.2f}, recommended {r.mean_recommended:.2f}, optional "
                    f"{r.mean_optional:.2f}).</p>")
    return (
        "<p><small><a href=/quality>all sources</a> &middot; <a href=/status>status</a>"
        "</small></p>"
        f"{summary}<h2>Records with</h2><table>{shares}</table>"
        f"<h2>Scores</h2><table>{buckets}</table><h2>Languages</h2><p>{languages}</p>"
        "<h2>Top issues</h2><table><tr><th>Code</th><th>Kind</th><th>Records</th><th>Share</th>"
        f"<th>What to ask the partner</th><th>Examples</th></tr>{issues}</table>")


def _example(identifier: str, title: str | None) -> str:
    return escape(identifier) + (f" &middot; <i>{escape(title)}</i>" if title else "")


def _page(status: int, title: str, body: str) -> Reply:
    html = ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>{escape(title)}</h1>{body}</body></html>")
    return Reply(status, html.encode("utf-8"), _HTML)
