"""Exercises: the public self-checks a student runs inside JupyterLab.

Every graded exercise has an id such as ``"01.3"`` (chapter 01, exercise 3), a
number of points and a *public* check. :func:`check` runs that check on the
student's answer and prints a friendly verdict with a hint. It never prints
the solution, and the package does not contain it either: numeric answers are
compared through a *fingerprint* (a hash of the values rounded to a stated
number of decimals), so reading this package's source does not reveal them.
The teacher's *hidden* checks, which compare exact values, live outside the
package (``hidden_checks/``) and are used only by the grader.

Example:
    >>> check("01.3", answer_01_3)  # doctest: +SKIP
    [01.3] passed (1 point): correct.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

ID_PATTERN = re.compile(r"^(\d{2})\.(\d+)$")

#: A check takes the answer and returns ``(passed, message)``.
CheckFn = Callable[[Any], tuple[bool, str]]


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: its id, points, what to produce and its public check."""

    id: str
    points: float
    produce: str
    check: CheckFn
    hint: str = ""


_REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (used by the ``dlkit.checks.chNN`` modules)."""
    if not ID_PATTERN.match(exercise.id):
        raise ValueError(f"exercise id must look like '01.3', got {exercise.id!r}")
    if exercise.points <= 0:
        raise ValueError(f"exercise {exercise.id} must be worth > 0 points, got {exercise.points}")
    _REGISTRY[exercise.id] = exercise
    return exercise


def _load_chapter(chapter: str) -> None:
    try:
        importlib.import_module(f"dlkit.checks.ch{chapter}")
    except ModuleNotFoundError as error:
        if error.name != f"dlkit.checks.ch{chapter}":
            raise


def get(exercise_id: str) -> Exercise:
    """Return the registered exercise with this id.

    Raises:
        TypeError: ``exercise_id`` is not a string.
        ValueError: it is malformed or names no exercise.
    """
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a string like '01.3', got {exercise_id!r}")
    match = ID_PATTERN.match(exercise_id)
    if not match:
        raise ValueError(f"exercise_id must look like '01.3' (chapter.number), got {exercise_id!r}")
    _load_chapter(match.group(1))
    if exercise_id not in _REGISTRY:
        known = [key for key in _REGISTRY if key.startswith(match.group(1) + ".")]
        raise ValueError(
            f"unknown exercise {exercise_id!r}; chapter {match.group(1)} has "
            + (", ".join(sorted(known, key=_sort_key)) if known else "no exercises")
        )
    return _REGISTRY[exercise_id]


def _sort_key(exercise_id: str) -> tuple[int, int]:
    chapter, number = exercise_id.split(".")
    return int(chapter), int(number)


def chapter_exercises(chapter: str) -> list[Exercise]:
    """All registered exercises of a chapter (``"01"``), in order."""
    _load_chapter(chapter)
    found = [ex for key, ex in _REGISTRY.items() if key.startswith(chapter + ".")]
    return sorted(found, key=lambda ex: _sort_key(ex.id))


def check(exercise_id: str, answer: Any) -> bool:
    """Run the public check of one exercise and print the verdict.

    Args:
        exercise_id: the exercise, e.g. ``"01.3"``.
        answer: what the exercise asks you to produce.

    Returns:
        ``True`` when the public check passes.

    Example:
        >>> check("01.13", answer_01_13)  # doctest: +SKIP
    """
    exercise = get(exercise_id)
    points = f"{exercise.points:g} point" + ("" if exercise.points == 1 else "s")
    if answer is Ellipsis or answer is None:
        print(f"[{exercise_id}] not answered yet ({points}): {exercise.produce}")
        return False
    try:
        passed, message = exercise.check(answer)
    except Exception as error:  # a malformed answer must give feedback, not a traceback
        passed, message = False, f"could not check this answer ({type(error).__name__}: {error})"
    if passed:
        print(f"[{exercise_id}] passed ({points}): {message}")
    else:
        hint = f" Hint: {exercise.hint}" if exercise.hint else ""
        print(f"[{exercise_id}] not yet ({points}): {message}.{hint}")
    return bool(passed)


# ---------------------------------------------------------------------------
# Fingerprints and the building blocks of public checks.
# ---------------------------------------------------------------------------


def fingerprint(values: Any, decimals: int = 3) -> str:
    """A short hash of ``values`` rounded to ``decimals`` decimals.

    Used by public checks to recognise a right answer without storing it. Two
    answers share a fingerprint when they have the same shape and agree after
    rounding; ``-0.0`` and ``0.0`` are the same.

    Example:
        >>> fingerprint([1.0, 2.0]) == fingerprint(np.array([1.0004, 2.0]))
        True
    """
    array = np.asarray(values, dtype=np.float64)
    rounded = np.round(array, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{array.shape}|" + ",".join(f"{v:.{decimals}f}" for v in rounded.ravel())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def as_float_array(answer: Any, name: str = "answer") -> np.ndarray:
    """Convert an answer (list, NumPy array, tensor) to a float64 array or raise ``TypeError``."""
    if hasattr(answer, "numpy") and callable(answer.numpy):
        answer = answer.numpy()
    try:
        array = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be numbers, got {type(answer).__name__}") from error
    return array


def expect_array(shape: Sequence[int], digest: str, decimals: int = 3) -> CheckFn:
    """A public check: the answer has this shape and this fingerprint."""
    shape = tuple(shape)

    def run(answer: Any) -> tuple[bool, str]:
        array = as_float_array(answer)
        if array.shape != shape:
            return False, f"expected an array of shape {shape}, got shape {array.shape}"
        if not np.all(np.isfinite(array)):
            return False, "the answer contains inf or nan"
        if fingerprint(array, decimals) != digest:
            return False, "right shape, but the values are not right yet"
        return True, "correct"

    return run


def expect_number(digest: str, decimals: int = 3) -> CheckFn:
    """A public check for a single number."""

    def run(answer: Any) -> tuple[bool, str]:
        array = as_float_array(answer)
        if array.size != 1:
            return False, f"expected a single number, got shape {array.shape}"
        if fingerprint(array.reshape(()), decimals) != digest:
            return False, "that number is not right yet"
        return True, "correct"

    return run


def check_parts(
    answer: Any, checks: dict[str, Callable[[Any, str], tuple[bool, str]]]
) -> tuple[bool, str]:
    """Check a dict answer part by part: ``checks[key](answer[key], repr(key))`` must all pass.

    Shared by the public checks (:func:`expect_dict`) and the hidden ones
    (:func:`dlkit.comparisons.parts`). Failing parts are all reported, by name.
    """
    if not isinstance(answer, dict):
        return False, f"expected a dict with keys {sorted(checks)}, got {type(answer).__name__}"
    missing = [key for key in checks if key not in answer]
    if missing:
        return False, f"the dict lacks the keys {missing}"
    wrong = []
    for key, part in checks.items():
        try:
            ok, message = part(answer[key], repr(key))
        except (TypeError, ValueError) as error:
            ok, message = False, f"{key!r}: {error}"
        if not ok:
            wrong.append(message)
    if wrong:
        return False, "; ".join(wrong)
    return True, f"all {len(checks)} parts correct"


def expect_dict(parts: dict[str, CheckFn]) -> CheckFn:
    """A public check for a dict answer: every named part must pass its own check."""

    def named(part: CheckFn) -> Callable[[Any, str], tuple[bool, str]]:
        def run(value: Any, name: str) -> tuple[bool, str]:
            ok, message = part(value)
            return ok, f"{name}: {message}"

        return run

    return lambda answer: check_parts(answer, {key: named(part) for key, part in parts.items()})


def expect_choice(options: Sequence[str], digest: str) -> CheckFn:
    """A public check for a multiple-choice answer (one of ``options``)."""
    options = tuple(options)

    def run(answer: Any) -> tuple[bool, str]:
        if not isinstance(answer, str) or answer.strip().lower() not in options:
            return False, f"answer with one of {list(options)}, got {answer!r}"
        if text_fingerprint(answer.strip().lower()) != digest:
            return False, "that is not the right choice"
        return True, "correct"

    return run


def text_fingerprint(text: str) -> str:
    """A short hash of a normalised string (for choices and shape names)."""
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:16]


def expect_function(inputs: Sequence[tuple], digest: str, decimals: int = 3) -> CheckFn:
    """A public check for a function: its outputs on ``inputs`` match a fingerprint."""

    def run(answer: Any) -> tuple[bool, str]:
        if not callable(answer):
            return False, f"expected a function, got {type(answer).__name__}"
        outputs = [as_float_array(answer(*args), "the function's output") for args in inputs]
        flat = np.concatenate([np.ravel(out) for out in outputs])
        if fingerprint(flat, decimals) != digest:
            return False, "the function runs, but its outputs on the test inputs are not right yet"
        return True, f"correct on {len(inputs)} test inputs"

    return run


def canonical_shape(answer: Any, allow_error: bool = False) -> str:
    """Write a shape-like answer as text, the form that shape fingerprints hash.

    Accepts a tuple or list of non-negative integers (also NumPy integers, a
    ``tf.TensorShape``, the ``.shape`` of an array, or a 1-D integer array) and,
    when ``allow_error`` is true, the string ``"error"`` for "these shapes do not
    combine".

    Args:
        answer: the shape, e.g. ``(3, 4)``, ``[3, 4]`` or ``x.shape``.
        allow_error: accept the string ``"error"`` as an answer.

    Returns:
        ``"(3, 4)"``-style text (``"(3,)"`` for one axis), or ``"error"``.

    Raises:
        TypeError: the answer is not a sequence of non-negative integers (or ``"error"``).

    Example:
        >>> canonical_shape([8, 7, np.int64(6), 5])
        '(8, 7, 6, 5)'
    """
    if isinstance(answer, str):
        if allow_error and answer.strip().lower() == "error":
            return "error"
        expected = "a tuple of ints" + (" or the string 'error'" if allow_error else "")
        raise TypeError(f"expected {expected}, got the string {answer!r}")
    if hasattr(answer, "as_list") and callable(answer.as_list):  # tf.TensorShape
        answer = answer.as_list()
    if isinstance(answer, np.ndarray) and answer.ndim == 1 and answer.dtype.kind in "iu":
        answer = answer.tolist()  # a shape exported as an integer array
    if not isinstance(answer, tuple | list):
        raise TypeError(f"expected a tuple of ints such as (3, 4), got {type(answer).__name__}")
    sizes = []
    for size in answer:
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 0:
            raise TypeError(f"every entry of a shape must be an int >= 0, got {size!r}")
        sizes.append(int(size))
    return str(tuple(sizes))


def expect_shape(digest: str, allow_error: bool = False) -> CheckFn:
    """A public check for a shape-like tuple of ints (a shape, a multilinear rank).

    ``digest`` is ``text_fingerprint(canonical_shape(reference))``. With
    ``allow_error`` the string ``"error"`` is a valid answer too (for shapes that
    do not broadcast).
    """

    def run(answer: Any) -> tuple[bool, str]:
        text = canonical_shape(answer, allow_error)
        if text_fingerprint(text) != digest:
            return False, f"{text} is not right yet"
        return True, "correct"

    return run
