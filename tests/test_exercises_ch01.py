"""Chapter 01 exercises: public checks, hidden checks and the solution notebook agree.

For every registered exercise 01.x: the hidden reference passes both checks, the
typical wrong answer fails both, the public fingerprints survive tiny
perturbations (no reference value sits within 1e-6 of a rounding boundary),
malformed answers give feedback instead of exceptions, and neither the public
module nor any message reveals a reference value.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
import tensorflow as tf

from dlkit import exercises
from dlkit.answers import export_code, load_answer
from dlkit.exercises import canonical_shape, check, expect_shape, text_fingerprint
from dlkit.release import answer_variable
from hidden_checks import ch01 as hidden

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_SOURCE = ROOT / "dlkit" / "checks" / "ch01.py"
NOTEBOOK = ROOT / "notebooks" / "01_tensors_exercises.ipynb"
IDS = [exercise.id for exercise in exercises.chapter_exercises("01")]


# ---------------------------------------------------------------------------
# Helpers: walk a reference answer and change its numbers.
# ---------------------------------------------------------------------------


def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, int) for v in value)


def _map_numbers(value: Any, change: Callable[[np.ndarray], Any]) -> Any:
    """Apply ``change`` to every numeric leaf; shapes, strings and structure stay as they are."""
    if isinstance(value, dict):
        return {key: _map_numbers(item, change) for key, item in value.items()}
    if isinstance(value, str) or _is_shape(value):
        return value
    if callable(value):
        return lambda *args: _map_numbers(value(*args), change)
    return change(np.asarray(value, dtype=np.float64))


def _numeric_leaves(value: Any) -> list[float]:
    if isinstance(value, dict):
        return [x for item in value.values() for x in _numeric_leaves(item)]
    if isinstance(value, str) or _is_shape(value) or callable(value):
        return []
    return [float(x) for x in np.ravel(np.asarray(value, dtype=np.float64))]


def _shape_leaves(value: Any) -> list[tuple[int, ...]]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _shape_leaves(item)]
    return [value] if _is_shape(value) else []


def _public(exercise_id: str, answer: Any) -> tuple[bool, str]:
    return exercises.get(exercise_id).check(answer)


# ---------------------------------------------------------------------------
# The registry and the hidden checks describe the same exercises.
# ---------------------------------------------------------------------------


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 12
    numbered = [f"01.{k}" for k in range(1, len(IDS) + 1)]
    assert numbered == IDS
    assert set(IDS) == set(hidden.CHECKS) == set(hidden.REFERENCE) == set(hidden.WRONG)
    kinds = {
        "function": [i for i in IDS if callable(hidden.REFERENCE[i])],
        "choice": [i for i in IDS if isinstance(hidden.REFERENCE[i], str)],
        "shape": [i for i in IDS if _shape_leaves(hidden.REFERENCE[i])],
        "numeric": [i for i in IDS if _numeric_leaves(hidden.REFERENCE[i])],
    }
    assert all(kinds.values()), kinds
    assert "error" in hidden.REFERENCE["01.14"].values()  # a broadcast that fails
    for exercise in exercises.chapter_exercises("01"):
        assert 1 <= exercise.points <= 3, exercise.id
        assert exercise.produce and exercise.hint, exercise.id


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_passes_public_and_hidden_check(exercise_id):
    reference = hidden.REFERENCE[exercise_id]
    passed, message = _public(exercise_id, reference)
    assert passed, message
    passed, message = hidden.CHECKS[exercise_id](reference)
    assert passed, message


@pytest.mark.parametrize("exercise_id", IDS)
def test_wrong_answer_fails_public_and_hidden_check(exercise_id):
    wrong = hidden.WRONG[exercise_id]
    assert not _public(exercise_id, wrong)[0]
    passed, message = hidden.CHECKS[exercise_id](wrong)
    assert not passed
    assert "not right" in message or "wrong" in message


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("relative", [1e-9, -1e-9])
def test_public_fingerprint_survives_tiny_relative_error(exercise_id, relative):
    perturbed = _map_numbers(hidden.REFERENCE[exercise_id], lambda x: x * (1.0 + relative))
    assert _public(exercise_id, perturbed)[0]
    assert hidden.CHECKS[exercise_id](perturbed)[0]


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("shift", [1e-6, -1e-6])
def test_no_reference_value_within_1e_6_of_a_rounding_boundary(exercise_id, shift):
    # A value closer than 1e-6 to a rounding boundary of its fingerprint would change
    # fingerprint under this shift (all fingerprints use at most 3 decimals).
    shifted = _map_numbers(hidden.REFERENCE[exercise_id], lambda x: x + shift)
    assert _public(exercise_id, shifted)[0]


@pytest.mark.parametrize("exercise_id", IDS)
def test_answers_as_lists_arrays_or_tensors_are_accepted(exercise_id):
    reference = hidden.REFERENCE[exercise_id]
    for convert in (lambda x: x.tolist(), lambda x: x, tf.constant):
        answer = _map_numbers(reference, convert)
        assert _public(exercise_id, answer)[0]
        assert hidden.CHECKS[exercise_id](answer)[0]


@pytest.mark.parametrize("exercise_id", ["01.12", "01.16"])
def test_function_answers_are_checked_on_other_inputs_than_the_public_ones(exercise_id):
    public_inputs = inspect.getclosurevars(exercises.get(exercise_id).check).nonlocals["inputs"]
    probes = hidden.PROBES[exercise_id]
    assert not set(map(tuple, public_inputs)) & set(map(tuple, probes))
    # A function right on the public inputs only is caught by the hidden check.
    reference = hidden.REFERENCE[exercise_id]
    lookup = {tuple(args): reference(*args) for args in public_inputs}
    assert _public(exercise_id, lambda *args: lookup[args])[0]
    assert not hidden.CHECKS[exercise_id](lambda *args: lookup.get(args, 0.0))[0]


def _export_and_load(exercise_id: str, value: Any, folder: Path) -> Any:
    """Send an answer through the grader's export (as in the student's kernel) and back."""
    variable = answer_variable(exercise_id)
    namespace = {variable: value}
    exec(export_code(variable, str(folder), hidden.PROBES.get(exercise_id)), namespace)
    return load_answer(folder)


def _as_student_would(value: Any) -> Any:
    """Tensors, TensorShapes and tuples of tensors, as the solution notebook produces them."""
    if isinstance(value, dict):
        return {key: _as_student_would(item) for key, item in value.items()}
    if isinstance(value, str):
        return value
    if _is_shape(value):
        return tf.TensorShape(value)
    if callable(value):
        return lambda *args: tuple(tf.constant(x) for x in np.atleast_1d(value(*args)))
    return tf.constant(value)


@pytest.mark.parametrize("exercise_id", IDS)
def test_answers_survive_the_graders_export(exercise_id, tmp_path):
    reference = hidden.REFERENCE[exercise_id]
    for index, value in enumerate([reference, _as_student_would(reference)]):
        loaded = _export_and_load(exercise_id, value, tmp_path / f"ok{index}")
        passed, message = hidden.CHECKS[exercise_id](loaded)
        assert passed, message
    loaded = _export_and_load(exercise_id, hidden.WRONG[exercise_id], tmp_path / "wrong")
    assert not hidden.CHECKS[exercise_id](loaded)[0]


# ---------------------------------------------------------------------------
# check(): verdicts, errors and malformed answers.
# ---------------------------------------------------------------------------


def test_check_prints_verdict_and_returns_bool(capsys):
    assert check("01.3", hidden.REFERENCE["01.3"]) is True
    assert "[01.3] passed (1 point)" in capsys.readouterr().out
    assert check("01.3", hidden.WRONG["01.3"]) is False
    out = capsys.readouterr().out
    assert "[01.3] not yet (1 point)" in out and "Hint:" in out
    assert check("01.7", ...) is False
    assert "not answered yet (3 points)" in capsys.readouterr().out


def test_unknown_exercise_names_the_known_ids():
    with pytest.raises(ValueError, match=re.escape(", ".join(IDS))):
        check("01.99", 1)


def test_malformed_exercise_id_raises():
    with pytest.raises(ValueError, match="01.3"):
        check("1.3", 168)


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
        passed, message = hidden.CHECKS[exercise_id](answer)
        assert passed is False and isinstance(message, str) and message


def test_dict_answer_with_a_malformed_part_names_that_part(capsys):
    answer = dict(hidden.REFERENCE["01.1"], abt="not an array")
    assert check("01.1", answer) is False
    assert "'abt'" in capsys.readouterr().out
    assert "'abt'" in hidden.CHECKS["01.1"](answer)[1]


# ---------------------------------------------------------------------------
# No reference value in the public module or in any message.
# ---------------------------------------------------------------------------


def _revealing_strings(reference: Any) -> set[str]:
    """Text forms of a reference answer that a message or the public source must not hold."""
    found = {canonical_shape(shape) for shape in _shape_leaves(reference)}
    for x in _numeric_leaves(reference):
        if not np.isfinite(x):
            continue
        if x != round(x):
            found |= {f"{x:.2f}", f"{x:.3f}"}
        elif abs(x) >= 100:
            found.add(str(int(x)))
    return found


def test_public_module_contains_no_reference_values():
    source = PUBLIC_SOURCE.read_text()
    without_digests = re.sub(r'"[0-9a-f]{16}"', '""', source)
    for distinctive in ("2887.6", "16777216", "23.66", "4.864", "0.0896", "0.728", "[[50"):
        assert distinctive not in source
    for exercise_id in IDS:
        for text in _revealing_strings(hidden.REFERENCE[exercise_id]):
            if text.startswith("("):
                continue  # shapes such as (2, 2) appear in the "produce" texts on purpose
            assert text not in without_digests, (exercise_id, text)
    assert "16777216" not in (ROOT / "dlkit" / "exercises.py").read_text()


@pytest.mark.parametrize("exercise_id", IDS)
def test_messages_do_not_reveal_the_reference(exercise_id):
    reference, wrong = hidden.REFERENCE[exercise_id], hidden.WRONG[exercise_id]
    messages = [_public(exercise_id, wrong)[1], hidden.CHECKS[exercise_id](wrong)[1]]
    for text in _revealing_strings(reference):
        for message in messages:
            assert text not in message, (text, message)


# ---------------------------------------------------------------------------
# The shape building block added for this chapter.
# ---------------------------------------------------------------------------


def test_canonical_shape_accepts_shape_like_answers():
    assert canonical_shape((8, 7, 6, 5)) == "(8, 7, 6, 5)"
    assert canonical_shape([3, np.int64(1)]) == "(3, 1)"
    assert canonical_shape(tf.zeros((3, 4, 2)).shape) == "(3, 4, 2)"
    assert canonical_shape(np.zeros(3).shape) == "(3,)"
    assert canonical_shape(np.array([3, 1])) == "(3, 1)"  # a shape exported as an array
    assert canonical_shape(" Error ", allow_error=True) == "error"


@pytest.mark.parametrize(
    "bad",
    ["error", (3.0, 4), (True, 2), (-1, 2), 3, None, np.array([3.0, 1.0]), np.eye(2, dtype=int)],
)
def test_canonical_shape_rejects_other_answers(bad):
    with pytest.raises(TypeError, match="expected|entry"):
        canonical_shape(bad)


def test_expect_shape_compares_fingerprints():
    run = expect_shape(text_fingerprint("(3, 1)"))
    assert run((3, 1)) == (True, "correct")
    assert run([1, 3])[0] is False and "(1, 3)" in run([1, 3])[1]
    either = expect_shape(text_fingerprint("error"), allow_error=True)
    assert either("ERROR")[0] and not either((3, 4))[0]


# ---------------------------------------------------------------------------
# The exercises notebook: metadata and stored verdicts.
# ---------------------------------------------------------------------------


def test_exercises_notebook_matches_the_registry():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.metadata.kernelspec == {
        "name": "dlkit",
        "display_name": "Python (dlkit)",
        "language": "python",
    }
    assert not re.search(r"/(work|root|tmp|home)/", json.dumps(nbformat.writes(notebook)))
    solutions = {
        cell.metadata["dlkit"]["exercise"]: cell
        for cell in notebook.cells
        if "solution" in cell.metadata.get("tags", [])
    }
    checks = {
        cell.metadata["dlkit"]["exercise"]: cell
        for cell in notebook.cells
        if cell.metadata.get("dlkit", {}).get("role") == "check"
    }
    assert sorted(solutions) == sorted(checks) == sorted(IDS)
    for exercise in exercises.chapter_exercises("01"):
        answer = "answer_" + exercise.id.replace(".", "_")
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
        assert check_cell.source == f'check("{exercise.id}", {answer})'
        assert "nbval-check-output" in check_cell.metadata["tags"]
        printed = "".join(out.get("text", "") for out in check_cell.outputs)
        assert printed.startswith(f"[{exercise.id}] passed"), printed
    final = [c for c in notebook.cells if "solution-only" in c.metadata.get("tags", [])]
    assert len(final) == 1 and "assert all(results.values())" in final[0].source
