"""dlkit grade: the round trip for every chapter, tampering, bad input, reports.

Every chapter with an exercises notebook and hidden checks gets the round trip:
the solution notebook scores full marks, its released copy scores zero, and a
notebook holding one typical wrong answer per exercise (written below, as code a
student could type) is caught on every exercise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.etree import ElementTree

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell

from dlkit import exercises
from dlkit.grading import GradingError, grade, load_hidden_checks, write_report
from dlkit.release import BEGIN, END, answer_variable, release_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
HIDDEN = ROOT / "hidden_checks"
CHAPTERS = sorted(
    p.name[:2]
    for p in NOTEBOOKS.glob("*_exercises.ipynb")
    if (HIDDEN / f"ch{p.name[:2]}.py").exists()
)


def exercises_notebook(chapter: str) -> Path:
    (path,) = NOTEBOOKS.glob(f"{chapter}_*_exercises.ipynb")
    return path


def literal(value) -> str:
    """Python source that rebuilds a wrong answer inside the student's kernel."""
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + "".join(f"{literal(v)}, " for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, (np.generic,)):
        return repr(value.item())
    return repr(value)


def replace_solution(source: str, new_code: str) -> str:
    lines = source.splitlines()
    begin = next(i for i, line in enumerate(lines) if line.strip().startswith(BEGIN))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith(END))
    return "\n".join(lines[: begin + 1] + new_code.splitlines() + lines[end:])


def edited_copy(source: Path, target: Path, edits: dict[str, str], extra_cells=()) -> Path:
    """Copy a solution notebook, replacing the solution of some exercises."""
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("dlkit", {})
        if (
            cell.cell_type == "code"
            and meta.get("exercise") in edits
            and meta.get("role") != "check"
        ):
            cell.source = replace_solution(cell.source, edits[meta["exercise"]])
    for position, code in extra_cells:
        notebook.cells.insert(position, new_code_cell(code))
    nbformat.write(notebook, target)
    return target


def statuses(report) -> dict[str, str]:
    return {result.id: result.status for result in report.exercises}


@pytest.fixture(scope="module")
def private_checks():
    """The hidden checks copied where only root can read them (the documented CI recipe)."""
    folder = Path(tempfile.mkdtemp(prefix="dlkit-hidden-"))  # mode 0700
    shutil.copytree(HIDDEN, folder / "hidden_checks")
    yield folder / "hidden_checks"
    shutil.rmtree(folder, ignore_errors=True)


# --- the round trip, for every chapter ----------------------------------------------


def test_there_are_chapters_to_grade():
    assert "01" in CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_scores_full_marks(chapter, private_checks, tmp_path):
    """The solution notebook, run by the grader, is also the exercises' regression test.

    ``make test`` does not run nbval over the ``*_exercises`` notebooks: this run covers
    them. Every cell must run without an error (setup and check cells included: the grader
    notes those), and a last cell asserts that every public check passes on the answers the
    notebook computed, which is what the stored ``check(...)`` outputs show a student.
    """
    hidden = load_hidden_checks(chapter, private_checks)
    ids = sorted(hidden.CHECKS, key=exercises._sort_key)
    public = "\n".join(
        [
            "from dlkit.exercises import check as _check",
            f"_failing = [i for i, v in {[(i, answer_variable(i)) for i in ids]!r}"
            " if not _check(i, globals()[v])]",
            "assert not _failing, f'public checks that fail: {_failing}'",
        ]
    )
    source = exercises_notebook(chapter)
    notebook = nbformat.read(source, as_version=4)
    copy = edited_copy(source, tmp_path / source.name, {}, [(len(notebook.cells), public)])
    before = copy.read_bytes()
    report = grade(copy, checks_dir=private_checks)
    assert copy.read_bytes() == before, "the submission must never be modified"
    failed = {r.id: r.message for r in report.exercises if r.status != "passed"}
    assert not failed
    assert report.score == report.max_score > 0
    assert not report.notes, report.notes
    assert [r.id for r in report.exercises] == sorted(hidden.CHECKS, key=exercises._sort_key)
    assert len(report.exercises) >= 8
    print(f"chapter {chapter}: graded in {report.seconds:.1f} s ({report.isolation})")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_released_copy_scores_zero(chapter, private_checks, tmp_path):
    released = release_notebook(exercises_notebook(chapter), tmp_path)
    report = grade(released, checks_dir=private_checks)
    assert report.score == 0 and report.max_score > 0
    assert set(statuses(report).values()) == {"failed"}
    assert all("not answered" in r.message for r in report.exercises)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_wrong_answers_are_caught(chapter, private_checks, tmp_path):
    hidden = load_hidden_checks(chapter, private_checks)
    edits = {}
    sources = getattr(hidden, "WRONG_SOURCE", {})
    for exercise_id, wrong in hidden.WRONG.items():
        if exercise_id in sources:  # functions, models: code a student could type
            edits[exercise_id] = sources[exercise_id]
        else:
            edits[exercise_id] = f"{answer_variable(exercise_id)} = {literal(wrong)}"
    assert set(edits) == set(hidden.CHECKS), "every exercise needs a wrong answer"
    submission = edited_copy(exercises_notebook(chapter), tmp_path / "wrong.ipynb", edits)
    report = grade(submission, checks_dir=private_checks)
    caught = statuses(report)
    assert set(caught.values()) == {"failed"}, caught
    assert report.score == 0


# --- tampering ----------------------------------------------------------------------


def test_gauntlet_of_attacks(private_checks, tmp_path):
    """One submission, many attacks: each costs only its own exercise; the rest pass."""
    source = exercises_notebook("01")
    report_path = tmp_path / "report.json"
    hidden_file = private_checks / "ch01.py"
    edits = {
        "01.3": "while True:\n    pass",  # infinite loop
        "01.5": "import os\nos._exit(0)",  # kills the kernel
        "01.6": "import sys\nsys.exit(0)",  # exits early
        "01.7": "hog = bytearray(6 * 1024**3)",  # memory blow-up
        # reads the hidden checks to copy the reference answer
        "01.4": f"text = open({str(hidden_file)!r}).read()\nanswer_01_4 = {{'D': text}}",
        # monkeypatches the public checker and dlkit's grading, then gives a wrong answer
        "01.1": (
            "import dlkit.exercises, dlkit.grading\n"
            "dlkit.exercises.check = lambda *args, **kwargs: print('passed') or True\n"
            "dlkit.grading._verdict = lambda *args: ('passed', 'all good')\n"
            "answer_01_1 = {'sum': np.zeros((2, 3)), 'hadamard': np.zeros((2, 3)),"
            " 'abt': np.zeros((2, 2))}"
        ),
    }
    fake = json.dumps({"score": 999, "max_score": 35, "exercises": []})
    extra = [
        (
            2,
            f"try:\n    open({str(report_path)!r}, 'w').write({fake!r})\nexcept OSError:\n    pass",
        ),
        (3, "print('All tests passed! Score: 35/35')"),
        (4, "raise ValueError('a broken setup cell')"),
    ]
    submission = edited_copy(source, tmp_path / "attack.ipynb", edits, extra)
    before = submission.read_bytes()
    start = time.monotonic()
    report = grade(
        submission, checks_dir=private_checks, cell_timeout=8, total_timeout=400, memory_mb=2500
    )
    elapsed = time.monotonic() - start
    write_report(report, report_path)
    got = statuses(report)
    assert got["01.3"] == "timeout"
    assert got["01.5"] == "error" and "kernel died" in report.exercises[4].message
    assert got["01.6"] == "error" and "SystemExit" in report.exercises[5].message
    assert got["01.7"] == "error" and "MB" in report.exercises[6].message
    assert got["01.4"] in ("error", "failed")
    if "user nobody" in report.isolation:  # it cannot open the root-only hidden checks
        assert got["01.4"] == "error" and "PermissionError" in report.exercises[3].message
    assert got["01.1"] == "failed"
    assert "a cell outside the exercises raised ValueError: a broken setup cell" in report.notes
    attacked = set(edits)
    assert all(status == "passed" for key, status in got.items() if key not in attacked), got
    written = json.loads(report_path.read_text())
    assert written["score"] == report.score < report.max_score
    assert submission.read_bytes() == before
    assert elapsed < 400


def test_whole_run_time_limit(private_checks, tmp_path):
    """Slow but finite cells everywhere: the total limit stops the run, nothing hangs."""
    slow = {f"01.{k}": "import time\ntime.sleep(4)" for k in range(1, 19)}
    submission = edited_copy(exercises_notebook("01"), tmp_path / "slow.ipynb", slow)
    start = time.monotonic()
    report = grade(submission, checks_dir=private_checks, cell_timeout=30, total_timeout=20)
    assert time.monotonic() - start < 60
    got = statuses(report)
    assert "timeout" in got.values() and "passed" not in got.values()
    assert report.score == 0


def test_points_come_from_the_teacher_not_the_submission(private_checks, tmp_path):
    notebook = nbformat.read(exercises_notebook("01"), as_version=4)
    for cell in notebook.cells:
        if "dlkit" in cell.metadata:
            cell.metadata["dlkit"]["points"] = 1000
    # and the student deletes every exercise but one from the notebook
    notebook.cells = [
        c for c in notebook.cells if c.metadata.get("dlkit", {}).get("exercise") in (None, "01.3")
    ]
    path = tmp_path / "greedy.ipynb"
    nbformat.write(notebook, path)
    report = grade(path, checks_dir=private_checks, cell_timeout=30)
    assert report.max_score == sum(ex.points for ex in exercises.chapter_exercises("01"))
    assert statuses(report)["01.3"] == "passed"
    assert report.score == exercises.get("01.3").points


# --- bad input and the command line -------------------------------------------------


def run_cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "dlkit.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("this is not json", "not valid JSON"),
        ('{"cells": 3}', "not a valid notebook"),
        (nbformat.writes(nbformat.v4.new_notebook(cells=[new_code_cell("x = 1")])), "no exercises"),
        (
            nbformat.writes(
                nbformat.v4.new_notebook(
                    cells=[
                        new_code_cell("answer_01_99 = 1", metadata={"dlkit": {"exercise": "01.99"}})
                    ]
                )
            ),
            "unknown exercise id 01.99",
        ),
        (
            nbformat.writes(
                nbformat.v4.new_notebook(
                    cells=[
                        new_code_cell("answer_77_1 = 1", metadata={"dlkit": {"exercise": "77.1"}})
                    ]
                )
            ),
            "unknown chapter 77",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "submission.ipynb"
    path.write_text(content)
    result = run_cli("grade", path, "--json", tmp_path / "r.json", timeout=120)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.json").exists()
    with pytest.raises(GradingError, match=message):
        grade(path)


def test_missing_file_exits_2(tmp_path):
    result = run_cli("grade", tmp_path / "nope.ipynb")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_cli_reports_and_exit_codes(tmp_path, private_checks):
    env_checks = ("--checks", private_checks)
    good = run_cli(
        "grade",
        exercises_notebook("01"),
        "--json",
        tmp_path / "good.json",
        "--junit",
        tmp_path / "good.xml",
        *env_checks,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    report = json.loads((tmp_path / "good.json").read_text())
    assert set(report) >= {"score", "max_score", "exercises"}
    assert report["score"] == report["max_score"] > 0
    for entry in report["exercises"]:
        assert set(entry) == {"id", "score", "max_score", "status", "message"}
        assert entry["status"] in ("passed", "failed", "error", "timeout")
    suite = ElementTree.parse(tmp_path / "good.xml").getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(report["exercises"])
    assert int(suite.get("failures")) == int(suite.get("errors")) == 0

    released = release_notebook(exercises_notebook("01"), tmp_path / "student")
    bad = run_cli(
        "grade",
        released,
        "--json",
        tmp_path / "bad.json",
        "--junit",
        tmp_path / "bad.xml",
        *env_checks,
    )
    assert bad.returncode == 1
    report = json.loads((tmp_path / "bad.json").read_text())
    assert report["score"] == 0
    suite = ElementTree.parse(tmp_path / "bad.xml").getroot()
    assert int(suite.get("failures")) == len(report["exercises"])


def test_report_never_contains_hidden_check_code(tmp_path, private_checks):
    released = release_notebook(exercises_notebook("01"), tmp_path)
    report = grade(released, checks_dir=private_checks)
    text = json.dumps(report.to_dict()) + report.to_junit()
    hidden_source = (private_checks / "ch01.py").read_text()
    for marker in ("def check_01", "REFERENCE", "PROBES", "np.allclose", "16777216", "2887.6"):
        assert marker not in text
    distinctive = [line.strip() for line in hidden_source.splitlines() if len(line.strip()) > 25]
    assert not any(line in text for line in distinctive)
