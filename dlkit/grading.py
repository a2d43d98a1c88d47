"""Grade a submitted exercises notebook safely.

The pipeline, in order:

1. read the submission (never writing to it) and find its exercises;
2. load the teacher's hidden checks for those chapters (``hidden_checks/chNN.py``,
   outside the dlkit package) into the grader's memory;
3. copy the code into a fresh working folder and run it cell by cell in a
   :class:`~dlkit.sandbox.KernelSandbox` (separate, limited kernel), with a
   per-cell and a total time limit; a cell that hangs or kills its kernel costs
   its own exercise, the kernel is restarted and grading goes on;
4. right after each exercise's solution cell, export its answer from the kernel
   as data (:mod:`dlkit.answers`) and copy it out of the kernel's reach;
5. once the kernel is gone, run the hidden checks on that data in this process,
   which never ran student code, and build the report.

Points and the list of exercises come from the teacher's side (the public
registry and the hidden checks), never from the submission's metadata, so
editing the notebook cannot raise the maximum score or skip an exercise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.etree import ElementTree

import nbformat

from dlkit import exercises
from dlkit.answers import AnswerError, export_code, load_answer
from dlkit.release import answer_variable
from dlkit.sandbox import DEFAULT_MEMORY_MB, Execution, KernelSandbox

STATUSES = ("passed", "failed", "error", "timeout")
HIDDEN_ENV = "DLKIT_HIDDEN_CHECKS"


class GradingError(ValueError):
    """Bad input: not a notebook, no exercises, an unknown chapter or exercise id."""


@dataclass
class ExerciseResult:
    id: str
    score: float
    max_score: float
    status: str
    message: str


@dataclass
class Report:
    score: float
    max_score: float
    exercises: list[ExerciseResult]
    submission: str = ""
    seconds: float = 0.0
    isolation: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        return all(result.status == "passed" for result in self.exercises)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "exercises": [asdict(result) for result in self.exercises],
            "submission": self.submission,
            "seconds": round(self.seconds, 1),
            "isolation": self.isolation,
            "notes": self.notes,
        }

    def to_junit(self) -> str:
        suite = ElementTree.Element(
            "testsuite",
            name=f"dlkit-grade {self.submission}",
            tests=str(len(self.exercises)),
            failures=str(sum(r.status == "failed" for r in self.exercises)),
            errors=str(sum(r.status in ("error", "timeout") for r in self.exercises)),
            time=f"{self.seconds:.1f}",
        )
        properties = ElementTree.SubElement(suite, "properties")
        ElementTree.SubElement(properties, "property", name="score", value=f"{self.score:g}")
        ElementTree.SubElement(
            properties, "property", name="max_score", value=f"{self.max_score:g}"
        )
        for result in self.exercises:
            case = ElementTree.SubElement(
                suite,
                "testcase",
                classname=f"chapter{result.id.split('.')[0]}",
                name=f"exercise {result.id} ({result.score:g}/{result.max_score:g} points)",
            )
            if result.status == "failed":
                ElementTree.SubElement(case, "failure", message=result.message, type="failed")
            elif result.status in ("error", "timeout"):
                ElementTree.SubElement(case, "error", message=result.message, type=result.status)
        return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"

    def summary(self) -> str:
        lines = [
            f"{r.id:>6}  {r.status:<7} {r.score:g}/{r.max_score:g}  {r.message}"
            for r in self.exercises
        ]
        lines.append(f"score {self.score:g}/{self.max_score:g} in {self.seconds:.1f} s")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------


def default_checks_dir() -> Path:
    """``$DLKIT_HIDDEN_CHECKS`` or the ``hidden_checks/`` folder beside the dlkit package."""
    configured = os.environ.get(HIDDEN_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1] / "hidden_checks"


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, or raise :class:`GradingError` saying why not."""
    path = Path(path)
    if not path.exists():
        raise GradingError(f"{path}: no such file")
    if not path.is_file():
        raise GradingError(f"{path}: not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GradingError(f"{path}: cannot read it ({error.__class__.__name__})") from None
    if not text.strip():
        raise GradingError(f"{path}: the file is empty, not a notebook")
    try:
        json.loads(text)
    except ValueError:
        raise GradingError(f"{path}: not valid JSON, so not a notebook") from None
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except Exception:  # nbformat raises several kinds for a schema mismatch
        raise GradingError(f"{path}: not a valid notebook (nbformat 4 schema)") from None
    return notebook


def exercise_cells(notebook: nbformat.NotebookNode) -> dict[str, list[int]]:
    """Map exercise id -> indices of its code cells (solution and check cells)."""
    found: dict[str, list[int]] = {}
    for index, cell in enumerate(notebook.cells):
        meta = cell.get("metadata", {}).get("dlkit")
        if (
            cell.cell_type == "code"
            and isinstance(meta, dict)
            and isinstance(meta.get("exercise"), str)
        ):
            found.setdefault(meta["exercise"], []).append(index)
    return found


def load_hidden_checks(chapter: str, checks_dir: Path) -> ModuleType:
    """Import ``checks_dir/chNN.py`` by path (it is not an installed module)."""
    path = Path(checks_dir) / f"ch{chapter}.py"
    if not path.is_file():
        raise GradingError(f"unknown chapter {chapter}: no hidden checks at {path}")
    spec = importlib.util.spec_from_file_location(f"dlkit_hidden_ch{chapter}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "CHECKS", None), dict):
        raise GradingError(f"{path} defines no CHECKS dict")
    return module


# ---------------------------------------------------------------------------------------
# Running the submission
# ---------------------------------------------------------------------------------------


@dataclass
class _Run:
    """What the kernel phase learned about each exercise."""

    answers: dict[str, Any] = field(default_factory=dict)
    answer_errors: dict[str, str] = field(default_factory=dict)
    cell_errors: dict[str, str] = field(default_factory=dict)
    timeouts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _describe(execution: Execution) -> str:
    if execution.status == "memory":
        return f"the kernel was stopped: it {execution.evalue}"
    if execution.status == "died":
        return "the kernel died while running this exercise (os._exit, a crash or a segfault)"
    return f"{execution.ename}: {execution.evalue}".strip(": ")


class _Runner:
    def __init__(self, notebook, hidden, ids, workdir, private, options):
        self.notebook, self.hidden, self.ids = notebook, hidden, ids
        self.workdir, self.private, self.options = workdir, private, options
        self.run = _Run()
        self.completed: list[str] = []  # sources of cells that ran fine, for replays
        self.exported: set[str] = set()
        self.deadline = time.monotonic() + options["total_timeout"]

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _export(self, sandbox: KernelSandbox, exercise_id: str) -> None:
        if exercise_id in self.exported or exercise_id in self.run.timeouts:
            return
        self.exported.add(exercise_id)
        probes = getattr(self.hidden[exercise_id.split(".")[0]], "PROBES", {}).get(exercise_id)
        folder = self.workdir / ".answers" / exercise_id
        shutil.rmtree(folder, ignore_errors=True)
        code = export_code(answer_variable(exercise_id), str(folder), probes)
        limit = max(1.0, min(self.options["cell_timeout"], self.remaining()))
        result = sandbox.execute(code, limit)
        if result.status != "ok":
            self.run.answer_errors[exercise_id] = "exporting the answer failed: " + _describe(
                result
            )
            if result.status == "timeout":
                self.run.timeouts[exercise_id] = "exporting the answer timed out"
            if result.kernel_lost:
                self._recover(sandbox)
            return
        copy = self.private / exercise_id
        try:  # out of the kernel's reach before anything is decoded
            shutil.copytree(folder, copy, symlinks=True)
            self.run.answers[exercise_id] = load_answer(copy)
        except (OSError, AnswerError) as error:
            self.run.answer_errors[exercise_id] = str(error)

    def _recover(self, sandbox: KernelSandbox) -> bool:
        """Restart a lost kernel and replay the cells that had run fine."""
        try:
            sandbox.restart()
        except RuntimeError as error:
            self.run.notes.append(f"kernel could not be restarted: {error}")
            return False
        for source in self.completed:
            if self.remaining() <= 0:
                return False
            result = sandbox.execute(source, min(self.options["cell_timeout"], self.remaining()))
            if result.kernel_lost:
                self.run.notes.append("replaying earlier cells lost the kernel again")
                return False
        self.run.notes.append("the kernel was restarted after a crash or hang")
        return True

    def execute(self) -> _Run:
        options = self.options
        sandbox = KernelSandbox(
            self.workdir,
            python=options["python"],
            user=options["user"],
            memory_mb=options["memory_mb"],
        )
        self.isolation = sandbox.isolation
        try:
            sandbox.start()
        except RuntimeError as error:
            raise GradingError(f"could not start a grading kernel: {error}") from None
        try:
            self._execute_cells(sandbox)
        finally:
            sandbox.kill()
        return self.run

    def _execute_cells(self, sandbox: KernelSandbox) -> None:
        alive = True
        for cell in self.notebook.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.get("metadata", {}).get("dlkit")
            exercise_id = meta.get("exercise") if isinstance(meta, dict) else None
            if exercise_id not in self.ids:
                exercise_id = None
            is_solution = exercise_id is not None and meta.get("role") != "check"
            if self.remaining() <= 0:
                break
            if not alive:
                break
            if exercise_id is not None and exercise_id in self.run.timeouts:
                continue  # this exercise already timed out: don't spend more time on it
            limit = min(self.options["cell_timeout"], self.remaining())
            result = sandbox.execute(cell.source, limit)
            if result.status == "ok":
                self.completed.append(cell.source)
            elif result.status == "error":
                if exercise_id is not None and is_solution:
                    self.run.cell_errors.setdefault(exercise_id, _describe(result))
                else:  # a setup or check cell: the teacher should know, the score is unchanged
                    where = (
                        f"the check cell of {exercise_id}"
                        if exercise_id
                        else "a cell outside the exercises"
                    )
                    self.run.notes.append(f"{where} raised {_describe(result)}")
            else:  # timeout, died, memory
                if exercise_id is not None:
                    if result.status == "timeout":
                        self.run.timeouts[exercise_id] = (
                            f"a cell of this exercise ran past its {limit:.0f} s limit"
                        )
                    else:
                        self.run.cell_errors[exercise_id] = _describe(result)
                        self.exported.add(exercise_id)  # its answer died with the kernel
                else:
                    self.run.notes.append(
                        f"a cell outside the exercises failed: {_describe(result)}"
                    )
                if result.kernel_lost:
                    alive = self._recover(sandbox)
                    continue
            if exercise_id is not None and is_solution and alive:
                self._export(sandbox, exercise_id)
                alive = sandbox.alive() or self._recover(sandbox)
        if alive and self.remaining() > 0:
            for exercise_id in self.ids:  # answers whose cell lost its metadata
                if self.remaining() <= 0 or not sandbox.alive():
                    break
                self._export(sandbox, exercise_id)
        for exercise_id in self.ids:
            if exercise_id not in self.exported and exercise_id not in self.run.timeouts:
                self.run.timeouts[exercise_id] = (
                    f"the whole run passed its {self.options['total_timeout']:.0f} s limit"
                    if self.remaining() <= 0
                    else "the kernel could not be kept alive"
                )


def _verdict(exercise_id: str, hidden: ModuleType, run: _Run) -> tuple[str, str]:
    if exercise_id in run.timeouts:
        return "timeout", run.timeouts[exercise_id]
    if exercise_id not in run.answers:
        if exercise_id in run.cell_errors:
            return "error", f"your code raised {run.cell_errors[exercise_id]}"
        message = run.answer_errors.get(exercise_id, "no answer")
        return "failed", f"no gradable answer: {message}"
    try:
        passed, message = hidden.CHECKS[exercise_id](run.answers[exercise_id])
    except Exception as error:  # the hidden check's own code never reaches the report
        return "failed", f"the answer has the wrong form ({type(error).__name__})"
    return ("passed" if passed else "failed"), str(message)


def grade(
    submission: Path,
    *,
    checks_dir: Path | None = None,
    cell_timeout: float = 60.0,
    total_timeout: float = 600.0,
    memory_mb: int = DEFAULT_MEMORY_MB,
    python: str | None = None,
    user: str | None = None,
) -> Report:
    """Grade one submitted notebook and return the report.

    Args:
        submission: the student's ``.ipynb`` (read only, never modified).
        checks_dir: folder of hidden checks (default :func:`default_checks_dir`).
        cell_timeout: seconds one cell may run before it is stopped.
        total_timeout: seconds the whole submission may run.
        memory_mb: resident memory limit of the kernel.
        python: interpreter for the kernel (default: this one).
        user: run the kernel as this user (root only; default ``nobody`` as root).

    Raises:
        GradingError: the submission is not a readable notebook, holds no
            exercises, or names an unknown chapter or exercise.
    """
    for name, value in (("cell_timeout", cell_timeout), ("total_timeout", total_timeout)):
        if not isinstance(value, (int, float)) or value <= 0:
            raise GradingError(f"{name} must be a positive number of seconds, got {value!r}")
    started = time.monotonic()
    submission = Path(submission)
    notebook = read_submission(submission)
    found = exercise_cells(notebook)
    if not found:
        raise GradingError(
            f"{submission}: no exercises found (no cell has dlkit exercise metadata)"
        )
    checks_dir = Path(checks_dir) if checks_dir is not None else default_checks_dir()
    hidden: dict[str, ModuleType] = {}
    for exercise_id in sorted(found):
        match = exercises.ID_PATTERN.match(exercise_id)
        if not match:
            raise GradingError(f"{submission}: malformed exercise id {exercise_id!r}")
        chapter = match.group(1)
        if chapter not in hidden:
            hidden[chapter] = load_hidden_checks(chapter, checks_dir)
        if exercise_id not in hidden[chapter].CHECKS:
            raise GradingError(f"{submission}: unknown exercise id {exercise_id}")
    ids = sorted((i for module in hidden.values() for i in module.CHECKS), key=exercises._sort_key)
    points = {}
    for exercise_id in ids:
        try:
            points[exercise_id] = float(exercises.get(exercise_id).points)
        except ValueError as error:
            raise GradingError(f"hidden check without a public exercise: {error}") from None

    base = Path(tempfile.mkdtemp(prefix="dlkit-grade-"))
    private = Path(tempfile.mkdtemp(prefix="dlkit-answers-"))  # 0700: the kernel can't reach it
    try:
        base.chmod(0o711)  # let an unprivileged kernel user reach its own folder inside
        runner = _Runner(
            notebook,
            hidden,
            ids,
            base / "work",
            private,
            {
                "cell_timeout": float(cell_timeout),
                "total_timeout": float(total_timeout),
                "memory_mb": memory_mb,
                "python": python,
                "user": user,
            },
        )
        run = runner.execute()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    try:
        results = []
        for exercise_id in ids:
            status, message = _verdict(exercise_id, hidden[exercise_id.split(".")[0]], run)
            earned = points[exercise_id] if status == "passed" else 0.0
            results.append(
                ExerciseResult(exercise_id, earned, points[exercise_id], status, message)
            )
    finally:
        shutil.rmtree(private, ignore_errors=True)
    return Report(
        score=sum(r.score for r in results),
        max_score=sum(r.max_score for r in results),
        exercises=results,
        submission=submission.name,
        seconds=time.monotonic() - started,
        isolation=runner.isolation,
        notes=run.notes,
    )


def write_report(
    report: Report, json_path: Path | None = None, junit_path: Path | None = None
) -> None:
    """Write the JSON and/or JUnit report atomically (replacing whatever was there)."""
    outputs = []
    if json_path is not None:
        outputs.append((Path(json_path), json.dumps(report.to_dict(), indent=2) + "\n"))
    if junit_path is not None:
        outputs.append((Path(junit_path), report.to_junit()))
    for path, text in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        temporary.write_text(text)
        os.replace(temporary, path)
