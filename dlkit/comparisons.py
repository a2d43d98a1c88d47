"""Strict comparisons for the teacher's hidden checks.

The hidden checks of every chapter (``hidden_checks/chNN.py``) compare a student's
answer with exact reference values. These building blocks do the comparing; they
hold no answers, so they can live in the package. Each returns ``(passed,
message)`` and its messages say *what* is wrong, never what was expected.

Example:
    >>> close([1.0, 2.0], [1.0, 2.0000001])
    (True, 'answer correct')
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dlkit.exercises import as_float_array, canonical_shape, check_parts

Result = tuple[bool, str]

__all__ = [
    "Result",
    "safe",
    "close",
    "exact",
    "shape",
    "choice",
    "parts",
    "close_parts",
    "exact_parts",
    "function",
]


def safe(check: Callable[[Any], Result]) -> Callable[[Any], Result]:
    """Turn any exception raised while checking into a failed result."""

    @functools.wraps(check)
    def run(answer: Any) -> Result:
        try:
            passed, message = check(answer)
        except Exception as error:  # a malformed answer is a wrong answer, never a crash
            return False, f"could not check this answer ({type(error).__name__}: {error})"
        return bool(passed), message

    return run


def close(
    answer: Any, expected: Any, name: str = "answer", rtol: float = 1e-5, atol: float = 1e-6
) -> Result:
    """Compare numbers/arrays: same shape, finite where expected, allclose."""
    value = as_float_array(answer, name)
    target = np.asarray(expected, dtype=np.float64)
    if value.size == 1 and target.size == 1:
        value, target = value.reshape(()), target.reshape(())
    if value.shape != target.shape:
        return False, f"{name} has shape {value.shape}, which is not the shape asked for"
    if np.any(np.isnan(value)):
        return False, f"{name} contains nan"
    if not np.array_equal(np.isinf(value), np.isinf(target)) or not np.array_equal(
        np.sign(value[np.isinf(value)]), np.sign(target[np.isinf(target)])
    ):
        return False, f"{name} is not right"
    finite = np.isfinite(target)
    if not np.allclose(value[finite], target[finite], rtol=rtol, atol=atol):
        return False, f"{name} is not right"
    return True, f"{name} correct"


def exact(answer: Any, expected: float, name: str = "answer") -> Result:
    """An exact integer result (given as a float): tolerance 0.25, no relative tolerance."""
    return close(answer, expected, name, rtol=0.0, atol=0.25)


def shape(answer: Any, expected: Any, name: str = "answer") -> Result:
    """A shape-like tuple of ints, or "error" where the reference is "error"."""
    allow_error = isinstance(expected, str)
    if canonical_shape(answer, allow_error=True) != canonical_shape(expected, allow_error):
        return False, f"{name} is not right"
    return True, f"{name} correct"


def choice(answer: Any, expected: str) -> Result:
    if not isinstance(answer, str):
        return False, f"expected one letter as a string, got {type(answer).__name__}"
    if answer.strip().lower() != expected:
        return False, "that choice is not right"
    return True, "correct"


def parts(answer: Any, checks: dict[str, Callable[[Any, str], Result]]) -> Result:
    """Check a dict answer part by part: ``checks[key](answer[key], name)`` must all pass."""
    return check_parts(answer, checks)


def close_parts(
    reference: dict[str, Any], rtol: float = 1e-5, atol: float = 1e-6
) -> Callable[[Any], Result]:
    """A check for a dict answer: every key of ``reference`` compared with :func:`close`.

    Example:
        >>> close_parts({"a": 1.0, "b": [0.0, 2.0]})({"a": 1.0, "b": [0.0, 2.0]})[0]
        True
    """

    def run(answer: Any) -> Result:
        return parts(
            answer,
            {key: functools.partial(_close_to, reference[key], rtol, atol) for key in reference},
        )

    return run


def exact_parts(reference: dict[str, Any]) -> Callable[[Any], Result]:
    """A check for a dict answer of integer results: every key compared with :func:`exact`."""

    def run(answer: Any) -> Result:
        return parts(
            answer, {key: functools.partial(_exact_to, reference[key]) for key in reference}
        )

    return run


def _close_to(expected: Any, rtol: float, atol: float, value: Any, name: str) -> Result:
    return close(value, expected, name, rtol, atol)


def _exact_to(expected: Any, value: Any, name: str) -> Result:
    return exact(value, expected, name)


def function(
    answer: Any, reference: Callable[..., Any], inputs: Sequence[tuple[float, ...]]
) -> Result:
    """Call a function answer on the hidden inputs and compare with the reference."""
    if not callable(answer):
        return False, f"expected a function, got {type(answer).__name__}"
    outputs = [answer(*args) for args in inputs]
    failed = 0
    for args, output in zip(inputs, outputs, strict=True):
        ok, _ = close(output, np.asarray(reference(*args), dtype=np.float64), rtol=1e-5)
        failed += not ok
    if failed:
        return False, f"the function is wrong on {failed} of {len(inputs)} hidden test inputs"
    return True, f"correct on {len(inputs)} hidden test inputs"
