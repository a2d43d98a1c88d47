"""dlkit.selfsup: the EMA update, the BYOL loss against NumPy, a stop-gradient target, the step."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import runtime

runtime.import_tensorflow_quietly()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from dlkit import selfsup  # noqa: E402
from dlkit.training import fit_steps  # noqa: E402

layers = keras.layers


def _online(seed=0, batch_norm=True):
    keras.utils.set_random_seed(seed)
    hidden = [layers.Dense(8), layers.BatchNormalization(), layers.ReLU()] if batch_norm else []
    return keras.Sequential([keras.Input((6,)), *hidden, layers.Dense(4)])


def _copy(online):
    target = keras.models.clone_model(online)
    target.set_weights(online.get_weights())
    return target


def _augment(x, training=True):
    return x + tf.random.normal(tf.shape(x), stddev=0.1)


def test_byol_loss_matches_numpy_and_is_scale_free():
    rng = np.random.default_rng(0)
    p, z = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    expected = np.mean(np.sum((unit(p) - unit(z)) ** 2, axis=1))
    np.testing.assert_allclose(float(selfsup.byol_loss(p, z)), expected, rtol=1e-5)
    np.testing.assert_allclose(expected, np.mean(2 - 2 * np.sum(unit(p) * unit(z), 1)), rtol=1e-9)
    np.testing.assert_allclose(float(selfsup.byol_loss(3 * p, 0.1 * z)), expected, rtol=1e-5)
    # the curriculum's worked example (exercise 2): mean 0.00705
    online = np.array([[0.2, 0.4], [0.3, 0.6], [0.5, 0.7]])
    target = np.array([[0.1, 0.3], [0.4, 0.8], [0.6, 0.9]])
    np.testing.assert_allclose(float(selfsup.byol_loss(online, target)), 0.00705, atol=1e-5)


def test_byol_loss_sends_no_gradient_to_the_target_side():
    p = tf.Variable(np.random.default_rng(1).normal(size=(4, 3)), dtype=tf.float32)
    z = tf.Variable(np.random.default_rng(2).normal(size=(4, 3)), dtype=tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        loss = selfsup.byol_loss(p, z)
    assert tape.gradient(loss, z) is None
    assert tape.gradient(loss, p) is not None


def test_ema_update_matches_the_formula_on_every_weight():
    online, target = _online(0), _online(1)  # different random weights, same architecture
    for v in online.non_trainable_weights:  # give BatchNorm statistics nonzero values
        v.assign(tf.ones_like(v) * 2.0)
    before = [w.copy() for w in target.get_weights()]
    selfsup.ema_update(target, online, momentum=0.9)
    after, theta = target.get_weights(), online.get_weights()
    assert len(after) == 8  # kernel, bias, gamma, beta, moving mean, moving var, kernel, bias
    for t, t0, o in zip(after, before, theta):
        np.testing.assert_allclose(t, 0.9 * t0 + 0.1 * o, rtol=1e-6, atol=1e-7)


def test_ema_gap_shrinks_geometrically():
    online = keras.Sequential([keras.Input((2,)), layers.Dense(2, kernel_initializer="ones")])
    target = _copy(online)
    target.set_weights([np.zeros_like(w) for w in online.get_weights()])
    for _ in range(20):
        selfsup.ema_update(target, online, momentum=0.99)
    np.testing.assert_allclose(1 - target.get_weights()[0], 0.99**20, rtol=1e-5)
    selfsup.ema_update(target, online, momentum=0.0)  # m = 0 copies
    np.testing.assert_array_equal(target.get_weights()[0], online.get_weights()[0])


def test_ema_update_refuses_shared_or_mismatched_networks():
    online = _online(0)
    shared = keras.Sequential([keras.Input((6,)), *online.layers])  # same layer objects
    with pytest.raises(ValueError, match="share"):
        selfsup.ema_update(shared, online)
    other = keras.Sequential([keras.Input((6,)), layers.Dense(4)])
    with pytest.raises(ValueError, match="weights"):
        selfsup.ema_update(other, online)
    with pytest.raises(ValueError, match="momentum must be in"):
        selfsup.ema_update(_copy(online), online, momentum=1.5)
    with pytest.raises(TypeError, match="target must be a keras.Model"):
        selfsup.ema_update("target", online)


def test_byol_objective_gives_the_target_no_gradient():
    online = _online(0)
    predictor = keras.Sequential([keras.Input((4,)), layers.Dense(4)])
    target = _copy(online)
    x = tf.constant(np.random.default_rng(0).normal(size=(16, 6)), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        loss, z1, z2 = selfsup.byol_objective(online, predictor, target, x, x + 0.1)
    assert z1.shape == (16, 4) and z2.shape == (16, 4)
    assert all(g is None for g in tape.gradient(loss, target.trainable_variables))
    assert all(g is not None for g in tape.gradient(loss, online.trainable_variables))
    assert all(g is not None for g in tape.gradient(loss, predictor.trainable_variables))


def test_byol_step_updates_online_by_gradient_and_target_only_by_ema():
    online = _online(0)
    predictor = keras.Sequential([keras.Input((4,)), layers.Dense(4)])
    target = _copy(online)
    step = selfsup.byol_step(
        online, predictor, target, keras.optimizers.SGD(0.1), _augment, momentum=0.9
    )
    x = np.random.default_rng(0).normal(size=(32, 6)).astype("float32")
    target_before = [v.numpy().copy() for v in target.trainable_weights]
    logs = step(tf.constant(x))
    assert set(logs) == {"loss", "std"} and 0 <= float(logs["loss"]) <= 4
    online_after = [v.numpy() for v in online.trainable_weights]
    # the online network moved, and the target's trainable weights are exactly the EMA of
    # before and after (its BatchNorm statistics also follow its own training-mode forward)
    assert any(not np.allclose(a, b) for a, b in zip(online_after, target_before))
    for t, t0, o in zip(target.trainable_weights, target_before, online_after):
        np.testing.assert_allclose(t.numpy(), 0.9 * t0 + 0.1 * o, rtol=1e-5, atol=1e-6)


def test_byol_step_trains_with_fit_steps_and_refuses_a_shared_target():
    online = _online(0)
    predictor = keras.Sequential([keras.Input((4,)), layers.Dense(4)])
    target = _copy(online)
    step = selfsup.byol_step(online, predictor, target, keras.optimizers.Adam(1e-2), _augment)
    x = np.random.default_rng(0).normal(size=(128, 6)).astype("float32")
    history = fit_steps(step, x, batch_size=32, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert np.isfinite(history.history["std"]).all()
    with pytest.raises(ValueError, match="share"):
        selfsup.byol_step(online, predictor, online, keras.optimizers.Adam(), _augment)
    with pytest.raises(TypeError, match="augment must be callable"):
        selfsup.byol_step(online, predictor, _copy(online), keras.optimizers.Adam(), "noise")
    with pytest.raises(TypeError, match="optimizer"):
        selfsup.byol_step(online, predictor, _copy(online), "adam", _augment)


def test_embedding_std_detects_collapse():
    spread = np.random.default_rng(0).normal(size=(2000, 16))
    np.testing.assert_allclose(float(selfsup.embedding_std(spread)), 1 / np.sqrt(16), rtol=0.05)
    collapsed = np.tile(np.arange(1.0, 17.0), (50, 1))
    assert float(selfsup.embedding_std(collapsed)) < 1e-6
