"""Chapter 08: the hidden references agree with the curriculum digest and with Keras, and
the model exercise (08.15) is judged on held-out digits that the student never saw.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch08.py`` recomputes with NumPy, are compared with
the numbers printed in ``shared/curriculum/08-transfer-learning.md`` §4 (08.4 to 08.10),
the parameter counts of 08.1 to 08.3 with Keras (the exercise network is a smaller variant
of the digest's), and the BatchNorm and Adam references with the Keras layer and optimizer.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlkit.checks.ch08 import (
    MIN_HELD_OUT_ACCURACY,
    TARGET_SHOTS,
    hidden_target_split,
    labelled_target_examples,
    public_target_split,
    transfer_model_verdict,
)
from dlkit.exercises import get
from hidden_checks.ch08 import CHECKS, REFERENCE, WRONG, exercise_network

# The digest's answers, as printed there (rounded).
DIGEST = {
    "08.4": {"total": 128, "trainable": 64, "non_trainable": 64},
    "08.5": {
        "training": [-1.0689, -0.5344, 0.0, 1.6033],
        "inference": [0.998, 2.994, 4.990, 10.978],
        "batch_of_one": 0.0,
        "running_mean": 0.525,
        "running_variance": 0.2825,
    },
    "08.6": {  # weights times 1000
        "adam_g": [-1.0, -1.3456, -2.0248],
        "adam_scaled": [-1.0, -1.3456, -2.0248],
        "sgd_g": [-0.5, -0.3, -1.1],
        "sgd_scaled": [-0.5, -0.3, -1.1],
    },
    "08.7": {"decay_0_3": [100.0, 30.0, 9.0, 2.7]},  # 1e-3, 3e-4, 9e-5, 2.7e-5 times 1e5
    "08.8": {"sum_ratio": 9.0, "max_value": 1.0},
    "08.9": {"end_to_end": 50_000, "cached": 2_500},
    "08.10": {
        "penalty_zero": 0.047,
        "grad_zero": [0.022, -0.036, 0.010],
        "penalty_sp": 0.0005,
        "grad_sp": [0.002, 0.004, 0.0],
    },
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(
            REFERENCE[exercise_id][key], printed, rtol=2e-4, atol=1e-4, err_msg=key
        )
    if exercise_id == "08.8":
        assert REFERENCE["08.8"]["shape"] == (28, 28)


def test_adam_with_scaled_gradients_differs_by_less_than_the_digest_says():
    gap = np.abs(REFERENCE["08.6"]["adam_g"] - REFERENCE["08.6"]["adam_scaled"]) / 1000
    assert np.all(gap < 4e-9) and np.any(gap > 0)  # only epsilon separates them


def test_parameter_counts_match_keras():
    net = exercise_network()
    counts = REFERENCE["08.1"]
    with_weights = [layer.count_params() for layer in net.layers if layer.count_params()]
    assert with_weights == [counts[key] for key in ("conv1", "conv2", "dense", "logits")]
    assert net.count_params() == counts["total"]
    assert sum(layer.count_params() for layer in net.layers[:4]) == counts["conv_base"]

    # 08.2: freeze the convolutions; a GAP head on the frozen pooled maps
    base = keras.Model(net.inputs, net.get_layer("flatten").output)
    base.trainable = False
    trainable = sum(int(np.prod(w.shape)) for w in net.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in net.non_trainable_weights)
    assert (trainable, non_trainable) == (
        REFERENCE["08.2"]["trainable"],
        REFERENCE["08.2"]["non_trainable"],
    )
    pooled = keras.Model(net.inputs, net.layers[3].output)  # (5, 5, 16)
    gap = keras.Sequential([pooled, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5)])
    assert (
        sum(int(np.prod(w.shape)) for w in gap.trainable_weights)
        == (REFERENCE["08.2"]["gap_trainable"])
    )
    assert gap.count_params() == REFERENCE["08.2"]["gap_total"]

    # 08.3: conv1 frozen, everything else trainable
    net = exercise_network()
    net.layers[0].trainable = False
    trainable = sum(int(np.prod(w.shape)) for w in net.trainable_weights)
    assert trainable == REFERENCE["08.3"]["trainable"]
    assert REFERENCE["08.3"]["fraction"] == pytest.approx(trainable / net.count_params())

    # 08.4: BatchNormalization on 32 channels
    bn = keras.layers.BatchNormalization()
    bn.build((None, 11, 11, 32))
    assert bn.count_params() == REFERENCE["08.4"]["total"]
    trainable = sum(int(np.prod(w.shape)) for w in bn.trainable_weights)
    assert trainable == REFERENCE["08.4"]["trainable"]


def test_batch_norm_reference_matches_keras():
    x = np.array([[1.0], [2.0], [3.0], [6.0]], dtype="float32")
    layer = keras.layers.BatchNormalization(epsilon=1e-3, momentum=0.99)
    layer.build((None, 1))
    layer.set_weights([np.ones(1), np.zeros(1), np.full(1, 0.5), np.full(1, 0.25)])
    reference = REFERENCE["08.5"]
    np.testing.assert_allclose(layer(x, training=False)[:, 0], reference["inference"], rtol=1e-5)
    np.testing.assert_allclose(layer(x, training=True)[:, 0], reference["training"], rtol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy()[0], reference["running_mean"], rtol=1e-6)
    np.testing.assert_allclose(
        layer.moving_variance.numpy()[0], reference["running_variance"], rtol=1e-6
    )
    one = keras.layers.BatchNormalization()(np.array([[1.0]], dtype="float32"), training=True)
    assert float(one[0, 0]) == reference["batch_of_one"]


def test_adam_reference_matches_keras():
    for key, scale in [("adam_g", 1.0), ("adam_scaled", 0.1)]:
        weight = tf.Variable(0.0, dtype="float64")
        optimizer = keras.optimizers.Adam(1e-3)
        path = []
        for g in scale * np.array([0.5, -0.2, 0.8]):
            optimizer.apply_gradients([(tf.constant(g, dtype="float64"), weight)])
            path.append(1000 * weight.numpy())
        # Keras adds epsilon to sqrt(v) before the bias correction and turns beta_2 into a
        # float32 constant: the steps agree to about 1e-5, well inside the checks' tolerance
        np.testing.assert_allclose(REFERENCE["08.6"][key], path, rtol=1e-4)


# --- 08.15: a model judged on held-out digits --------------------------------------------


def test_target_splits_are_disjoint_and_balanced():
    x_labelled, y_labelled = labelled_target_examples()
    x_public, y_public = public_target_split()
    x_hidden, y_hidden = hidden_target_split()
    assert x_labelled.shape == (5 * TARGET_SHOTS, 28, 28, 1)
    assert np.bincount(y_labelled).tolist() == [TARGET_SHOTS] * 5
    assert np.bincount(y_public).tolist() == [100] * 5
    assert len(y_hidden) == 2000 - 5 * TARGET_SHOTS and set(np.unique(y_hidden)) == set(range(5))
    # no labelled image is among the held-out ones (compare pixels, not indices)
    seen = {image.tobytes() for image in x_labelled}
    assert not any(image.tobytes() in seen for image in x_hidden)
    assert not any(image.tobytes() in seen for image in x_public)


def test_trained_reference_reaches_the_threshold_with_margin():
    model = REFERENCE["08.15"]
    for images, labels in (public_target_split(), hidden_target_split()):
        predicted = np.argmax(model.predict(images, verbose=0), axis=1)
        assert np.mean(predicted == labels) >= MIN_HELD_OUT_ACCURACY + 0.01


def test_model_verdict_explains_what_is_wrong():
    images, labels = public_target_split()
    passed, message = transfer_model_verdict(WRONG["08.15"], images, labels)
    assert not passed and "not right" in message and "0.200" in message  # one class for all
    ten_classes = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    passed, message = transfer_model_verdict(ten_classes, images, labels)
    assert not passed and "(n, 5)" in message
    flat_input = keras.Sequential([keras.Input((784,)), keras.layers.Dense(5)])
    passed, message = transfer_model_verdict(flat_input, images, labels)
    assert not passed and "(n, 28, 28, 1)" in message
    assert not transfer_model_verdict("a model", images, labels)[0]


def test_public_and_hidden_checks_of_the_model_use_different_images():
    reference = REFERENCE["08.15"]
    assert get("08.15").check(reference)[0] and CHECKS["08.15"](reference)[0]
    public_images, _ = public_target_split()
    hidden_images, _ = hidden_target_split()
    public = {image.tobytes() for image in public_images}
    assert not any(image.tobytes() in public for image in hidden_images)
