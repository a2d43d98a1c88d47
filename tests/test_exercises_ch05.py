"""Chapter 05: the hidden references agree with the curriculum digest, and the solution
notebook's function answers match Keras.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch05.py`` recomputes with NumPy, are compared
with the numbers printed in ``shared/curriculum/05-regularization-normalization.md`` §4,
and the reference functions are compared with the Keras layer and callback they model.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from hidden_checks.ch05 import PROBES, REFERENCE, VAL_LOSSES, WRONG, _group_norm

# The digest's answers, as printed there (rounded).
DIGEST = {
    "05.1": {
        "glorot_limit_dense": 0.2,
        "he_uniform_limit": 0.244949,
        "he_normal_std": 0.141421,
        "conv_fan_in": 576,
        "conv_fan_out": 1152,
        "conv_glorot_limit": 0.058926,
        "conv_he_std": 0.058926,
    },
    "05.2": {
        "mean": 0.475,
        "variance": 0.046875,
        "x_hat": [0.11547, -1.27017, 1.50111, -0.34641],
        "x_hat_keras": [0.11426, -1.25684, 1.48535, -0.34277],
    },
    "05.3": {
        "eps_0": [-1.341641, -0.447214, 0.447214, 1.341641],
        "eps_keras": [-1.341104, -0.447035, 0.447035, 1.341104],
    },
    "05.5": {"keras_after_100": 3.1698, "torch_after_100": 4.99987, "steps_to_95": 299},
    "05.6": {"total": 256, "trainable": 128, "non_trainable": 128, "torch_parameters": 128},
    "05.7": {"penalty": 0.0098, "gradient": [0.010, -0.006, 0.016]},
    "05.8": {
        "kept_value": 1.25,
        "all_dropped_one_in": 1 / 1.024e-7,
        "non_inverted_expected": 1.4,
        "test_factor": 0.7,
    },
    "05.9": {
        "epochs_run": 8,
        "restored_epoch": 5,
        "epochs_run_patience_0": 4,
        "restored_epoch_patience_0": 3,
    },
    "05.10": {
        "plain_log10": np.log10(9.54e-7),
        "residual_large_log10": np.log10(3325),
        "residual_small_log10": np.log10(2.653),
    },
    "05.11": {
        "conv": [[2, 1, -4], [-3, 0, -7], [-16, -11, -22]],
        "residual": [[3, 3, -1], [1, 5, -1], [-9, -3, -13]],
    },
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(
            REFERENCE[exercise_id][key], printed, rtol=2e-4, atol=1e-5, err_msg=key
        )


def test_group_norm_reference_agrees_with_the_digest():
    reference = REFERENCE["05.4"]
    np.testing.assert_allclose(reference["group_means"], [5, 10])
    np.testing.assert_allclose(reference["group_variances"], [20 / 3, 80 / 3])
    channel_1 = [[-1.5492, -1.1619, -0.7746], [-0.3873, 0, 0.3873], [0.7746, 1.1619, 1.5492]]
    normalized = reference["normalized"][0]  # (3, 3, 4)
    np.testing.assert_allclose(normalized[..., 0], channel_1, atol=1e-4)
    np.testing.assert_allclose(normalized[..., 1], -np.array(channel_1), atol=1e-4)  # mirrored
    np.testing.assert_allclose(normalized[..., 2:], normalized[..., :2])


def test_group_norm_reference_matches_keras():
    # an image whose channels differ in scale and offset: compare the formula with Keras
    ramp = np.arange(1.0, 10.0).reshape(3, 3, 1)
    image = ramp * np.array([1.0, -1.0, 2.0, 0.5]) + np.array([0.0, 3.0, -1.0, 2.0])  # (3, 3, 4)
    layer = keras.layers.GroupNormalization(groups=2, epsilon=1e-9)
    np.testing.assert_allclose(layer(image[None]), _group_norm(image[None], 2), atol=1e-5)


def test_batch_norm_reference_matches_keras_in_training_mode():
    for x, gamma, beta, eps in PROBES["05.12"]:
        features = x.shape[1]
        layer = keras.layers.BatchNormalization(epsilon=max(eps, 1e-12))
        layer.build((None, features))
        layer.set_weights([gamma, beta, np.zeros(features), np.ones(features)])
        expected = layer(x.astype("float32"), training=True)
        np.testing.assert_allclose(
            REFERENCE["05.12"](x, gamma, beta, eps), expected, rtol=1e-4, atol=1e-4
        )


def _keras_early_stopping(val_losses, patience):
    """What keras.callbacks.EarlyStopping does, driven epoch by epoch."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    callback = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    for epoch, value in enumerate(val_losses):
        callback.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    return epoch + 1, callback.best_epoch + 1


def test_early_stopping_reference_matches_the_keras_callback():
    cases = list(PROBES["05.13"]) + [(VAL_LOSSES, 3), (VAL_LOSSES, 0)]
    for losses, patience in cases:
        assert REFERENCE["05.13"](losses, patience) == _keras_early_stopping(losses, patience)
    # the typical mistake differs from Keras on at least one probe
    assert any(
        WRONG["05.13"](losses, patience) != _keras_early_stopping(losses, patience)
        for losses, patience in PROBES["05.13"]
    )
