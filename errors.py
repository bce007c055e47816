"""Every error type of os10-harvest, in one tree.

    Os10Error                       base: carries source, url and record id when known
    ├── ConfigError                 sources.yaml or settings are wrong (file, source id, field)
    ├── HarvestError                something went wrong talking to a partner
    │   ├── RetriableError          worth retrying: timeouts, connection resets, 5xx, 429
    │   ├── SourceError             fatal for this source and run
    │   │   ├── OaiError            an OAI-PMH <error> (code -> class in OAI_ERROR_CLASSES)
    │   │   │   ├── BadArgumentError, BadVerbError, CannotDisseminateFormatError,
    │   │   │   ├── IdDoesNotExistError, NoMetadataFormatsError, NoSetHierarchyError
    │   │   │   └── BadResumptionTokenError   the token expired: re-run the window
    │   │   ├── ResponseTooLargeError   a response over the source's size bound
    │   │   ├── UnparseableResponseError a page that is not well-formed XML/JSON/RDF
    │   │   └── ProtocolViolationError  a response that parses but breaks the protocol
    │   └── RecordError             skippable: one record's payload is unusable
    ├── MappingError                a raw record cannot become a common-model record
    ├── StoreError                  the database refused or is unreachable (store/failures.py)
    │   └── SourceBusyError         another run is harvesting the same source or chunk
    └── ExportError                 an export cannot be written or fails validation

`noRecordsMatch` is not an error: harvesters turn it into an empty list.
"""

from __future__ import annotations


class Os10Error(Exception):
    """Base error; `str()` is a sentence a steward can act on."""

    def __init__(self, message: str, *, source: str | None = None, url: str | None = None,
                 record_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.url = url
        self.record_id = record_id

    def __str__(self) -> str:
        parts = []
        if self.source:
            parts.append(f"Source {self.source!r}")
        if self.record_id:
            parts.append(f"record {self.record_id!r}")
        prefix = (", ".join(parts) + ": ") if parts else ""
        suffix = f" (URL: {self.url})" if self.url else ""
        return f"{prefix}{self.message}{suffix}"


class ConfigError(Os10Error):
    pass


class HarvestError(Os10Error):
    pass


class RetriableError(HarvestError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class SourceError(HarvestError):
    pass


class OaiError(SourceError):
    code = "unknown"


class BadArgumentError(OaiError):
    code = "badArgument"


class BadVerbError(OaiError):
    code = "badVerb"


class BadResumptionTokenError(OaiError):
    code = "badResumptionToken"


class CannotDisseminateFormatError(OaiError):
    code = "cannotDisseminateFormat"


class IdDoesNotExistError(OaiError):
    code = "idDoesNotExist"


class NoMetadataFormatsError(OaiError):
    code = "noMetadataFormats"


class NoSetHierarchyError(OaiError):
    code = "noSetHierarchy"


OAI_ERROR_CLASSES: dict[str, type[OaiError]] = {
    cls.code: cls
    for cls in (BadArgumentError, BadVerbError, BadResumptionTokenError,
                CannotDisseminateFormatError, IdDoesNotExistError, NoMetadataFormatsError,
                NoSetHierarchyError)
}


class ResponseTooLargeError(SourceError):
    pass


class UnparseableResponseError(SourceError):
    pass


class ProtocolViolationError(SourceError):
    pass


class RecordError(HarvestError):
    pass


class MappingError(Os10Error):
    pass


class StoreError(Os10Error):
    pass


class SourceBusyError(StoreError):
    """Refused before writing anything: the source's harvest lock is held (store/locks.py)."""


class ExportError(Os10Error):
    pass
