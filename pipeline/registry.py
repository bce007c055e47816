"""Reading sources.yaml into validated SourceConfigs, with errors that name file, source and field."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from errors import ConfigError
from schemas import SourceConfig, SourcesFile


def load_sources(path: Path, *, check_names: bool = True) -> SourcesFile:
    """Load and validate sources.yaml. `check_names=False` skips the protocol/format check,
    which imports every harvester and mapper: DAG files parse without it."""
    if not path.exists():
        raise ConfigError(f"The sources file {path} does not exist. Create it (see README) or "
                          f"point --sources / OS10_SOURCES at yours.")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if data is None:
        data = {"sources": []}
    if not isinstance(data, dict) or "sources" not in data:
        raise ConfigError(f"{path} must hold a mapping with a 'sources' list.")
    try:
        registry = SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(path, data, exc)) from None
    if check_names:
        _check_names(path, registry)
    return registry


def _check_names(path: Path, registry: SourcesFile) -> None:
    """Protocols and metadata formats must be ones we have code for; say which ones we have."""
    from harvesters import HARVESTERS
    from mappers import MAPPERS

    problems = []
    for source in registry.sources:
        if source.protocol not in HARVESTERS:
            problems.append(f"  - source {source.id!r}, field protocol: {source.protocol!r} is "
                            f"not a known protocol ({', '.join(sorted(HARVESTERS))})")
        if source.protocol == "oai_pmh" and source.metadata_prefix not in MAPPERS:
            problems.append(f"  - source {source.id!r}, field metadata_prefix: no mapper reads "
                            f"{source.metadata_prefix!r} ({', '.join(sorted(MAPPERS))})")
    if problems:
        raise ConfigError("\n".join([f"{path} has {len(problems)} problem(s):", *problems]))


def _describe(path: Path, data: dict, exc: ValidationError) -> str:
    lines = [f"{path} has {exc.error_count()} problem(s):"]
    sources = data.get("sources") if isinstance(data.get("sources"), list) else []
    for error in exc.errors():
        location = list(error["loc"])
        where = "the file"
        if len(location) >= 2 and location[0] == "sources" and isinstance(location[1], int):
            index = location[1]
            entry = sources[index] if index < len(sources) else {}
            source_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"source {source_id!r}" if source_id else f"source #{index + 1}"
            location = location[2:]
        field = ".".join(str(part) for part in location) or "(entry)"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"  - {where}, field {field}: {message}")
    return "\n".join(lines)


def select_sources(registry: SourcesFile, ids: list[str], *, all_enabled: bool = False,
                   path: Path | None = None) -> list[SourceConfig]:
    if all_enabled:
        return [s for s in registry.sources if s.enabled]
    chosen = []
    for source_id in ids:
        source = registry.get(source_id)
        if source is None:
            known = ", ".join(s.id for s in registry.sources) or "none"
            raise ConfigError(f"There is no source {source_id!r} in {path or 'the sources file'}."
                              f" Known sources: {known}.")
        chosen.append(source)
    return chosen
