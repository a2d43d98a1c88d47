"""Chapter 12: the hidden references agree with the curriculum digest, Keras and dlkit.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch12.py`` recomputes with NumPy, are compared with
the numbers printed in ``shared/curriculum/12-gans.md`` §4; the tiny GAN's gradients with
finite differences; the DCGAN counts and sizes with Keras; and the stable discriminator
loss of 12.13 with ``dlkit.training.discriminator_loss`` (and on logits of ±50, where a
naive implementation overflows).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.checks.ch12 import DISCRIMINATOR_LOSS_INPUTS
from dlkit.training import discriminator_loss
from hidden_checks.ch12 import (
    CHECKS,
    PROBES,
    REFERENCE,
    W_D,
    W_G,
    X_REAL,
    Z,
    discriminator_loss_reference,
)

layers = keras.layers

# The digest's answers, as printed there (§4, exercises 1-6, 8-13).
DIGEST = {
    "12.1": {"heads": 0.375, "tails": 0.583333},
    "12.2": {"value": -1.344283, "jsd": 0.021006, "identity": -1.344283},
    "12.3": {"logit": -4.5951, "saturating": 0.01, "non_saturating": 0.99, "ratio": 99},
    "12.4": {"x_fake": [0.17, 0.23, 0.29], "d_fake": 0.574443},
    "12.5": {"d_real": 0.880797, "loss_d": 0.981283, "loss_g": 0.554355, "saturating": -0.854355},
    "12.6": {
        "grad_w_d": [-0.021548, -0.046683, -0.071818],
        "grad_w_g": [[-0.008511, -0.017022], [-0.017022, -0.034045], [-0.025533, -0.051067]],
    },
    "12.7": {"one_sided": [0.3375, 0.525], "two_sided": [0.4, 0.566667], "no_data": 0.1},
    "12.8": {"gaussians": 2.0, "bernoulli": 0.2, "jsd_points": 0.693147},
    "12.9": {"x_hat": [2.4, 0.6], "grad_norm": 5.0, "penalty": 160.0},
    "12.10": {
        "diverse": 2.022258,
        "collapsed": 1.0,
        "wrong_diverse": 2.169409,
        "wrong_collapsed": 3.154886,
    },
    "12.11": {"generator": 246_657, "trainable": 240_321, "discriminator": 36_513},
    "12.12": {"generator_input": 74, "channels": 11, "embedding": 31_360},
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_references_match_the_digest(exercise_id):
    for key, value in DIGEST[exercise_id].items():
        np.testing.assert_allclose(REFERENCE[exercise_id][key], value, atol=1e-4, err_msg=key)


def _losses(w_d, w_g):
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    x_fake = w_g @ Z
    loss_d = -np.log(sigmoid(w_d @ X_REAL)) - np.log(1 - sigmoid(w_d @ x_fake))
    loss_g = -np.log(sigmoid(w_d @ x_fake))
    return loss_d, loss_g


def test_tiny_gan_gradients_match_finite_differences():
    h = 1e-6
    grad_d = np.zeros(3)
    for i in range(3):
        step = np.zeros(3)
        step[i] = h
        grad_d[i] = (_losses(W_D + step, W_G)[0] - _losses(W_D - step, W_G)[0]) / (2 * h)
    grad_g = np.zeros((3, 2))
    for i in range(3):
        for j in range(2):
            step = np.zeros((3, 2))
            step[i, j] = h
            grad_g[i, j] = (_losses(W_D, W_G + step)[1] - _losses(W_D, W_G - step)[1]) / (2 * h)
    np.testing.assert_allclose(REFERENCE["12.6"]["grad_w_d"], grad_d, atol=1e-8)
    np.testing.assert_allclose(REFERENCE["12.6"]["grad_w_g"], grad_g, atol=1e-8)


def test_dcgan_counts_and_sizes_match_keras():
    generator = keras.Sequential(
        [
            keras.Input((64,)),
            layers.Dense(7 * 7 * 64, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 64)),
            layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
        ]
    )
    discriminator = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(64, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    ref = REFERENCE["12.11"]
    assert generator.count_params() == ref["generator"]
    trainable = sum(int(np.prod(v.shape)) for v in generator.trainable_weights)
    assert trainable == ref["trainable"]
    assert discriminator.count_params() == ref["discriminator"]
    sizes = (generator.layers[4].output.shape[1], generator.layers[7].output.shape[1])
    assert sizes == ref["sizes"]
    valid = layers.Conv2DTranspose(32, 4, strides=2, padding="valid")
    assert valid.compute_output_shape((None, 7, 7, 64))[1] == ref["valid_size"]
    embedding = layers.Embedding(10, 7 * 7 * 64)
    embedding.build((None,))
    assert embedding.count_params() == REFERENCE["12.12"]["embedding"]


@pytest.mark.parametrize("args", DISCRIMINATOR_LOSS_INPUTS + PROBES["12.13"][:3])
def test_stable_loss_matches_the_library(args):
    real, fake, target = args
    expected = float(discriminator_loss(real, fake, label_smoothing=round(1 - target, 6)))
    np.testing.assert_allclose(discriminator_loss_reference(*args), expected, rtol=1e-5)


def test_hidden_probes_include_overflowing_logits_and_catch_a_naive_loss():
    assert any(np.abs(np.concatenate([a[0], a[1]])).max() >= 50 for a in PROBES["12.13"])

    def naive(real_logits, fake_logits, real_target):
        with np.errstate(all="ignore"):
            s_r = 1 / (1 + np.exp(-np.asarray(real_logits, float)))
            s_f = 1 / (1 + np.exp(-np.asarray(fake_logits, float)))
            real = -np.mean(real_target * np.log(s_r) + (1 - real_target) * np.log(1 - s_r))
            return float(real - np.mean(np.log(1 - s_f)))

    # the naive version passes on ordinary logits but fails the hidden check
    for args in DISCRIMINATOR_LOSS_INPUTS:
        np.testing.assert_allclose(naive(*args), discriminator_loss_reference(*args), rtol=1e-9)
    passed, message = CHECKS["12.13"](naive)
    assert not passed and "hidden test inputs" in message
    assert CHECKS["12.13"](discriminator_loss_reference)[0]
