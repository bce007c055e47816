"""docs/reliability.md cannot rot: every test it names exists, and nothing is ever lost."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
COLUMNS = ["Case", "What was injected", "What happened", "What was lost", "Test"]
# `tests/test_x.py::test_name` or `tests/test_x.py::TestClass::test_name`, or a whole file
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)*)`")
# Every case the reliability issue lists: the table keeps a row for each (and may add more).
CASES = [
    "SIGKILL mid-list", "DB connection dropped mid-batch", "503 + Retry-After", "429",
    "Timeouts", "Connection resets", "Truncated pages", "Expired or invalid resumption token",
    "Repeating token", "HTML where XML expected", "JSON where XML expected", "Wrong charset",
    "Invalid UTF-8", "Two concurrent harvests", "Disk full", "Read-only store",
    "Deletion guard (held, approve, discard)", "Billion laughs", "XXE / DTD",
    "Deeply nested elements", "Huge text nodes",
    "RDF/JSON-LD remote contexts and imports not fetched", "RDF size bounds",
    "Oversized records and responses", "Control characters cleaned",
    "Exporter escaping (XML, RDF, JSON-LD, HTML)", "Hypothesis property tests for every mapper",
    "HTML pages + OAI provider: read-only and malformed parameters",
]


def table() -> list[dict[str, str]]:
    """The rows of the fault matrix, as column name -> cell."""
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines()
             if line.startswith("|")]
    header = _cells(lines[0])
    assert header == COLUMNS
    assert set(lines[1].replace("|", "").strip()) <= {"-", " "}
    return [dict(zip(header, _cells(line), strict=True)) for line in lines[2:]]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@cache
def _tests_in(path: Path) -> frozenset[str]:
    """Node ids below the file, "test_x" and "TestClass::test_x", found without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.update(f"{node.name}::{item.name}" for item in node.body
                         if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                         and item.name.startswith("test"))
    return frozenset(names)


ROWS = table()


def test_the_matrix_has_a_row_for_every_case_of_the_issue():
    cases = [row["Case"] for row in ROWS]
    assert [case for case in CASES if case not in cases] == []
    assert len(set(cases)) == len(cases)


@pytest.mark.parametrize("row", ROWS, ids=[row["Case"] for row in ROWS])
def test_nothing_was_lost_in_any_case(row):
    assert row["What was lost"].lower().startswith("nothing"), row["Case"]
    assert row["What was injected"] and row["What happened"], row["Case"]


@pytest.mark.parametrize("row", ROWS, ids=[row["Case"] for row in ROWS])
def test_every_test_the_matrix_names_exists(row):
    references = REFERENCE.findall(row["Test"])
    assert references, f"{row['Case']}: no test named"
    assert len(references) == row["Test"].count("`") // 2, f"{row['Case']}: unreadable name"
    for file, node in references:
        path = ROOT / file
        assert path.is_file(), f"{row['Case']}: {file} does not exist"
        tests = _tests_in(path)
        if node:
            assert node.removeprefix("::") in tests, f"{row['Case']}: {file}{node} not found"
        else:
            assert tests, f"{row['Case']}: {file} holds no test"
