"""What a mapper knows of its record (MapContext) and the record it is building (Draft)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from mappers.normalise import (
    detect_language,
    normalise_date,
    normalise_language,
    normalise_licence,
)
from mappers.normalise.licences import SPDX_SCHEME_URI, access_right_label
from schemas import Issue, Provenance, Record, Rights
from schemas.record import Severity

# Texts shorter than this are only tagged by detection when they agree with the record language.
SHORT_TEXT = 60


@dataclass(frozen=True)
class MapContext:
    """Where a raw record came from; becomes the mapped record's provenance."""

    source_id: str
    source_identifier: str
    metadata_format: str
    harvested_at: datetime
    raw_sha256: str
    datestamp: datetime | None = None

    def provenance(self) -> Provenance:
        return Provenance(source_id=self.source_id, source_identifier=self.source_identifier,
                          metadata_format=self.metadata_format,
                          harvested_at=self.harvested_at, raw_sha256=self.raw_sha256,
                          datestamp=self.datestamp)


class Draft:
    """A record under construction: its fields so far and the issues found on the way.

    The Record is built once, at the end, so that its validator sees every field at once; the
    checks several formats share (language tags, dates, licences) live here too, because each
    of them records issues against a position in the draft.
    """

    __slots__ = ("context", "fields", "issues")

    def __init__(self, context: MapContext) -> None:
        self.context = context
        self.fields: dict[str, Any] = {}
        self.issues: list[Issue] = []

    # --- building ---------------------------------------------------------------------------

    def position(self, field: str) -> int:
        """The index the next item appended to `field` will get."""
        return len(self.fields.get(field, ()))

    def append(self, field: str, item: Any) -> None:
        self.fields.setdefault(field, []).append(item)

    def has(self, field: str) -> bool:
        return bool(self.fields.get(field))

    def set(self, field: str, value: Any) -> None:
        self.fields[field] = value

    def make(self, model: type, where: str, **values: Any) -> Any | None:
        """`model(**values)`, or None with an `invalid_element` issue when pydantic refuses.

        Validated by the model's validator directly: the same result without the Python frame
        of `BaseModel.__init__` (some 40 items a DataCite record)."""
        try:
            return model.__pydantic_validator__.validate_python(values)
        except ValidationError as exc:
            self._invalid(where, exc)
            return None

    def make_next(self, model: type, field: str, values: dict[str, Any]) -> Any | None:
        """`make` for the next item of `field` (named by its position only when refused)."""
        try:
            return model.__pydantic_validator__.validate_python(values)
        except ValidationError as exc:
            self._invalid(f"{field}[{self.position(field)}]", exc)
            return None

    def _invalid(self, where: str, exc: ValidationError) -> None:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        self.issue("invalid_element", f"The {where} element was dropped: {place}: "
                   f"{first['msg']}.", field=where)

    def issue(self, code: str, message: str, field: str | None = None,
              severity: Severity = "warning") -> None:
        if not any(i.code == code and i.field == field for i in self.issues):
            self.issues.append(Issue(code=code, message=message, field=field,
                                     severity=severity))

    def record(self) -> Record:
        return Record(**self.fields, provenance=self.context.provenance(), issues=self.issues)

    # --- checks shared by every format -------------------------------------------------------

    def tag_language(self, field: str, item: Any) -> None:
        """Normalise `item.lang`; when there is none (or it is invalid), detect it from the text."""
        where = f"{field}[{self.position(field)}].lang"
        if item.lang:
            tag = normalise_language(item.lang)
            if tag:
                item.lang = tag
                return
            self.issue("invalid_language", f"{item.lang!r} is not a language tag; it was "
                       "dropped.", field=where)
            item.lang = None
        detected = detect_language(item.value)
        declared = self.fields.get("language")
        if detected and declared and len(item.value) < SHORT_TEXT and \
                detected != declared.split("-")[0]:
            # langdetect is overconfident on short texts ("Geology, hydrology, meteorology"
            # comes out Welsh at 0.99999): there, disagreeing with the record's own language
            # is more likely a detection error than a foreign-language title.
            detected = None
        if detected:
            item.lang = detected
            self.issue("language_detected", f"The language {detected!r} was detected from the "
                       "text.", field=where, severity="info")
        else:
            self.issue("language_undetected", "The text has no language tag and its language "
                       "could not be detected with confidence.", field=where, severity="info")

    def language(self, text: str | None, field: str = "language") -> str | None:
        """A language code as a BCP 47 tag, or None with an `invalid_language` issue.

        For the record language and the xml:lang of names, publishers and rights, which are
        normalised but never detected.
        """
        tag = normalise_language(text)
        if text and not tag:
            self.issue("invalid_language", f"{text!r} is not a language code; it was dropped.",
                       field=field)
        return tag

    def check_date(self, field: str, item: Any) -> None:
        """Canonicalise `item.value`; an unparseable date stays as given, with an issue."""
        canonical = normalise_date(item.value)
        if canonical:
            item.value = canonical
        else:
            self.issue("unparseable_date", f"{item.value!r} is not an ISO 8601 date or range; "
                       "it was kept as given.", field=f"{field}[{self.position(field)}].value")

    def rights(self, statement: str | None, uri: str | None = None,
               spdx_hint: str | None = None, lang: str | None = None,
               scheme_uri: str | None = None) -> Rights | None:
        """A Rights entry with the SPDX id and canonical URI when the licence is recognised.

        Access-rights terms (info:eu-repo/semantics/openAccess and COAR's) are kept as a
        statement with their URI and no SPDX id: they say who may read, not under what terms.
        """
        for candidate in (spdx_hint, uri, statement):
            if candidate and (label := access_right_label(candidate)):
                return Rights(statement=label if statement in (None, candidate) else statement,
                              uri=candidate.strip(), lang=lang)
        for candidate in (spdx_hint, uri, statement):
            spdx, canonical = normalise_licence(candidate)
            if spdx or canonical:
                return Rights(statement=statement, uri=canonical or uri, spdx_id=spdx,
                              scheme_uri=SPDX_SCHEME_URI if spdx else scheme_uri, lang=lang)
        if not (statement or uri):
            return None
        return Rights(statement=statement, uri=uri, scheme_uri=scheme_uri, lang=lang)
