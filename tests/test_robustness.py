"""dlkit.robustness: FGSM and PGD stay in the budget, accuracy under attack, adversarial steps."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import runtime

runtime.import_tensorflow_quietly()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from dlkit import robustness  # noqa: E402

layers = keras.layers


def _linear(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4, 4, 1)), layers.Flatten(), layers.Dense(3)])
    kernel = np.random.default_rng(seed).normal(size=(16, 3)).astype("float32")
    model.layers[-1].kernel.assign(kernel)
    return model, kernel


X = np.random.default_rng(3).uniform(size=(20, 4, 4, 1)).astype("float32")


def _labels(model):
    return np.argmax(model(X), axis=1)


def _loss(model, x, y):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x)).numpy()


def test_fgsm_of_a_linear_model_matches_the_closed_form():
    model, kernel = _linear()
    y = _labels(model)
    logits = model(X).numpy()
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    grad = (p - np.eye(3)[y]) @ kernel.T  # ∂L/∂x for softmax cross-entropy
    expected = np.clip(X + 0.1 * np.sign(grad).reshape(X.shape), 0, 1)
    np.testing.assert_allclose(robustness.fgsm(model, X, y, 0.1), expected, atol=1e-6)


@pytest.mark.parametrize("epsilon", [0.0, 0.05, 0.2])
def test_pgd_stays_in_the_box_and_the_ball_and_raises_the_loss(epsilon):
    model, _ = _linear()
    y = _labels(model)
    adv = robustness.pgd(model, X, y, epsilon, steps=5).numpy()
    assert np.abs(adv - X).max() <= epsilon + 1e-6
    assert adv.min() >= 0.0 and adv.max() <= 1.0
    if epsilon == 0:
        np.testing.assert_array_equal(adv, X)
    else:
        assert _loss(model, adv, y) > _loss(model, X, y)


def test_accuracy_under_attack():
    model, _ = _linear()
    y = _labels(model)
    assert robustness.accuracy(model, X, y) == 1.0
    for attack in ("fgsm", "pgd", "noise"):
        accs = robustness.accuracy_under_attack(model, X, y, [0.0, 0.3], attack, batch_size=7)
        assert accs.shape == (2,) and accs[0] == 1.0
    pgd = robustness.accuracy_under_attack(model, X, y, [0.3], "pgd")
    noise = robustness.accuracy_under_attack(model, X, y, [0.3], "noise")
    assert pgd[0] <= noise[0]
    with pytest.raises(ValueError):
        robustness.accuracy_under_attack(model, X, y, [0.1], "nonsense")


def test_adversarial_train_step_runs_eagerly_and_compiled_and_lowers_the_robust_loss():
    model, _ = _linear()
    y = np.arange(20) % 3
    optimizer = keras.optimizers.Adam(0.05)
    step = tf.function(
        lambda xb, yb, seed: robustness.adversarial_train_step(
            model, optimizer, xb, yb, 0.05, steps=2, seed=seed
        )
    )
    before = _loss(model, robustness.pgd(model, X, y, 0.05), y)
    eager = float(robustness.adversarial_train_step(model, optimizer, X, y, 0.05, steps=2))
    assert np.isfinite(eager)
    for i in range(30):
        step(X, y, tf.constant(i))
    after = _loss(model, robustness.pgd(model, X, y, 0.05), y)
    assert after < before
