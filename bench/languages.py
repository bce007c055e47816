"""Language detection on texts that are all different, as a real partner's untagged titles are.

The simulated feed's texts repeat (a few titles per language), so in the harvest figures almost
every detection is answered from the cache. These two figures detect distinct texts with the
cache cleared: `detect_langdetect` as the mappers did before py3langid (Han script, then
langdetect for every text), `detect_languages` as they do now (`detect_language`: py3langid
where it is sure, langdetect for the rest). Texts per second; n is the number of texts.
"""

from __future__ import annotations

import itertools
import random

from bench.measured import Measured, Stopwatch
from mappers.normalise import languages
from simulator.texts import TITLES

MAX_TEXTS = 2000


def distinct_texts(n: int) -> list[str]:
    """Up to MAX_TEXTS texts, each three titles of one language in an order of its own, the
    languages taken in turn (the simulator's: en, fr, es, pt, sw, zh, ar, ru, ...)."""
    rng = random.Random(7)
    per_language = []
    for titles in TITLES.values():
        orders = list(itertools.permutations(titles, 3))
        rng.shuffle(orders)
        per_language.append([". ".join(order) for order in orders])
    mixed = [text for group in itertools.zip_longest(*per_language) for text in group if text]
    return mixed[:min(n, MAX_TEXTS)]


def _detect_all(texts: list[str], sure: float) -> tuple[list[str | None], float]:
    languages.load_detectors()
    saved = languages.SURE
    languages.SURE = sure
    languages._detect.cache_clear()
    try:
        with Stopwatch() as clock:
            answers = [languages.detect_language(text) for text in texts]
    finally:
        languages.SURE = saved
        languages._detect.cache_clear()
    return answers, clock.seconds


def detect_langdetect(spec: dict) -> Measured:
    texts = distinct_texts(spec["n"])
    answers, seconds = _detect_all(texts, sure=float("inf"))  # py3langid never sure: langdetect
    return Measured(len(texts), seconds, {"undetected": answers.count(None)})


def detect_languages(spec: dict) -> Measured:
    texts = distinct_texts(spec["n"])
    answers, seconds = _detect_all(texts, sure=languages.SURE)
    identifier = languages._identifier()
    # The titles hold no digits or runs of spaces: detect_language passes them on as they are.
    sure = sum(languages._by_script(text) is None
               and identifier.classify(text)[1] >= languages.SURE for text in texts)
    langdetect_answers, _ = _detect_all(texts, sure=float("inf"))
    return Measured(len(texts), seconds, {
        "undetected": answers.count(None),
        "decided_by_py3langid": round(sure / len(texts), 3),
        "answers_differing_from_langdetect": sum(
            a != b for a, b in zip(answers, langdetect_answers, strict=True)),
    })
