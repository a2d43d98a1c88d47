"""Every chapter's exercises: public checks, hidden checks and the solution notebook agree.

The tests below run for every chapter ``NN`` that has both ``hidden_checks/chNN.py`` and
``notebooks/NN_*_exercises.ipynb``; a new chapter gets them by adding those files. Tests that
only make sense for one chapter live in ``tests/test_exercises_chNN.py``.

What a chapter must provide for these tests to pass:

- ``dlkit/checks/chNN.py`` registers exercises ``NN.1`` ... ``NN.k`` (no gaps, k >= 8), each
  worth 1 to 5 points, with a non-empty ``produce`` and ``hint``. It holds no reference value:
  only fingerprints (16 hex digits). Shapes such as ``(2, 2)`` may appear in ``produce`` texts.
- ``hidden_checks/chNN.py`` defines, keyed by exactly those ids:

  - ``CHECKS``: id -> ``check(answer) -> (passed, message)``. It never raises (a malformed
    answer, such as a string, a lambda of the wrong arity or one returning ``None``, is a
    failed result with a non-empty message); the message of a failed answer says "not right"
    or "wrong" and never states a reference value.
  - ``REFERENCE``: id -> the reference answer as plain data (numbers, NumPy arrays, tuples of
    ints for shapes, strings, dicts of these, a Keras model) or, for a function answer, a
    reference function.
  - ``WRONG``: id -> one typical wrong answer; both the public and the hidden check fail it.
  - ``PROBES`` (when there are function answers): id -> the argument tuples the hidden check
    calls a function answer with; none of them is among the public check's inputs.
  - ``WRONG_SOURCE`` (when a wrong answer is a function): id -> source a student could type
    that defines ``answer_NN_k`` (``np``, ``tf`` and ``keras`` are in scope) as that wrong
    function.

  The reference passes both checks also as lists, NumPy arrays or tensors, after the grader's
  export (``dlkit.answers``), with every number scaled by 1 ± 1e-9; no number lies within 1e-6
  of a rounding boundary of its public fingerprint. A function that is right only on the public
  inputs fails the hidden check.
- ``notebooks/NN_topic_exercises.ipynb`` (one per chapter), stored executed, with kernelspec
  ``dlkit`` and no machine paths (``/work``, ``/root``, ``/tmp``, ``/home``). Per exercise, in
  order of the registry:

  - one solution cell tagged ``solution`` with metadata ``{"dlkit": {"exercise": "NN.k",
    "points": <points>, "answer": "answer_NN_k"}}`` and a line ``answer_NN_k = ...`` between
    ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
  - one check cell with metadata ``{"dlkit": {"exercise": "NN.k", "role": "check"}}``, tagged
    ``nbval-check-output``, whose source is exactly ``check("NN.k", answer_NN_k)`` and whose
    stored output starts with ``[NN.k] passed``;

  and exactly one cell tagged ``solution-only`` that runs every check and ends with
  ``assert all(results.values())``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import keras
import nbformat
import numpy as np
import pytest
import tensorflow as tf

from dlkit import exercises
from dlkit.answers import export_code, load_answer
from dlkit.exercises import canonical_shape, check
from dlkit.release import answer_variable

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = sorted(
    {
        path.name[:2]
        for path in NOTEBOOKS.glob("[0-9][0-9]_*_exercises.ipynb")
        if (ROOT / "hidden_checks" / f"ch{path.name[:2]}.py").is_file()
    }
)
HIDDEN: dict[str, ModuleType] = {
    chapter: importlib.import_module(f"hidden_checks.ch{chapter}") for chapter in CHAPTERS
}
CHAPTER_IDS = {
    chapter: [exercise.id for exercise in exercises.chapter_exercises(chapter)]
    for chapter in CHAPTERS
}
IDS = [exercise_id for chapter in CHAPTERS for exercise_id in CHAPTER_IDS[chapter]]


def _hidden(exercise_id: str) -> ModuleType:
    return HIDDEN[exercise_id.split(".")[0]]


def _reference(exercise_id: str) -> Any:
    return _hidden(exercise_id).REFERENCE[exercise_id]


def _wrong(exercise_id: str) -> Any:
    return _hidden(exercise_id).WRONG[exercise_id]


def _hidden_check(exercise_id: str, answer: Any) -> tuple[bool, str]:
    return _hidden(exercise_id).CHECKS[exercise_id](answer)


def _public(exercise_id: str, answer: Any) -> tuple[bool, str]:
    return exercises.get(exercise_id).check(answer)


def _probes(exercise_id: str) -> list[tuple] | None:
    return getattr(_hidden(exercise_id), "PROBES", {}).get(exercise_id)


# ---------------------------------------------------------------------------
# Helpers: walk an answer and change its numbers. Shared with the chapter files.
# ---------------------------------------------------------------------------


def is_shape(value: Any) -> bool:
    """A tuple of ints (how references write shapes) or a ``tf.TensorShape``."""
    if isinstance(value, tf.TensorShape):
        return True
    return isinstance(value, tuple) and all(isinstance(v, int) for v in value)


def is_function_answer(value: Any) -> bool:
    """A function answer: callable, but not a Keras model (models travel as ``.keras`` files)."""
    return callable(value) and not isinstance(value, keras.Model)


def _numbers(value: Any) -> np.ndarray | None:
    """``value`` as a float64 array if it is plain numbers (number, list, array, tensor)."""
    if isinstance(value, str | bytes | dict) or is_shape(value) or callable(value):
        return None
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged lists, objects that refuse conversion
        return None
    if array.dtype.kind not in "iuf":  # strings, booleans, objects (None, models ...)
        return None
    return array.astype(np.float64)


def _map_numbers(value: Any, change: Callable[[np.ndarray], Any]) -> Any:
    """Apply ``change`` to every numeric leaf (and to the outputs of function answers).

    Shapes, strings, Keras models and other objects that are not numbers stay as they are;
    dicts, lists and tuples keep their structure.
    """
    if isinstance(value, dict):
        return {key: _map_numbers(item, change) for key, item in value.items()}
    if is_shape(value):
        return value
    if is_function_answer(value):
        return lambda *args: _map_numbers(value(*args), change)
    numbers = _numbers(value)
    if numbers is not None:
        return change(numbers)
    if isinstance(value, list | tuple):
        items = [_map_numbers(item, change) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


def numeric_leaves(value: Any) -> list[float]:
    """Every number in an answer (not in shapes, strings, models or function answers)."""
    if isinstance(value, dict):
        return [x for item in value.values() for x in numeric_leaves(item)]
    if is_shape(value) or callable(value):
        return []
    numbers = _numbers(value)
    if numbers is not None:
        return [float(x) for x in np.ravel(numbers)]
    if isinstance(value, list | tuple):
        return [x for item in value for x in numeric_leaves(item)]
    return []


def shape_leaves(value: Any) -> list[tuple[int, ...]]:
    """Every shape (tuple of ints) in an answer."""
    if isinstance(value, dict):
        return [s for item in value.values() for s in shape_leaves(item)]
    if is_shape(value):
        return [tuple(value)]
    if isinstance(value, list | tuple) and _numbers(value) is None:
        return [s for item in value for s in shape_leaves(item)]
    return []


def _as_student_would(value: Any) -> Any:
    """Tensors, TensorShapes and tuples of tensors, as the solution notebook produces them."""
    if isinstance(value, dict):
        return {key: _as_student_would(item) for key, item in value.items()}
    if is_shape(value):
        return tf.TensorShape(value)
    if is_function_answer(value):

        def function(*args: Any) -> Any:
            output = value(*args)
            if _numbers(output) is not None:
                return tuple(tf.constant(x) for x in np.atleast_1d(output))
            return _as_student_would(output)

        return function
    if _numbers(value) is not None:
        return tf.constant(value)
    if isinstance(value, list | tuple):
        items = [_as_student_would(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value  # strings, Keras models, other objects


def _same_args(a: Any, b: Any) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b)
    )


def _export_and_load(exercise_id: str, value: Any, folder: Path) -> Any:
    """Send an answer through the grader's export (as in the student's kernel) and back."""
    variable = answer_variable(exercise_id)
    namespace = {variable: value}
    exec(export_code(variable, str(folder), _probes(exercise_id)), namespace)
    return load_answer(folder)


# ---------------------------------------------------------------------------
# The registry and the hidden checks describe the same exercises.
# ---------------------------------------------------------------------------


def test_there_are_chapters_with_exercises():
    assert "01" in CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_registry_and_hidden_checks_describe_the_same_exercises(chapter):
    hidden, ids = HIDDEN[chapter], CHAPTER_IDS[chapter]
    assert len(ids) >= 8
    assert ids == [f"{chapter}.{k}" for k in range(1, len(ids) + 1)]
    assert set(ids) == set(hidden.CHECKS) == set(hidden.REFERENCE) == set(hidden.WRONG)
    assert all(callable(hidden.CHECKS[exercise_id]) for exercise_id in ids)
    for exercise in exercises.chapter_exercises(chapter):
        assert 1 <= exercise.points <= 5, exercise.id
        assert exercise.produce and exercise.hint, exercise.id
    probes = getattr(hidden, "PROBES", {})
    wrong_source = getattr(hidden, "WRONG_SOURCE", {})
    assert set(probes) <= set(ids) and set(wrong_source) <= set(ids)
    for exercise_id in ids:
        reference, wrong = hidden.REFERENCE[exercise_id], hidden.WRONG[exercise_id]
        if is_function_answer(reference) or is_function_answer(wrong):
            assert probes.get(exercise_id), f"{exercise_id} needs PROBES"
        if is_function_answer(wrong):
            assert answer_variable(exercise_id) in wrong_source.get(exercise_id, ""), (
                f"{exercise_id} needs a WRONG_SOURCE that defines {answer_variable(exercise_id)}"
            )


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes_public_and_hidden_check(exercise_id):
    reference = _reference(exercise_id)
    passed, message = _public(exercise_id, reference)
    assert passed, message
    passed, message = _hidden_check(exercise_id, reference)
    assert passed, message


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answer_fails_public_and_hidden_check(exercise_id):
    wrong = _wrong(exercise_id)
    assert not _public(exercise_id, wrong)[0]
    passed, message = _hidden_check(exercise_id, wrong)
    assert not passed
    assert "not right" in message or "wrong" in message


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("relative", [1e-9, -1e-9])
def test_public_fingerprint_survives_tiny_relative_error(exercise_id, relative):
    perturbed = _map_numbers(_reference(exercise_id), lambda x: x * (1.0 + relative))
    assert _public(exercise_id, perturbed)[0]
    assert _hidden_check(exercise_id, perturbed)[0]


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("shift", [1e-6, -1e-6])
def test_no_reference_value_within_1e_6_of_a_rounding_boundary(exercise_id, shift):
    # A value closer than 1e-6 to a rounding boundary of its fingerprint would change
    # fingerprint under this shift.
    shifted = _map_numbers(_reference(exercise_id), lambda x: x + shift)
    assert _public(exercise_id, shifted)[0]


@pytest.mark.parametrize("exercise_id", IDS)
def test_answers_as_lists_arrays_or_tensors_are_accepted(exercise_id):
    reference = _reference(exercise_id)
    for convert in (lambda x: x.tolist(), lambda x: x, tf.constant):
        answer = _map_numbers(reference, convert)
        assert _public(exercise_id, answer)[0]
        assert _hidden_check(exercise_id, answer)[0]


@pytest.mark.parametrize("exercise_id", [i for i in IDS if is_function_answer(_reference(i))])
def test_function_answers_are_checked_on_other_inputs_than_the_public_ones(exercise_id):
    public_check = exercises.get(exercise_id).check
    nonlocals = inspect.getclosurevars(public_check).nonlocals
    assert "inputs" in nonlocals, "a function's public check must call it on fixed inputs"
    public_inputs = nonlocals["inputs"]
    probes = _probes(exercise_id)
    assert not any(_same_args(p, q) for p in public_inputs for q in probes)
    # A function right on the public inputs only is caught by the hidden check.
    reference = _reference(exercise_id)
    table = [(tuple(args), reference(*args)) for args in public_inputs]

    def right_on_public_inputs_only(*args: Any) -> Any:
        for known, output in table:
            if _same_args(known, args):
                return output
        return 0.0

    def only_public_inputs(*args: Any) -> Any:
        for known, output in table:
            if _same_args(known, args):
                return output
        raise KeyError(args)

    assert _public(exercise_id, only_public_inputs)[0]
    assert not _hidden_check(exercise_id, right_on_public_inputs_only)[0]


@pytest.mark.parametrize("exercise_id", [i for i in IDS if is_function_answer(_wrong(i))])
def test_wrong_source_defines_a_function_both_checks_reject(exercise_id, tmp_path):
    variable = answer_variable(exercise_id)
    namespace: dict[str, Any] = {"np": np, "tf": tf, "keras": keras}
    exec(_hidden(exercise_id).WRONG_SOURCE[exercise_id], namespace)
    function = namespace.get(variable)
    assert is_function_answer(function), f"WRONG_SOURCE does not define {variable}"
    assert not _public(exercise_id, function)[0]
    passed, message = _hidden_check(exercise_id, function)
    assert not passed
    assert "not right" in message or "wrong" in message
    assert not _hidden_check(exercise_id, _export_and_load(exercise_id, function, tmp_path))[0]


@pytest.mark.parametrize("exercise_id", IDS)
def test_answers_survive_the_graders_export(exercise_id, tmp_path):
    reference = _reference(exercise_id)
    for index, value in enumerate([reference, _as_student_would(reference)]):
        loaded = _export_and_load(exercise_id, value, tmp_path / f"ok{index}")
        passed, message = _hidden_check(exercise_id, loaded)
        assert passed, message
    loaded = _export_and_load(exercise_id, _wrong(exercise_id), tmp_path / "wrong")
    assert not _hidden_check(exercise_id, loaded)[0]


# ---------------------------------------------------------------------------
# check(): verdicts, errors and malformed answers.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_check_prints_verdict_and_returns_bool(chapter, capsys):
    first = exercises.chapter_exercises(chapter)[0]
    exercise_id = first.id
    points = "1 point" if first.points == 1 else f"{first.points:g} points"
    assert check(exercise_id, _reference(exercise_id)) is True
    assert f"[{exercise_id}] passed ({points})" in capsys.readouterr().out
    assert check(exercise_id, _wrong(exercise_id)) is False
    out = capsys.readouterr().out
    assert f"[{exercise_id}] not yet ({points})" in out and "Hint:" in out
    assert check(exercise_id, ...) is False
    assert f"[{exercise_id}] not answered yet ({points})" in capsys.readouterr().out


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_unknown_exercise_names_the_known_ids(chapter):
    ids = CHAPTER_IDS[chapter]
    with pytest.raises(ValueError, match=re.escape(", ".join(ids))):
        check(f"{chapter}.{len(ids) + 1}", 1)


MALFORMED = [
    "one hundred",
    [1, "x"],
    {"wrong key": 1},
    object(),
    lambda: 1,  # wrong arity for the function exercises, not a number for the others
    lambda *args: None,  # e.g. a gradient of None
    lambda *args: "text",
]


@pytest.mark.parametrize("exercise_id", IDS)
def test_malformed_answers_give_feedback_not_exceptions(exercise_id, capsys):
    for answer in MALFORMED:
        assert check(exercise_id, answer) is False
        assert f"[{exercise_id}] not yet" in capsys.readouterr().out
        passed, message = _hidden_check(exercise_id, answer)
        assert passed is False and isinstance(message, str) and message


# ---------------------------------------------------------------------------
# No reference value in the public module or in any message.
# ---------------------------------------------------------------------------


def _revealing_strings(reference: Any) -> set[str]:
    """Text forms of a reference answer that a message or the public source must not hold."""
    found = {canonical_shape(shape) for shape in shape_leaves(reference)}
    for x in numeric_leaves(reference):
        if not np.isfinite(x):
            continue
        if x != round(x):
            found |= {f"{x:.2f}", f"{x:.3f}"}
        elif abs(x) >= 100:
            found.add(str(int(x)))
    return found


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_public_module_contains_no_reference_values(chapter):
    source = (ROOT / "dlkit" / "checks" / f"ch{chapter}.py").read_text()
    without_digests = re.sub(r'"[0-9a-f]{16}"', '""', source)
    for exercise_id in CHAPTER_IDS[chapter]:
        for text in _revealing_strings(_reference(exercise_id)):
            if text.startswith("("):
                continue  # shapes such as (2, 2) appear in the "produce" texts on purpose
            assert text not in without_digests, (exercise_id, text)


@pytest.mark.parametrize("exercise_id", IDS)
def test_messages_do_not_reveal_the_reference(exercise_id):
    wrong = _wrong(exercise_id)
    messages = [_public(exercise_id, wrong)[1], _hidden_check(exercise_id, wrong)[1]]
    for text in _revealing_strings(_reference(exercise_id)):
        for message in messages:
            assert text not in message, (text, message)


# ---------------------------------------------------------------------------
# The exercises notebook: metadata and stored verdicts.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_exercises_notebook_matches_the_registry(chapter):
    (path,) = NOTEBOOKS.glob(f"{chapter}_*_exercises.ipynb")
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata.kernelspec == {
        "name": "dlkit",
        "display_name": "Python (dlkit)",
        "language": "python",
    }
    assert not re.search(r"/(work|root|tmp|home)/", json.dumps(nbformat.writes(notebook)))
    graded = []  # (exercise id, "solution" or "check", cell), in notebook order
    for cell in notebook.cells:
        if "solution" in cell.metadata.get("tags", []):
            graded.append((cell.metadata["dlkit"]["exercise"], "solution", cell))
        elif cell.metadata.get("dlkit", {}).get("role") == "check":
            graded.append((cell.metadata["dlkit"]["exercise"], "check", cell))
    # One solution cell, then its check cell, per exercise, in the order of the registry.
    expected = [(i, role) for i in CHAPTER_IDS[chapter] for role in ("solution", "check")]
    assert [(exercise_id, role) for exercise_id, role, _ in graded] == expected
    solutions = {i: cell for i, role, cell in graded if role == "solution"}
    checks = {i: cell for i, role, cell in graded if role == "check"}
    for exercise in exercises.chapter_exercises(chapter):
        answer = answer_variable(exercise.id)
        solution = solutions[exercise.id]
        assert solution.metadata["dlkit"] == {
            "exercise": exercise.id,
            "points": exercise.points,
            "answer": answer,
        }
        lines = solution.source.splitlines()
        begin, end = lines.index("### BEGIN SOLUTION"), lines.index("### END SOLUTION")
        assert begin < end and any(line.startswith(f"{answer} = ") for line in lines[begin:end])
        check_cell = checks[exercise.id]
        assert check_cell.metadata["dlkit"] == {"exercise": exercise.id, "role": "check"}
        assert check_cell.source == f'check("{exercise.id}", {answer})'
        assert "nbval-check-output" in check_cell.metadata["tags"]
        printed = "".join(out.get("text", "") for out in check_cell.outputs)
        assert printed.startswith(f"[{exercise.id}] passed"), printed
    final = [c for c in notebook.cells if "solution-only" in c.metadata.get("tags", [])]
    assert len(final) == 1 and "assert all(results.values())" in final[0].source
