"""Metadata quality: scoring records, aggregating a source's report, summarising a run."""
