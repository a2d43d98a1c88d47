"""dlkit.attribution: exact maps of linear models, IG completeness, Grad-CAM, occlusion."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import runtime

runtime.import_tensorflow_quietly()
import keras  # noqa: E402

from dlkit import attribution  # noqa: E402

layers = keras.layers


def _linear(seed=0, bias=True):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input((6, 6, 1)), layers.Flatten(), layers.Dense(3, use_bias=bias)]
    )
    kernel = np.random.default_rng(seed).normal(size=(36, 3)).astype("float32")
    model.layers[-1].kernel.assign(kernel)
    return model, kernel


def _cnn(seed=0, functional=False):
    model = _cnn_layers(seed, functional)
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # nonzero biases: otherwise the ReLU net is homogeneous, IG exact
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0.0, 0.3, size=layer.bias.shape).astype("float32"))
    return model


def _cnn_layers(seed, functional):
    keras.utils.set_random_seed(seed)
    stack = [
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.Conv2D(5, 3, padding="same", activation="relu", name="last_conv"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(3),
    ]
    if not functional:
        return keras.Sequential([keras.Input((8, 8, 1)), *stack])
    inputs = keras.Input((8, 8, 1))
    h = inputs
    for layer in stack:
        h = layer(h)
    return keras.Model(inputs, h)


X6 = np.random.default_rng(1).uniform(size=(4, 6, 6, 1)).astype("float32")
C6 = np.array([0, 1, 2, 1])
X8 = np.random.default_rng(2).uniform(size=(3, 8, 8, 1)).astype("float32")
C8 = np.array([2, 0, 1])


def test_saliency_of_a_linear_model_is_the_weight_column():
    model, kernel = _linear()
    expected = np.abs(kernel[:, C6].T).reshape(X6.shape)
    np.testing.assert_allclose(attribution.saliency(model, X6, C6), expected, rtol=1e-6)
    signed = attribution.saliency(model, X6, C6, absolute=False)
    np.testing.assert_allclose(signed, kernel[:, C6].T.reshape(X6.shape), rtol=1e-6)


def test_smoothgrad_of_a_linear_model_equals_its_gradient():
    model, _ = _linear()
    np.testing.assert_allclose(
        attribution.smoothgrad(model, X6, C6, n_samples=3, sigma=0.3),
        attribution.saliency(model, X6, C6),
        rtol=1e-5,
    )


def test_gradient_x_input_and_ig_are_exact_for_a_linear_model_without_bias():
    model, kernel = _linear(bias=False)
    logits = attribution.class_logit(model, X6, C6)
    gxi = attribution.gradient_x_input(model, X6, C6)
    ig = attribution.integrated_gradients(model, X6, C6, steps=3)
    np.testing.assert_allclose(gxi, X6 * kernel[:, C6].T.reshape(X6.shape), rtol=1e-5)
    np.testing.assert_allclose(ig, gxi, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ig.sum(axis=(1, 2, 3)), logits, rtol=1e-4)


def test_integrated_gradients_completeness_gap_shrinks_with_steps():
    model = _cnn()
    target = attribution.class_logit(model, X8, C8) - attribution.class_logit(
        model, np.zeros_like(X8), C8
    )
    gaps = [
        np.abs(
            attribution.integrated_gradients(model, X8, C8, steps=m).sum(axis=(1, 2, 3)) - target
        )
        for m in (2, 64)
    ]
    assert gaps[1].mean() < gaps[0].mean()
    assert np.all(gaps[1] < 0.05 * np.abs(target) + 1e-4)


def test_integrated_gradients_with_a_baseline_adds_up_to_the_difference_of_outputs():
    model, kernel = _linear(bias=True)
    baseline = np.full_like(X6, 0.5)
    ig = attribution.integrated_gradients(model, X6, C6, baseline=baseline, steps=2)
    diff = attribution.class_logit(model, X6, C6) - attribution.class_logit(model, baseline, C6)
    np.testing.assert_allclose(ig.sum(axis=(1, 2, 3)), diff, rtol=1e-4, atol=1e-5)


def test_grad_cam_is_the_same_for_sequential_and_functional_models():
    sequential = _cnn()
    functional = _cnn(functional=True)
    functional.set_weights(sequential.get_weights())
    small = attribution.grad_cam(sequential, X8, C8, "last_conv", upsample=False)
    assert small.shape == (3, 8, 8)
    np.testing.assert_allclose(
        small, attribution.grad_cam(functional, X8, C8, "last_conv", upsample=False), rtol=1e-5
    )
    big = attribution.grad_cam(sequential, X8, C8, "last_conv")
    assert big.shape == (3, 8, 8) and np.all(big >= 0)
    # clone_model gives a Sequential that was never called symbolically: still works
    attribution.grad_cam(keras.models.clone_model(sequential), X8, C8, "last_conv")
    with pytest.raises(ValueError):
        attribution.grad_cam(sequential, X8, C8, "no_such_layer")


def test_occlusion_of_a_linear_model_with_disjoint_patches():
    model, kernel = _linear(bias=False)
    heat = attribution.occlusion(model, X6, C6, patch=2, stride=2)
    contribution = (X6[..., 0] * kernel[:, C6].T.reshape(X6.shape[:3])).reshape(4, 3, 2, 3, 2)
    expected = np.repeat(np.repeat(contribution.sum(axis=(2, 4)), 2, axis=1), 2, axis=2)
    np.testing.assert_allclose(heat, expected, rtol=1e-4, atol=1e-5)
