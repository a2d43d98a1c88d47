"""Chapter 02 exercises: what only this chapter has.

The tests every chapter gets (reference and wrong answers, fingerprints, export, malformed
answers, no revealed values, the notebook) are in ``tests/test_exercises.py``. Here: the
references agree with the numbers of the curriculum digest, the function reference agrees
with ``tf.GradientTape``, and the model check (02.12) rejects near misses.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_exercises import is_function_answer

from dlkit import exercises
from hidden_checks import ch02 as hidden

IDS = [exercise.id for exercise in exercises.chapter_exercises("02")]

# The answers printed in shared/curriculum/02-mlp-backprop.md §4, at the digest's precision.
DIGEST = {
    ("02.1", "mlp"): (291, 0),
    ("02.1", "closed_form"): (251, 0),
    ("02.2", "z1"): ([0.1, 1.6], 1e-12),
    ("02.2", "z2"): (-1.09, 1e-12),
    ("02.2", "output"): (0.2516, 1e-4),
    ("02.3", "loss"): (1.3798, 1e-4),
    ("02.3", "dW2"): ([-0.07484, -1.19741], 1e-5),
    ("02.3", "dW1"): ([[-0.22452, -0.44903], [0.52387, 1.04773]], 1e-5),
    ("02.4", "z1"): ([1.2, 0.5, 1.2, -0.1], 1e-12),
    ("02.4", "h"): ([1.2, 0.5, 1.2, 0.0], 1e-12),
    ("02.4", "z2"): ([0.18, 0.80], 1e-12),
    ("02.4", "p"): ([0.3498, 0.6502], 1e-4),
    ("02.5", "h"): ([0.2, 0.0, 0.0], 1e-12),
    ("02.5", "p"): ([0.5200, 0.4800], 1e-4),
    ("02.5", "ce"): (0.6539, 1e-4),
    ("02.7", "w"): ([2, 1], 0),
    ("02.7", "b"): (-3, 0),
    ("02.7", "updates"): (11, 0),
    ("02.7", "first_clean_pass"): (6, 0),
    ("02.9", "p"): ([0.6652, 0.2447, 0.0900], 1e-4),
    ("02.9", "loss"): (0.4076, 1e-4),
    ("02.9", "grad"): ([-0.3348, 0.2447, 0.0900], 1e-4),
    ("02.10", "shallow_pieces"): (6, 0),
    ("02.10", "tent_pieces"): (16, 0),
    ("02.10", "tent_params"): (25, 0),
    ("02.10", "shallow_units"): (15, 0),
    ("02.10", "shallow_params"): (46, 0),
    ("02.13", "min_loss"): (1.4612, 1e-4),
}


@pytest.mark.parametrize("key", list(DIGEST), ids=lambda key: "-".join(key))
def test_references_agree_with_the_curriculum_digest(key):
    exercise_id, part = key
    expected, tolerance = DIGEST[key]
    np.testing.assert_allclose(
        hidden.REFERENCE[exercise_id][part], expected, rtol=0, atol=tolerance + 1e-12
    )


def test_the_wrong_sigmoid_variant_of_02_5_is_the_digest_alternative():
    np.testing.assert_allclose(hidden.WRONG["02.5"]["p"], [0.5684, 0.4316], atol=1e-4)
    np.testing.assert_allclose(hidden.WRONG["02.5"]["ce"], 0.5649, atol=1e-4)


def test_chapter_mixes_every_kind_of_answer():
    kinds = {
        "function": [i for i in IDS if is_function_answer(hidden.REFERENCE[i])],
        "model": [i for i in IDS if isinstance(hidden.REFERENCE[i], keras.Model)],
        "choice": [i for i in IDS if isinstance(hidden.REFERENCE[i], str)],
        "numeric": [i for i in IDS if isinstance(hidden.REFERENCE[i], dict)],
    }
    assert kinds["function"] == ["02.11"] and kinds["model"] == ["02.12"]
    assert kinds["choice"] == ["02.8", "02.14"] and len(kinds["numeric"]) == 10
    assert sum(exercise.points for exercise in exercises.chapter_exercises("02")) == 30


@pytest.mark.parametrize("probe", range(len(hidden.PROBES["02.11"])))
def test_first_layer_grad_reference_matches_gradient_tape(probe):
    X, y, W1, b1, W2, b2 = hidden.PROBES["02.11"][probe]
    variable = tf.Variable(W1)
    with tf.GradientTape() as tape:
        logits = tf.tanh(X @ variable + b1) @ W2 + b2
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(y[:, None], logits))
    np.testing.assert_allclose(
        hidden.REFERENCE["02.11"](X, y, W1, b1, W2, b2), tape.gradient(loss, variable), atol=1e-12
    )


def _xor_model(output_activation, scale=1.0):
    """The reference XOR network with its output weights scaled, and a chosen output activation."""
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(2, activation="tanh"),
            keras.layers.Dense(1, activation=output_activation),
        ]
    )
    weights = hidden.REFERENCE["02.12"].get_weights()
    model.set_weights(weights[:2] + [scale * weights[2], scale * weights[3]])
    return model


@pytest.mark.parametrize(
    "model, reason",
    [
        (_xor_model("sigmoid", scale=0.2), "every point right, but the loss is too high"),
        (_xor_model(None), "logits instead of probabilities"),
        (_xor_model("sigmoid", scale=-1.0), "every point wrong"),
    ],
)
def test_xor_model_checks_reject_near_misses(model, reason):
    assert not exercises.get("02.12").check(model)[0], reason
    passed, message = hidden.CHECKS["02.12"](model)
    assert not passed and message, reason


def test_xor_model_checks_accept_a_model_with_probabilities_of_shape_batch():
    flat = keras.Sequential([hidden.REFERENCE["02.12"], keras.layers.Flatten()])  # (batch, 1)
    squeezed = keras.Sequential([flat, keras.layers.Reshape(())])  # (batch,)
    for model in (flat, squeezed):
        assert exercises.get("02.12").check(model)[0]
        assert hidden.CHECKS["02.12"](model)[0]
