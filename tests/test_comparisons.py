"""dlkit.comparisons: the strict building blocks of the hidden checks."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from dlkit import comparisons as cmp


def test_close_accepts_lists_arrays_and_tensors():
    for value in ([1.0, 2.0], np.array([1.0, 2.0]), tf.constant([1.0, 2.0])):
        assert cmp.close(value, [1.0, 2.0 + 1e-7]) == (True, "answer correct")


@pytest.mark.parametrize(
    "value, expected, problem",
    [
        ([1.0, 2.0], [[1.0, 2.0]], "shape"),
        ([1.0, np.nan], [1.0, 2.0], "nan"),
        ([1.0, 2.1], [1.0, 2.0], "not right"),
        ([np.inf], [-np.inf], "not right"),
    ],
)
def test_close_rejects_and_says_what_is_wrong(value, expected, problem):
    passed, message = cmp.close(value, expected)
    assert not passed and problem in message and "2.0" not in message


def test_close_handles_infinities_and_scalars():
    assert cmp.close(float("inf"), np.inf)[0]
    assert cmp.close([[3.0]], 3.0)[0]  # a 1-element array is a number


def test_exact_has_no_relative_tolerance():
    assert cmp.exact(16777216.0, 16777216.0)[0]
    assert not cmp.exact(16777217.0, 16777216.0)[0]


def test_shape_and_choice():
    assert cmp.shape((3, 1), (3, 1))[0] and not cmp.shape((1, 3), (3, 1))[0]
    assert cmp.shape("Error", "error")[0]
    assert cmp.choice(" B ", "b")[0] and not cmp.choice("a", "b")[0]
    assert not cmp.choice(2, "b")[0]


def test_parts_names_the_failing_part():
    checks = {"x": lambda v, n: cmp.close(v, 1.0, n), "y": lambda v, n: cmp.close(v, 2.0, n)}
    assert cmp.parts({"x": 1.0, "y": 2.0}, checks) == (True, "all 2 parts correct")
    passed, message = cmp.parts({"x": 1.0, "y": 5.0}, checks)
    assert not passed and "'y'" in message and "'x'" not in message
    assert "lacks the keys ['y']" in cmp.parts({"x": 1.0}, checks)[1]
    assert not cmp.parts([1, 2], checks)[0]


def test_function_counts_wrong_inputs():
    inputs = [(1.0,), (2.0,), (3.0,)]
    assert cmp.function(lambda x: 2 * x, lambda x: 2 * x, inputs)[0]
    passed, message = cmp.function(lambda x: 2 * x if x < 3 else 0.0, lambda x: 2 * x, inputs)
    assert not passed and "1 of 3" in message
    assert not cmp.function(5, lambda x: x, inputs)[0]


def test_safe_turns_exceptions_into_failures():
    @cmp.safe
    def broken(answer):
        raise KeyError("boom")

    passed, message = broken(1)
    assert passed is False and "KeyError" in message


def test_close_parts_and_exact_parts_compare_every_key():
    reference = {"loss": 0.25, "weights": [1.0, -2.0]}
    check = cmp.close_parts(reference, rtol=1e-3, atol=0.0)
    assert check({"loss": 0.2501, "weights": np.array([1.0, -2.0])}) == (
        True,
        "all 2 parts correct",
    )
    passed, message = check({"loss": 0.26, "weights": [1.0, -2.0]})
    assert not passed and "'loss'" in message and "'weights'" not in message
    assert "lacks the keys ['weights']" in check({"loss": 0.25})[1]
    counts = cmp.exact_parts({"params": 330.0, "layers": 3.0})
    assert counts({"params": 330, "layers": 3})[0]
    assert not counts({"params": 330.5, "layers": 3})[0]  # integers: no relative tolerance
    assert not counts({"params": 331, "layers": 3})[0]
