"""dlkit.exercises itself: exercise ids and the shape building blocks of public checks."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from dlkit.exercises import canonical_shape, check, expect_shape, text_fingerprint


def test_malformed_exercise_id_raises():
    with pytest.raises(ValueError, match="01.3"):
        check("1.3", 168)


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
