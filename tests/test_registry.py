"""sources.yaml: the documented form is accepted; mistakes name the file, the source and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from errors import ConfigError
from pipeline.registry import load_sources, select_sources

ISSUE_EXAMPLE = """
sources:
  - id: zenodo
    name: Zenodo
    protocol: oai_pmh          # later also: dcat, ckan
    url: https://zenodo.org/oai2d
    metadata_prefix: oai_datacite
    sets: []                   # empty: the whole repository
    schedule: "@daily"
    priority: 10               # higher wins when records are merged
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_form_is_accepted(tmp_path):
    registry = load_sources(write(tmp_path, ISSUE_EXAMPLE))
    source = registry.sources[0]
    assert (source.id, source.protocol, source.metadata_prefix, source.priority) == (
        "zenodo", "oai_pmh", "oai_datacite", 10)
    assert source.base_url == "https://zenodo.org/oai2d"
    assert source.enabled is True and source.sets == []


def test_a_bad_field_is_reported_with_file_source_and_field(tmp_path):
    path = write(tmp_path, ISSUE_EXAMPLE.replace("https://zenodo.org/oai2d", "not a url")
                 .replace("priority: 10", "priority: high"))
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    message = str(caught.value)
    assert str(path) in message
    assert "source 'zenodo', field url" in message
    assert "source 'zenodo', field priority" in message


def test_inline_credentials_are_refused(tmp_path):
    path = write(tmp_path, ISSUE_EXAMPLE + "    credentials:\n      password: hunter2\n")
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert "field credentials.password" in str(caught.value)


def test_credentials_name_environment_variables(tmp_path):
    path = write(tmp_path, ISSUE_EXAMPLE + "    credentials:\n      token_env: zenodo token\n")
    with pytest.raises(ConfigError, match="is not an environment variable name"):
        load_sources(path)


def test_duplicate_ids_and_missing_prefix_are_caught(tmp_path):
    twice = ISSUE_EXAMPLE + ISSUE_EXAMPLE.split("sources:\n", 1)[1]
    with pytest.raises(ConfigError, match="appears twice"):
        load_sources(write(tmp_path, twice))
    with pytest.raises(ConfigError, match="needs metadata_prefix"):
        load_sources(write(tmp_path, ISSUE_EXAMPLE.replace("metadata_prefix: oai_datacite",
                                                           "")))


def test_a_missing_file_and_broken_yaml_read_as_sentences(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_sources(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_sources(write(tmp_path, "sources: [\n"))


def test_an_unknown_source_id_lists_the_known_ones(tmp_path):
    registry = load_sources(write(tmp_path, ISSUE_EXAMPLE))
    with pytest.raises(ConfigError, match="no source 'zenodoo'.*Known sources: zenodo"):
        select_sources(registry, ["zenodoo"])


def test_unknown_protocols_and_formats_list_the_known_ones(tmp_path):
    path = write(tmp_path, ISSUE_EXAMPLE.replace("protocol: oai_pmh", "protocol: gopher"))
    with pytest.raises(ConfigError, match="source 'zenodo', field protocol: 'gopher' is not a "
                       "known protocol \\(ckan, dcat, oai_pmh"):
        load_sources(path)
    path = write(tmp_path, ISSUE_EXAMPLE.replace("oai_datacite", "marc21"))
    with pytest.raises(ConfigError, match="field metadata_prefix: no mapper reads 'marc21'"):
        load_sources(path)
