"""The orchestration layer: harvest a source, remap, export. The CLI and the DAGs call only this."""
