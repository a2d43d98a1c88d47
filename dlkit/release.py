"""Release: turn a solution notebook into the student copy.

Every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is replaced
by a stub: inside an indented block (a function body) ``raise
NotImplementedError(...)``; at the top level of a cell the answer variable is set
to ``...`` so the rest of the notebook still runs and the self-check says "not
answered yet". Cells tagged ``solution-only`` are dropped. Every output,
execution count and attachment is cleared and cell metadata is reduced to what
the student copy needs. Finally the released file is searched for every line of
every solution; finding one is an error, so no solution text can slip through.

Example:
    >>> release_notebook(Path("01_tensors_exercises.ipynb"), Path("release/"))  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
SOLUTION_ONLY_TAG = "solution-only"
_KEPT_CELL_METADATA = ("tags", "dlkit")
_KEPT_NOTEBOOK_METADATA = ("kernelspec", "language_info")


class ReleaseError(ValueError):
    """The notebook cannot be released (bad markers, or solution text would leak)."""


def answer_variable(exercise_id: str) -> str:
    """The variable that holds an exercise's answer: ``"01.3"`` -> ``"answer_01_3"``."""
    return "answer_" + exercise_id.replace(".", "_")


def _stub(indent: str, cell_type: str, exercise_id: str | None) -> list[str]:
    if cell_type == "markdown":
        return [f"{indent}_Write your answer here._"]
    if indent or exercise_id is None:
        return [f'{indent}raise NotImplementedError("write your solution here")']
    return [f"{indent}# YOUR ANSWER HERE", f"{indent}{answer_variable(exercise_id)} = ..."]


def strip_solutions(
    source: str, cell_type: str = "code", exercise_id: str | None = None
) -> tuple[str, list[str]]:
    """Replace each solution region of a cell's source by a stub.

    Returns:
        ``(new_source, removed_lines)``.

    Raises:
        ReleaseError: a BEGIN without END, an END without BEGIN, or nested markers.
    """
    out: list[str] = []
    removed: list[str] = []
    inside = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise ReleaseError("nested '### BEGIN SOLUTION' markers")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(_stub(indent, cell_type, exercise_id))
        elif stripped.startswith(END):
            if not inside:
                raise ReleaseError("'### END SOLUTION' without a matching BEGIN")
            inside = False
        elif inside:
            removed.append(line)
        else:
            out.append(line)
    if inside:
        raise ReleaseError("'### BEGIN SOLUTION' without a matching '### END SOLUTION'")
    return "\n".join(out), removed


def _exercise_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("dlkit", {})
    value = meta.get("exercise") if isinstance(meta, dict) else None
    return value if isinstance(value, str) else None


def release_notebook(source: Path, out_dir: Path) -> Path:
    """Write the student copy of ``source`` into ``out_dir`` (same file name).

    Raises:
        ReleaseError: markers are malformed, the output would overwrite the
            source, or any solution line would be left in the released file.
    """
    source, out_dir = Path(source), Path(out_dir)
    target = out_dir / source.name
    if target.resolve() == source.resolve():
        raise ReleaseError(f"refusing to overwrite the solution notebook {source}")
    notebook = nbformat.read(source, as_version=4)
    released = copy.deepcopy(notebook)
    removed_lines: list[str] = []
    public_lines: set[str] = set()
    cells = []
    for index, cell in enumerate(released.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_ONLY_TAG in tags:
            removed_lines.extend(cell.source.splitlines())
            continue
        try:
            cell.source, removed = strip_solutions(cell.source, cell.cell_type, _exercise_id(cell))
        except ReleaseError as error:
            raise ReleaseError(f"{source.name}, cell {index}: {error}") from None
        removed_lines.extend(removed)
        public_lines.update(line.strip() for line in cell.source.splitlines())
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in _KEPT_CELL_METADATA}
        if "tags" in cell.metadata:
            cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != "solution"]
            if not cell.metadata["tags"]:
                del cell.metadata["tags"]
        cell.pop("attachments", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    released.cells = cells
    released.metadata = {k: v for k, v in released.metadata.items() if k in _KEPT_NOTEBOOK_METADATA}
    text = nbformat.writes(released)
    leaks = _leaked_lines(
        text, [line for line in removed_lines if line.strip() not in public_lines]
    )
    if leaks:
        raise ReleaseError(
            f"{source.name}: solution text would remain in the release: {leaks[0]!r}"
            + (f" and {len(leaks) - 1} more" if len(leaks) > 1 else "")
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


_TRIVIAL = re.compile(r"^[\s\W]*$|^\s*(return|pass|else:|try:|\.\.\.)\s*$")


def _leaked_lines(text: str, removed_lines: list[str]) -> list[str]:
    """Solution lines (ignoring trivial ones) that still occur in the released JSON."""
    sources = " ".join(
        "".join(cell.get("source", "")) for cell in json.loads(text).get("cells", [])
    )
    everything = text + sources
    leaks = []
    for line in removed_lines:
        stripped = line.strip()
        if len(stripped) < 8 or _TRIVIAL.match(stripped) or stripped.startswith("#"):
            continue
        if stripped in everything or json.dumps(stripped)[1:-1] in everything:
            leaks.append(stripped)
    return leaks
