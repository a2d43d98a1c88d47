"""Chapter 11: the hidden references agree with the curriculum digest, with TensorFlow and
with the library code they model.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch11.py`` recomputes with NumPy, are compared with
the numbers printed in ``shared/curriculum/11-autoencoders-vae.md`` §4 and with independent
computations: gradients by ``tf.GradientTape``, the KL and the reparameterisation by
``dlkit.training``, the subspace numbers by scikit-learn and SciPy, parameter counts by Keras.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

from dlkit import training
from hidden_checks.ch11 import (
    PROBES,
    REFERENCE,
    W_D,
    W_E,
    WRONG,
    X_CLEAN,
    linear_ae_data,
)

# The digest's answers, as printed there (rounded to 6 decimals).
DIGEST = {
    "11.1": {"z": [3, 7], "x_hat": [0.785835, 0.975873, 0.996665, 0.999547]},
    "11.2": {
        "mse": 3.527692,
        "grad_w_d": [
            [-0.054065, -0.126153],
            [-0.036169, -0.084395],
            [-0.009988, -0.023305],
            [-0.002036, -0.004751],
        ],
        "grad_w_e": [
            [-0.009361, -0.018722, -0.028083, -0.037444],
            [-0.009165, -0.018331, -0.027496, -0.036661],
        ],
    },
    "11.3": {
        "z": [2.97, 6.97],
        "x_hat": [0.784316, 0.975374, 0.996554, 0.999527],
        "loss_clean": 3.528254,
        "loss_noisy": 3.413104,
    },
    "11.4": {"kl": 2.701558, "flipped": -2.701558},
    "11.7": {
        "mu": [0.33, 0.88],
        "sigma": [1.227525, 1.665291],
        "z": [0.943763, -0.785291],
        "x_hat": [0.479406, 0.519082],
        "kl": 0.866656,
        "bce": 1.357325,
        "neg_elbo": 2.223982,
    },
    "11.8": {"per_unit": [0.016707, 0.0, 0.093943], "total": 0.110650},
    "11.9": {
        "h": [0.663739, 0.727108],
        "x_hat": [1.082750, 1.486267],
        "mse": 0.238905,
        "sparsity": 1.908516,
        "total": 5.964453,
    },
    "11.10": {
        "covariance": [[5 / 3, 1 / 3], [1 / 3, 2 / 3]],
        "eigenvalues": [1.767592, 0.565741],
        "direction": [0.957092, 0.289784],
        "error": 0.565741,
    },
    "11.12": {"ae": 101_522},
    "11.13": {
        "log_px": -1.515512,
        "elbo_exact": -1.515512,
        "elbo_prior": -1.918939,
        "gap": 0.403426,
    },
    "11.14": {"mnist": 784},
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(
            REFERENCE[exercise_id][key], printed, rtol=2e-6, atol=2e-6, err_msg=key
        )


def test_autoencoder_gradients_match_gradient_tape():
    w_e, w_d = tf.Variable(W_E), tf.Variable(W_D)
    x = tf.constant(X_CLEAN)[:, None]
    with tf.GradientTape() as tape:
        x_hat = tf.sigmoid(w_d @ tf.nn.relu(w_e @ x))
        mse = tf.reduce_mean(tf.square(x_hat - x))
    grad_w_d, grad_w_e = tape.gradient(mse, [w_d, w_e])
    np.testing.assert_allclose(REFERENCE["11.2"]["mse"], float(mse), rtol=1e-12)
    np.testing.assert_allclose(REFERENCE["11.2"]["grad_w_d"], grad_w_d, rtol=1e-10)
    np.testing.assert_allclose(REFERENCE["11.2"]["grad_w_e"], grad_w_e, rtol=1e-10)


def test_kl_and_reparameterisation_references_match_dlkit_training():
    for mean, log_var in PROBES["11.6"]:
        np.testing.assert_allclose(
            REFERENCE["11.6"](mean, log_var), training.vae_kl(mean, log_var), rtol=1e-5, atol=1e-6
        )
        # the flipped formula is the typical mistake: never positive
        assert np.all(WRONG["11.6"](mean, log_var) <= 0)
    for mean, log_var, eps in PROBES["11.5"]:
        z = REFERENCE["11.5"](mean, log_var, eps)
        assert z.shape == mean.shape
        # z has mean `mean` and standard deviation exp(log_var / 2) over the noise
        rng = np.random.default_rng(0)
        noise = rng.normal(size=(100_000,) + mean.shape)
        draws = REFERENCE["11.5"](mean, log_var, noise)
        np.testing.assert_allclose(draws.std(axis=0), np.exp(0.5 * log_var), rtol=0.02)


def test_vae_forward_kl_matches_monte_carlo():
    ref = REFERENCE["11.7"]
    rng = np.random.default_rng(0)
    z = ref["mu"] + ref["sigma"] * rng.normal(size=(400_000, 2))
    var = ref["sigma"] ** 2
    log_q = -0.5 * np.sum((z - ref["mu"]) ** 2 / var + np.log(2 * np.pi * var), axis=1)
    log_p = -0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=1)
    assert abs(np.mean(log_q - log_p) - ref["kl"]) < 0.01


def test_linear_ae_numbers_match_sklearn_and_scipy():
    data = linear_ae_data()
    x, w_enc, w_dec = data["x"], data["w_enc"], data["w_dec"]
    pca = PCA(n_components=2).fit(x)
    angle = np.degrees(subspace_angles(w_dec.T, pca.components_.T)).max()
    pca_mse = np.mean((x - pca.inverse_transform(pca.transform(x))) ** 2)
    ratio = np.mean((x - x @ w_enc @ w_dec) ** 2) / pca_mse
    np.testing.assert_allclose(REFERENCE["11.11"]["max_angle_deg"], angle, rtol=1e-8)
    np.testing.assert_allclose(REFERENCE["11.11"]["mse_ratio"], ratio, rtol=1e-8)
    # without the perturbation the autoencoder would be exactly PCA's subspace and error
    assert ratio > 1.0
    # and its basis is not orthonormal
    assert REFERENCE["11.11"]["gram_deviation"] > 0.1


def test_parameter_counts_match_keras():
    layers = keras.layers
    ae = keras.Sequential([keras.Input((784,))] + [layers.Dense(n) for n in (64, 2, 64, 784)])
    inputs = keras.Input((784,))
    hidden = layers.Dense(256)(inputs)
    encoder = keras.Model(inputs, [layers.Dense(2)(hidden), layers.Dense(2)(hidden)])
    decoder = keras.Sequential([keras.Input((2,)), layers.Dense(256), layers.Dense(784)])
    assert REFERENCE["11.12"] == {
        "ae": ae.count_params(),
        "vae_encoder": encoder.count_params(),
        "vae_decoder": decoder.count_params(),
    }


def test_toy_elbo_is_tight_for_the_exact_posterior_and_the_gap_is_a_kl():
    ref = REFERENCE["11.13"]
    assert ref["elbo_exact"] == pytest.approx(ref["log_px"], abs=1e-12)
    # KL(N(0, 1) || N(0.5, 0.5)), the KL from q to the exact posterior
    m0, v0, m1, v1 = 0.0, 1.0, 0.5, 0.5
    kl = 0.5 * (np.log(v1 / v0) + (v0 + (m0 - m1) ** 2) / v1 - 1.0)
    assert ref["gap"] == pytest.approx(kl, rel=1e-10)
