"""dlkit.diagnostics and dlkit.training.lr_range_test."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlkit import data, diagnostics, training


@pytest.fixture(scope="module")
def batch():
    x, y = data.load_digits(flatten=True, verbose=False)
    x = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-8)
    return x[:256].astype("float32"), y[:256]


def deep_net(activation, initializer, depth=10, seed=0):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((64,))]
    layers += [
        keras.layers.Dense(32, activation=activation, kernel_initializer=initializer, name=f"h{i}")
        for i in range(depth)
    ]
    layers.append(keras.layers.Dense(10, name="logits"))
    return keras.Sequential(layers)


def test_gradient_norms_match_a_hand_tape(batch):
    x, y = batch
    model = deep_net("tanh", "glorot_uniform", depth=3)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    norms = diagnostics.gradient_norms_by_layer(model, x, y, loss=loss)
    assert list(norms) == ["h0", "h1", "h2", "logits"]
    with tf.GradientTape() as tape:
        value = loss(y, model(x))
    grads = tape.gradient(value, [layer.kernel for layer in model.layers])
    np.testing.assert_allclose(list(norms.values()), [float(tf.norm(g)) for g in grads], rtol=1e-6)


def test_sigmoid_gradients_vanish_and_relu_he_do_not(batch):
    x, y = batch
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def ratio(activation, initializer):
        norms = diagnostics.gradient_norms_by_layer(
            deep_net(activation, initializer), x, y, loss=loss
        )
        return norms["h0"] / norms["h9"]

    assert ratio("sigmoid", "glorot_uniform") < 1e-3
    assert ratio("relu", "he_normal") > 1e-2


def test_gradient_norms_use_the_compiled_loss_and_other_weights(batch):
    x, y = batch
    model = deep_net("relu", "he_normal", depth=2)
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert set(diagnostics.gradient_norms_by_layer(model, x, y, weight="bias")) == {
        "h0",
        "h1",
        "logits",
    }
    with pytest.raises(ValueError, match="no layer .* weight called 'gamma'"):
        diagnostics.gradient_norms_by_layer(model, x, y, weight="gamma")
    with pytest.raises(ValueError, match="compile the model"):
        diagnostics.gradient_norms_by_layer(deep_net("relu", "he_normal", 1), x, y)
    with pytest.raises(TypeError, match="keras.Model"):
        diagnostics.gradient_norms_by_layer("model", x, y)


def test_activation_stats_show_he_keeps_the_scale():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 128)).astype("float32")

    def stack(initializer):
        keras.utils.set_random_seed(0)
        return keras.Sequential(
            [keras.Input((128,))]
            + [
                keras.layers.Dense(128, "relu", use_bias=False, kernel_initializer=initializer)
                for _ in range(10)
            ]
        )

    for initializer, low, high in (("he_normal", 0.5, 2.0), ("glorot_uniform", 0.0, 0.1)):
        stats = list(diagnostics.activation_stats(stack(initializer), x).values())
        assert len(stats) == 10
        ratio = stats[-1]["std"] / stats[0]["std"]
        assert low < ratio < high, (initializer, ratio)
        assert 0.3 < stats[0]["zero_fraction"] < 0.7  # ReLU zeroes about half the units


def test_layer_outputs_match_calling_the_layers(batch):
    x, _ = batch
    model = deep_net("relu", "he_normal", depth=2)
    outputs = diagnostics.layer_outputs(model, x)
    np.testing.assert_allclose(outputs["logits"], model(x).numpy(), rtol=1e-5, atol=1e-6)
    first = model.layers[0](x).numpy()
    np.testing.assert_allclose(outputs["h0"], first, rtol=1e-5, atol=1e-6)


def test_dead_unit_fraction():
    activations = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    assert diagnostics.dead_unit_fraction(activations) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="batch axis"):
        diagnostics.dead_unit_fraction(np.zeros(3))


def test_lr_range_test_finds_a_sane_rate_and_restores_state(batch):
    x, y = batch
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(32, "relu"), keras.layers.Dense(10)]
    )
    model.compile(
        keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    training.fit(model, x, y, epochs=1, verbose=0)  # builds optimizer state worth restoring
    before = [w.copy() for w in model.get_weights()]
    iterations = int(model.optimizer.iterations)
    result = training.lr_range_test(model, x, y, min_lr=1e-5, max_lr=100.0, steps=60, batch_size=32)
    assert len(result["lr"]) == len(result["loss"]) <= 60
    assert len(result["lr"]) < 60  # the loss blew up before 100 and the test stopped
    assert 1e-3 < result["lr_at_min"] < 50
    assert result["suggested_lr"] == pytest.approx(result["lr_at_min"] / 10)
    assert np.all(np.diff(result["lr"]) > 0)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))
    assert int(model.optimizer.iterations) == iterations
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_lr_range_test_rejects_bad_arguments(batch):
    x, y = batch
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match="min_lr < max_lr"):
        training.lr_range_test(model, x, y, min_lr=1.0, max_lr=0.1)
    with pytest.raises(ValueError, match="steps must be >= 2"):
        training.lr_range_test(model, x, y, steps=1)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)
    model.compile(keras.optimizers.SGD(schedule), "mse")
    with pytest.raises(ValueError, match="constant learning rate"):
        training.lr_range_test(model, x, y)


def test_tiny_gradients_do_not_underflow_to_zero():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="tiny")])
    model.layers[0].kernel.assign(np.zeros((4, 3), "float32"))
    x = np.full((2, 4), 1e-21, "float32")  # dL/dW = x^T (...) ~ 1e-21: its square underflows
    norms = diagnostics.gradient_norms_by_layer(model, x, np.ones((2, 3), "float32"), loss="mse")
    assert 1e-23 < norms["tiny"] < 1e-19
