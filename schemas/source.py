"""The source registry's shape: one `SourceConfig` per partner endpoint in sources.yaml."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CRON_ALIASES = {"@once", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually"}


class Credentials(BaseModel):
    """Credentials are named by environment variable, never written in the file."""

    model_config = ConfigDict(extra="forbid")

    username_env: str | None = None
    password_env: str | None = None
    token_env: str | None = None

    @field_validator("username_env", "password_env", "token_env")
    @classmethod
    def _is_env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment variable name (like PARTNER_TOKEN)")
        return value


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    protocol: str
    url: HttpUrl
    metadata_prefix: str | None = None
    sets: list[str] = Field(default_factory=list)
    schedule: str | None = "@daily"
    enabled: bool = True
    priority: int = 0
    max_requests_per_second: float = Field(default=2.0, gt=0, le=1000)
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=5, ge=0, le=20)
    retry_backoff_seconds: float = Field(default=2.0, ge=0, le=600)  # first wait; doubles each try
    max_retry_after_seconds: float = Field(default=600.0, ge=0, le=86400)  # cap on Retry-After
    page_size_limit_mb: int = Field(default=64, gt=0, le=1024)
    credentials: Credentials | None = None
    merge_likely_duplicates: bool = False
    deletion_guard_share: float = Field(default=0.2, ge=0, le=1)
    contact: str | None = None
    notes: str | None = None
    kind: Literal["repository", "catalogue", "portal"] | None = None
    # Split a big source into parallel Airflow tasks: one per OAI set, or (for the first,
    # full harvest) one per year of datestamps; later runs are incremental per chunk/source.
    chunk_by: Literal["set", "year"] | None = None
    # CKAN portals: which organisations/groups to harvest (empty: all), the page size, and
    # whether this source's contact e-mails may appear in exports.
    ckan_organizations: list[str] = Field(default_factory=list)
    ckan_groups: list[str] = Field(default_factory=list)
    ckan_rows: int = Field(default=100, ge=1, le=1000)
    export_emails: bool = False

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                "must be lower-case letters, digits, '-' or '_' (at most 64), like 'zenodo'"
            )
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule_is_cron(cls, value: str | None) -> str | None:
        if value is None or value in _CRON_ALIASES:
            return value
        if len(value.split()) != 5:
            raise ValueError(f"{value!r} is neither a cron expression (5 fields) nor an alias "
                             f"like @daily")
        return value

    @model_validator(mode="after")
    def _oai_needs_prefix(self) -> SourceConfig:
        if self.protocol == "oai_pmh" and not self.metadata_prefix:
            raise ValueError("an oai_pmh source needs metadata_prefix (e.g. oai_dc)")
        if self.chunk_by == "set" and not self.sets:
            raise ValueError("chunk_by: set needs the sets to harvest listed under sets")
        return self

    @property
    def base_url(self) -> str:
        return str(self.url)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[SourceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ids_are_unique(self) -> SourcesFile:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"source id {source.id!r} appears twice")
            seen.add(source.id)
        return self

    def get(self, source_id: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.id == source_id), None)
