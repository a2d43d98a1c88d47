"""Every notebook follows the template and is stored clean (what nbval cannot see).

nbval re-runs the notebooks; these checks cover the stored files themselves: the
kernel they name, their structure, that they were stored executed without errors,
that output-compared cells are deterministic text, and that no code cell uses a
removed API or downloads anything.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
LESSONS = [p for p in ALL if not p.stem.endswith("_exercises")]
NAME = re.compile(r"^\d{2}_[a-z0-9_]+\.ipynb$")
FORBIDDEN = [
    "tf_keras",
    "tensorflow_addons",
    "ImageDataGenerator",
    "keras.preprocessing.text",
    "fit_generator",
    "urllib",
    "requests.get",
    "get_file(",
    ".load_data(",
]


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_there_are_notebooks():
    assert LESSONS, "no lesson notebooks found"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_stored_clean_and_executed(path):
    assert NAME.match(path.name), f"{path.name} is not NN_topic.ipynb"
    text = path.read_text()
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "dlkit"
    assert not re.search(r"/(work|root|home|tmp)/", text), "a machine path is stored"
    for index, cell in enumerate(code_cells(notebook)):
        assert cell.execution_count is not None, f"code cell {index} was never executed"
        kinds = {output.output_type for output in cell.outputs}
        assert "error" not in kinds, f"code cell {index} stored an error"
        if "nbval-check-output" in cell.metadata.get("tags", []):
            assert "display_data" not in kinds, f"code cell {index} compares a figure"
        for name in FORBIDDEN:
            assert name not in cell.source, f"code cell {index} uses {name}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_follows_the_template(path):
    notebook = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in code_cells(notebook))
    chapter = path.name[:2]
    assert notebook.cells[0].source.startswith(f"# {chapter} · ")
    assert re.search(r"\*\*Runtime:\*\* about \d+ s", notebook.cells[0].source)
    for heading in ("## Learning goals", "## Setup", "## Summary", "## Exercises"):
        assert heading in markdown, f"missing {heading!r}"
    assert "dlkit.runtime.setup(seed=" in code_cells(notebook)[0].source
    assert "dlkit.runtime.scale()" in code, "the lesson never branches on the scale"
    assert "DLKIT_SCALE=full" in markdown, "no cell says what the full scale changes"
    assert len(re.findall(r"^\s*(assert |np\.testing\.assert)", code, re.M)) >= 5
    assert (NOTEBOOKS / f"{path.stem}_exercises.ipynb").exists(), "no exercises notebook"
    figures = sum(
        1
        for cell in code_cells(notebook)
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    )
    assert figures >= 3, f"only {figures} figures"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_readme_lists_the_lesson_with_its_stated_runtime(path):
    """The README's chapter table names every lesson and the runtime its first cell states."""
    readme = (NOTEBOOKS.parent / "README.md").read_text()
    row = next((line for line in readme.splitlines() if f"(notebooks/{path.name})" in line), None)
    assert row is not None, f"README.md has no chapter row for {path.name}"
    first = nbformat.read(path, as_version=4).cells[0].source
    stated = re.search(r"\*\*Runtime:\*\* about (\d+) s", first).group(1)
    assert f"| {stated} s |" in row, f"README.md gives another runtime for {path.name}: {row}"
