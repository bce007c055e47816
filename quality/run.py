"""A harvest run's quality summary: tallied as records are mapped, described in one line."""

from __future__ import annotations

from typing import Any

from schemas import RunQuality


def tally_run(summary: RunQuality | None, quality: dict[str, Any] | None) -> RunQuality | None:
    """Add one mapped record's quality (a RecordQuality dump) to the run's summary.

    Returns the summary, created on the first scored record; None while nothing was scored.
    """
    if quality is None:
        return summary
    if summary is None:
        summary = RunQuality()
    summary.records += 1
    previous = summary.mean_score or 0.0
    summary.mean_score = previous + (quality["score"] - previous) / summary.records
    for code in (*quality["failed_checks"], *quality["issues"]):
        summary.codes[code] = summary.codes.get(code, 0) + 1
    return summary


def describe_run_quality(summary: RunQuality | None, top: int = 5) -> str:
    """E.g. "quality 0.72 over 40 records; most frequent: no_licence 40, no_creator_ids 12"."""
    if summary is None or not summary.records:
        return "no records scored"
    text = f"quality {summary.mean_score:.2f} over {summary.records} records"
    frequent = summary.top(top)
    if frequent:
        text += "; most frequent: " + ", ".join(f"{c.code} {c.count}" for c in frequent)
    return text
