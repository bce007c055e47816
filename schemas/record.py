"""The common record model: DataCite kernel 4.x in snake_case, plus provenance and coded issues.

Controlled values (resourceTypeGeneral, contributorType, dateType, ...) are plain strings. A value
outside DataCite's list never raises: the record's validator moves it out of the field and records
a coded `Issue`, so one odd partner value never costs a whole record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas import vocabularies as vocab

Severity = Literal["error", "warning", "info"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Issue(Model):
    """A problem found while mapping or validating; `code` is stable and machine-readable."""

    code: str
    severity: Severity = "warning"
    field: str | None = None
    message: str


class NameIdentifier(Model):
    identifier: str
    scheme: str | None = None  # ORCID, ISNI, ROR, ...
    scheme_uri: str | None = None


class Affiliation(Model):
    name: str | None = None
    identifier: str | None = None  # e.g. https://ror.org/04wxnsj81
    identifier_scheme: str | None = None  # ROR, GRID, ISNI


class Creator(Model):
    name: str
    name_type: str | None = None  # Personal | Organizational
    given_name: str | None = None
    family_name: str | None = None
    lang: str | None = None
    name_identifiers: list[NameIdentifier] = Field(default_factory=list)
    affiliations: list[Affiliation] = Field(default_factory=list)


class Contributor(Creator):
    contributor_type: str | None = None


class Title(Model):
    value: str
    lang: str | None = None
    title_type: str | None = None  # None is the main title


class Publisher(Model):
    name: str
    lang: str | None = None
    identifier: str | None = None
    identifier_scheme: str | None = None
    scheme_uri: str | None = None


class ResourceType(Model):
    general: str | None = None  # DataCite resourceTypeGeneral
    value: str | None = None  # the free-text resourceType


class Subject(Model):
    value: str
    scheme: str | None = None
    scheme_uri: str | None = None
    value_uri: str | None = None
    classification_code: str | None = None
    lang: str | None = None


class Date(Model):
    value: str  # ISO 8601 date, datetime, or range "start/end" (either end may be empty)
    date_type: str | None = None
    information: str | None = None


class Identifier(Model):
    value: str
    type: str  # DOI, Handle, ARK, ...


class AlternateIdentifier(Model):
    value: str
    type: str | None = None


class RelatedIdentifier(Model):
    value: str
    related_identifier_type: str | None = None
    relation_type: str | None = None
    resource_type_general: str | None = None
    relation_type_information: str | None = None  # kernel 4.7
    related_metadata_scheme: str | None = None  # with HasMetadata / IsMetadataFor
    scheme_uri: str | None = None
    scheme_type: str | None = None


class Rights(Model):
    statement: str | None = None
    uri: str | None = None
    spdx_id: str | None = None
    scheme_uri: str | None = None
    lang: str | None = None
    rights_identifier: str | None = None  # an identifier in a scheme other than SPDX
    rights_identifier_scheme: str | None = None


class Description(Model):
    value: str
    description_type: str | None = None
    lang: str | None = None


class GeoPoint(Model):
    latitude: float
    longitude: float


class GeoBox(Model):
    west: float
    east: float
    south: float
    north: float


class GeoLocation(Model):
    place: str | None = None
    point: GeoPoint | None = None
    box: GeoBox | None = None
    polygon: list[GeoPoint] = Field(default_factory=list)


class FundingReference(Model):
    funder_name: str
    funder_identifier: str | None = None
    funder_identifier_type: str | None = None
    award_number: str | None = None
    award_uri: str | None = None
    award_title: str | None = None


class Distribution(Model):
    """A way to get the data (DCAT distribution, CKAN resource)."""

    access_url: str | None = None
    download_url: str | None = None
    title: str | None = None
    description: str | None = None
    format: str | None = None
    media_type: str | None = None
    license: str | None = None  # licence URI
    spdx_id: str | None = None
    access_rights: str | None = None
    byte_size: int | None = None
    checksum: str | None = None
    issued: str | None = None
    modified: str | None = None


class ContactPoint(Model):
    """Who to ask about the resource (DCAT contactPoint, CKAN maintainer/author)."""

    name: str | None = None
    email: str | None = None  # kept out of exports unless the export is configured to keep it
    url: str | None = None


class Provenance(Model):
    source_id: str
    source_identifier: str  # the record's identifier at the source (OAI identifier, dataset IRI)
    metadata_format: str
    harvested_at: datetime
    raw_sha256: str
    datestamp: datetime | None = None


# (field, item attribute, vocabulary) checked by the validator below.
_CONTROLLED: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("titles", "title_type", vocab.TITLE_TYPE),
    ("creators", "name_type", vocab.NAME_TYPE),
    ("contributors", "name_type", vocab.NAME_TYPE),
    ("contributors", "contributor_type", vocab.CONTRIBUTOR_TYPE),
    ("dates", "date_type", vocab.DATE_TYPE),
    ("related_identifiers", "relation_type", vocab.RELATION_TYPE),
    ("related_identifiers", "related_identifier_type", vocab.RELATED_IDENTIFIER_TYPE),
    ("related_identifiers", "resource_type_general", vocab.RESOURCE_TYPE_GENERAL),
    ("descriptions", "description_type", vocab.DESCRIPTION_TYPE),
    ("funding_references", "funder_identifier_type", vocab.FUNDER_IDENTIFIER_TYPE),
)


class Record(Model):
    identifier: Identifier | None = None
    alternate_identifiers: list[AlternateIdentifier] = Field(default_factory=list)
    creators: list[Creator] = Field(default_factory=list)
    contributors: list[Contributor] = Field(default_factory=list)
    titles: list[Title] = Field(default_factory=list)
    publisher: Publisher | None = None
    publication_year: int | None = None
    resource_type: ResourceType | None = None
    subjects: list[Subject] = Field(default_factory=list)
    dates: list[Date] = Field(default_factory=list)
    language: str | None = None
    related_identifiers: list[RelatedIdentifier] = Field(default_factory=list)
    sizes: list[str] = Field(default_factory=list)
    formats: list[str] = Field(default_factory=list)
    version: str | None = None
    rights: list[Rights] = Field(default_factory=list)
    descriptions: list[Description] = Field(default_factory=list)
    geo_locations: list[GeoLocation] = Field(default_factory=list)
    funding_references: list[FundingReference] = Field(default_factory=list)
    landing_page: str | None = None
    distributions: list[Distribution] = Field(default_factory=list)
    contact_points: list[ContactPoint] = Field(default_factory=list)
    access_rights: str | None = None  # URI or label (e.g. EU access-right vocabulary)
    conforms_to: list[str] = Field(default_factory=list)  # standards / profiles (URIs)
    provenance: Provenance | None = None
    issues: list[Issue] = Field(default_factory=list)

    @property
    def doi(self) -> str | None:
        if self.identifier and self.identifier.type.upper() == "DOI":
            return self.identifier.value
        return None

    @property
    def main_title(self) -> str | None:
        for title in self.titles:
            if title.title_type is None:
                return title.value
        return self.titles[0].value if self.titles else None

    def add_issue(self, code: str, message: str, field: str | None = None,
                  severity: Severity = "warning") -> None:
        if not any(i.code == code and i.field == field for i in self.issues):
            self.issues.append(Issue(code=code, message=message, field=field, severity=severity))

    @model_validator(mode="after")
    def _collect_issues(self) -> Record:
        for field, attribute, allowed in _CONTROLLED:
            for position, item in enumerate(getattr(self, field)):
                value = getattr(item, attribute)
                if value is not None and value not in allowed:
                    setattr(item, attribute, None)
                    self.add_issue(
                        "invalid_vocabulary",
                        f"{value!r} is not a DataCite {attribute}; it was dropped.",
                        field=f"{field}[{position}].{attribute}",
                    )
        if self.resource_type and self.resource_type.general not in (None, *vocab.RESOURCE_TYPE_GENERAL):
            wrong = self.resource_type.general
            self.resource_type.general = None
            self.add_issue("invalid_vocabulary",
                           f"{wrong!r} is not a DataCite resourceTypeGeneral; it was dropped.",
                           field="resource_type.general")
        for field, present in (
            ("identifier", self.identifier is not None),
            ("creators", bool(self.creators)),
            ("titles", bool(self.titles)),
            ("publisher", self.publisher is not None),
            ("publication_year", self.publication_year is not None),
            ("resource_type", bool(self.resource_type and self.resource_type.general)),
        ):
            if not present:
                self.add_issue(f"missing_{field}",
                               f"The DataCite mandatory property {field} is missing.", field=field)
        return self
