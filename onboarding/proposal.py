"""The sources.yaml entry a check proposes: valid as it stands, with the options as comments."""

from __future__ import annotations

import math
import re
from urllib.parse import urlsplit

import yaml

from schemas.onboarding import CkanOfferings, DcatOfferings, OaiOfferings, Sample

SHOWN_CHOICES = 10  # sets or organisations named in a comment; more are only counted
COMMENT_COLUMN = 36
# A repository bigger than this is worth splitting over Airflow tasks (chunk_by).
BIG_LIST = 100_000
_KINDS = {"oai_pmh": "repository", "ckan": "portal", "dcat": "catalogue"}


def source_id_for(url: str) -> str:
    """A registry id from the host: "https://www.data.example.org/oai" gives "data-example-org"."""
    host = (urlsplit(url).hostname or "source").lower().removeprefix("www.")
    slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "source"
    return slug[:64].rstrip("-")


def env_name_for(source_id: str) -> str:
    """An environment variable name for the source's key: "data-example-org" gives
    DATA_EXAMPLE_ORG_TOKEN."""
    name = re.sub(r"[^A-Z0-9]+", "_", source_id.upper()).strip("_") + "_TOKEN"
    return name if name[0].isalpha() else f"PARTNER_{name}"


def sources_yaml(*, source_id: str, name: str, protocol: str, url: str,
                 offerings: OaiOfferings | CkanOfferings | DcatOfferings,
                 metadata_prefix: str | None, sample: Sample | None,
                 timeout_seconds: float) -> str:
    """One entry for the `sources:` list, indented to paste under it."""
    lines = _Lines()
    lines.add(f"- id: {source_id}", "lower-case slug; used in task ids and reports")
    lines.add(f"  name: {_scalar(name)}")
    lines.add(f"  protocol: {protocol}")
    lines.add(f"  url: {_scalar(url)}")
    lines.add(f"  kind: {_KINDS[protocol]}")
    if isinstance(offerings, OaiOfferings):
        offered = ", ".join(f.prefix for f in offerings.metadata_formats if f.mapped)
        lines.add(f"  metadata_prefix: {metadata_prefix}",
                  f"we read: {offered}" if offered else None)
        lines.add("  sets: []", "empty: the whole repository")
        choices = [s.spec for s in offerings.sets]
        if choices:
            lines.comment(f"  # or some of: {_choices(choices, offerings.more_sets)}")
        lines.add('  schedule: "@daily"', "incremental: asks only for what changed since")
        list_size = sample.list_size if sample else None
        if choices and list_size and list_size > BIG_LIST:
            lines.add("  chunk_by: set", f"{list_size:,} records: one Airflow task per set "
                      "(list them under sets)", commented=True)
    elif isinstance(offerings, CkanOfferings):
        lines.add("  ckan_organizations: []", "empty: every organisation")
        if offerings.organizations:
            lines.comment("  # or some of: "
                          + _choices(offerings.organizations, offerings.more_organizations))
        lines.add("  ckan_groups: []", "empty: every group")
        if offerings.groups:
            lines.comment(f"  # or some of: {_choices(offerings.groups, offerings.more_groups)}")
        lines.add('  schedule: "@daily"', "incremental: asks only for what changed since")
    else:
        if offerings.conditional_requests == "supported":
            lines.add('  schedule: "@daily"', "an unchanged catalogue costs one request (304)")
        else:
            lines.add('  schedule: "@weekly"', "every run reads the whole catalogue: it does "
                      "not answer conditional requests")
    lines.add("  priority: 0", "higher wins when records are merged")
    lines.add("  max_requests_per_second: 2", "politeness: ask the partner what they tolerate")
    lines.add(f"  timeout_seconds: {max(60, math.ceil(timeout_seconds))}")
    lines.add("  max_retries: 5", "timeouts, 5xx and 429, honouring Retry-After")
    lines.add("  credentials:", "if it needs a key: the environment variable holding it",
              commented=True)
    lines.add(f"    token_env: {env_name_for(source_id)}", commented=True)
    return lines.text()


class _Lines:
    def __init__(self) -> None:
        self._lines: list[str] = []

    def add(self, line: str, comment: str | None = None, *, commented: bool = False) -> None:
        if commented:  # "#" in the entry's own column, so uncommenting keeps the indent
            line = f"  # {line[2:]}"
        if comment:
            line = f"{line.ljust(COMMENT_COLUMN - 1)} # {comment}"
        self._lines.append(line)

    def comment(self, line: str) -> None:
        self._lines.append(line)

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def _choices(names: list[str], more: bool) -> str:
    shown = ", ".join(names[:SHOWN_CHOICES])
    if more:
        return f"{shown}, ... ({len(names)}+ in all)"
    if len(names) > SHOWN_CHOICES:
        return f"{shown} and {len(names) - SHOWN_CHOICES} more"
    return shown


def _scalar(value: str) -> str:
    """A YAML scalar on one line, quoted only when YAML needs it."""
    dumped = yaml.safe_dump(value, default_flow_style=True, width=10**6, allow_unicode=True)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()
