"""Imported once by the mapping workers' forkserver: the mappers and both language detectors'
models are loaded there, so every worker forked from it starts ready."""

from mappers import MAPPERS  # noqa: F401 - imported for its side effect: loaded modules
from mappers.normalise.languages import load_detectors
from pipeline import mapping  # noqa: F401

load_detectors()
