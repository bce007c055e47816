"""Imported once by the mapping workers' forkserver: the mappers and langdetect's profiles are
loaded there, so every worker forked from it starts ready."""

from mappers import MAPPERS  # noqa: F401 - imported for its side effect: loaded modules
from mappers.normalise.languages import detect_language
from pipeline import mapping  # noqa: F401

detect_language("A warm-up sentence that loads the language profiles once.")
