"""Chapter 03 exercises: what only this chapter has.

The generic tests (reference and wrong answers, fingerprint robustness, export, malformed
answers, no revealed values, the notebook) are in ``tests/test_exercises.py``. Here: the mix of
exercise kinds, and the hidden references, which are computed by code, agree with the reference
answers of ``shared/curriculum/03-activations.md`` (typed in below at the digest's precision)
and with TensorFlow / Keras where those compute the same thing.
"""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from test_exercises import is_function_answer, numeric_leaves

from dlkit import exercises
from hidden_checks import ch03 as hidden

ROOT = Path(__file__).resolve().parents[1]
IDS = [exercise.id for exercise in exercises.chapter_exercises("03")]
REF = hidden.REFERENCE


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 12
    kinds = {
        "function": [i for i in IDS if is_function_answer(REF[i])],
        "choice": [
            i
            for i in IDS
            if isinstance(REF[i], str)
            or (isinstance(REF[i], dict) and all(isinstance(v, str) for v in REF[i].values()))
        ],
        "numeric": [i for i in IDS if numeric_leaves(REF[i])],
    }
    assert kinds["function"] == ["03.6", "03.11"]
    assert kinds["choice"] == ["03.12", "03.14"]
    assert len(kinds["numeric"]) == len(IDS) - 4
    for exercise in exercises.chapter_exercises("03"):
        assert 1 <= exercise.points <= 3, exercise.id


# (exercise id, key or None, the digest's value, absolute tolerance)
DIGEST = [
    ("03.1", None, [0.268941, 0.5, 0.731059], 1e-6),
    ("03.2", None, [0.419974, 1.0, 0.419974], 1e-6),
    ("03.3", "relu", [0.0, 0.0, 1.0], 0.0),
    ("03.3", "leaky", [-0.01, 0.0, 1.0], 1e-12),
    ("03.3", "elu", [-0.632121, 0.0, 1.0], 1e-6),
    ("03.3", "keras_layer_default", [-0.3, 0.0, 1.0], 1e-12),
    ("03.4", "exact", [-0.158655, 0.841345], 1e-6),
    ("03.4", "approx", [-0.158808, 0.841192], 1e-6),
    ("03.4", "grad0", 0.5, 1e-12),
    ("03.4", "grad1", 1.083315, 1e-6),
    ("03.5", "p", [0.090031, 0.244728, 0.665241], 1e-6),
    (
        "03.5",
        "jacobian",
        [
            [0.081925, -0.022033, -0.059892],
            [-0.022033, 0.184836, -0.162803],
            [-0.059892, -0.162803, 0.222695],
        ],
        1e-6,
    ),
    ("03.5", "p_shifted", [0.090031, 0.244728, 0.665241], 1e-6),
    ("03.7", "correct", [0.059217, 1.069318], 1e-6),
    ("03.7", "book", [-0.547586, -2.951470], 1e-6),
    ("03.8", "sigmoid_log10", math.log10(9.54e-7), 1e-3),
    ("03.8", "tanh3_log10", 10 * math.log10(0.009866), 1e-3),
    ("03.9", "elu_grad", 0.135335, 1e-6),
    ("03.9", "swish_grad0", 0.5, 1e-12),
    ("03.9", "swish_min_x", -1.278465, 1e-6),
    ("03.9", "swish_min", -0.278465, 1e-6),
    ("03.10", "inactive_b1", 0.8413, 1e-4),
    ("03.10", "active_per_million_b5", 1e6 * 2.87e-7, 1e-3),
]


@pytest.mark.parametrize(("exercise_id", "key", "digest", "atol"), DIGEST)
def test_hidden_references_agree_with_the_curriculum(exercise_id, key, digest, atol):
    value = REF[exercise_id] if key is None else REF[exercise_id][key]
    np.testing.assert_allclose(value, digest, rtol=0, atol=atol)


def test_softmax_jacobian_rows_sum_to_zero_and_shift_changes_nothing():
    jacobian = REF["03.5"]["jacobian"]
    np.testing.assert_allclose(jacobian.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(jacobian, jacobian.T)
    np.testing.assert_allclose(REF["03.5"]["p"], REF["03.5"]["p_shifted"], rtol=1e-15)


def test_mish_references_agree_with_the_tape_only_where_they_should():
    z = tf.constant([-1.0, 1.0, 2.0], tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(z)
        total = tf.reduce_sum(keras.activations.mish(z))
    grads = tape.gradient(total, z).numpy()
    np.testing.assert_allclose(REF["03.7"]["correct"], grads[[0, 2]], rtol=1e-10)
    book = hidden._mish_grad_book(np.array([-1.0, 1.0, 2.0]))
    assert abs(book[1] - grads[1]) < 1e-12  # the textbook's formula is right only at z = 1
    assert np.all(np.abs(book[[0, 2]] - grads[[0, 2]]) > 0.5)


@pytest.mark.parametrize("args", hidden.PROBES["03.6"])
def test_log_softmax_reference_matches_keras_on_the_probes(args):
    logits = np.asarray(args[0], dtype=np.float64)
    expected = keras.ops.convert_to_numpy(keras.ops.log_softmax(logits))
    np.testing.assert_allclose(REF["03.6"](*args), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("args", hidden.PROBES["03.11"])
def test_sigmoid_chain_reference_matches_the_tape_and_stays_below_the_bound(args):
    x0, depth = args
    x = tf.Variable(float(x0), dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = x
        for _ in range(depth):
            y = tf.sigmoid(y)
    assert math.isclose(REF["03.11"](*args), float(tape.gradient(y, x)), rel_tol=1e-12)
    assert REF["03.11"](*args) <= 0.25**depth


def test_clipping_references_match_tensorflow_and_keras():
    grads = [tf.constant(hidden._G_KERNEL), tf.constant(hidden._G_BIAS)]
    clipped, global_norm = tf.clip_by_global_norm(grads, 1.0)
    ref = REF["03.13"]
    np.testing.assert_allclose(ref["global_norm"], global_norm, rtol=1e-12)
    for suffix, index in (("kernel", 0), ("bias", 1)):
        np.testing.assert_allclose(ref[f"global_{suffix}"], clipped[index], rtol=1e-12)
        np.testing.assert_allclose(ref[f"norm_{suffix}"], tf.clip_by_norm(grads[index], 1.0))
        np.testing.assert_allclose(ref[f"value_{suffix}"], tf.clip_by_value(grads[index], -1, 1))
    # One SGD step with learning rate 1 applies exactly minus the clipped gradient.
    for option, prefix in (
        ("clipvalue", "value"),
        ("clipnorm", "norm"),
        ("global_clipnorm", "global"),
    ):
        variables = [keras.Variable(np.zeros(g.shape, "float32")) for g in grads]
        optimizer = keras.optimizers.SGD(learning_rate=1.0, **{option: 1.0})
        optimizer.apply_gradients(zip([tf.cast(g, "float32") for g in grads], variables))
        np.testing.assert_allclose(-variables[0].numpy(), ref[f"{prefix}_kernel"], rtol=1e-6)
        np.testing.assert_allclose(-variables[1].numpy(), ref[f"{prefix}_bias"], rtol=1e-6)


def test_public_sources_hold_none_of_the_distinctive_numbers():
    source = (ROOT / "dlkit" / "checks" / "ch03.py").read_text()
    for distinctive in (
        "0.2689",
        "0.4199",
        "0.6321",
        "0.1586",
        "1.0833",
        "0.0592",
        "1.0693",
        "-2.95",
        "-6.02",
        "-20.0",
        "0.1353",
        "1.2784",
        "0.2784",
        "0.8413",
        "0.2866",
        "13.93",
        "0.2307",
        "0.2152",
    ):
        assert distinctive not in source, distinctive
