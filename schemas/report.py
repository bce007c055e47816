"""Harvest run reports: what a run saw, wrote and failed on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from schemas.quality import RunQuality

RunStatus = Literal["running", "succeeded", "failed", "held"]
RunMode = Literal["incremental", "full", "window", "resume"]


class RunCounts(BaseModel):
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    repaired: int = 0  # records whose illegal XML characters were repaired

    def add(self, other: RunCounts) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


class ErrorSample(BaseModel):
    record_id: str | None = None
    url: str | None = None
    reason: str


class RunReport(BaseModel):
    run_id: int | None = None
    source_id: str
    status: RunStatus = "running"
    mode: RunMode = "incremental"
    window_from: datetime | None = None
    window_until: datetime | None = None
    started_at: datetime
    finished_at: datetime | None = None
    counts: RunCounts = Field(default_factory=RunCounts)
    error: str | None = None
    error_samples: list[ErrorSample] = Field(default_factory=list)
    pages: int = 0
    live_after: int | None = None  # the source's live records when the run ended
    quality: RunQuality | None = None  # of the records this run mapped (new and updated)

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def rate(self) -> float | None:
        duration = self.duration_s
        if not duration:
            return None
        return self.counts.seen / duration
