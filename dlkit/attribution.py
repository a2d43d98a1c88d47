"""Gradient-based and perturbation-based attributions for Keras image classifiers.

Every function explains the *logit* ``f_c`` of class ``c`` (the model must output logits) for a
batch of images ``x`` of shape ``(n, H, W, C)`` and returns maps of the same shape (Grad-CAM and
occlusion return ``(n, H, W)``). TensorFlow backend only: the gradients are taken with
``tf.GradientTape`` on the input.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "class_logit",
    "grad_cam",
    "gradient_x_input",
    "integrated_gradients",
    "occlusion",
    "saliency",
    "smoothgrad",
]


def class_logit(model: keras.Model, x: Any, classes: Any) -> np.ndarray:
    """The logit ``f_c(x)`` of class ``classes[i]`` for every image ``x[i]``."""
    logits = model(tf.cast(x, tf.float32), training=False)
    return tf.gather(logits, tf.cast(classes, tf.int32), batch_dims=1).numpy()


def _gradients(model: keras.Model, x: Any, classes: Any) -> tf.Tensor:
    x = tf.cast(x, tf.float32)
    classes = tf.cast(classes, tf.int32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = model(x, training=False)
        target = tf.reduce_sum(tf.gather(logits, classes, batch_dims=1))
    return tape.gradient(target, x)


def saliency(model: keras.Model, x: Any, classes: Any, *, absolute: bool = True) -> np.ndarray:
    """Vanilla gradient ``∂f_c/∂x`` (its absolute value when ``absolute``)."""
    g = _gradients(model, x, classes).numpy()
    return np.abs(g) if absolute else g


def gradient_x_input(model: keras.Model, x: Any, classes: Any) -> np.ndarray:
    """Gradient × input, ``x_i ∂f_c/∂x_i`` (signed)."""
    return np.asarray(x, np.float32) * saliency(model, x, classes, absolute=False)


def smoothgrad(
    model: keras.Model,
    x: Any,
    classes: Any,
    *,
    n_samples: int = 25,
    sigma: float = 0.15,
    seed: int = 0,
    absolute: bool = True,
) -> np.ndarray:
    """Mean gradient over ``n_samples`` noisy copies ``x + N(0, sigma²)`` (absolute at the end)."""
    x = np.asarray(x, np.float32)
    rng = np.random.default_rng(seed)
    total = np.zeros_like(x)
    for _ in range(n_samples):
        noisy = x + rng.normal(0.0, sigma, size=x.shape).astype(np.float32)
        total += saliency(model, noisy, classes, absolute=False)
    mean = total / n_samples
    return np.abs(mean) if absolute else mean


def integrated_gradients(
    model: keras.Model, x: Any, classes: Any, *, baseline: Any = None, steps: int = 32
) -> np.ndarray:
    """Integrated Gradients with the midpoint rule: ``(x − x') · mean_k ∇f_c(x' + α_k (x − x'))``.

    ``α_k = (k − 1/2)/steps``; the default baseline is the black image. The attributions of each
    image add up to ``f_c(x) − f_c(x')`` up to the quadrature error, which shrinks with ``steps``.
    """
    x = np.asarray(x, np.float32)
    base = np.zeros_like(x) if baseline is None else np.broadcast_to(baseline, x.shape)
    base = base.astype(np.float32)
    classes = np.asarray(classes)
    total = np.zeros_like(x)
    for k in range(steps):
        alpha = (k + 0.5) / steps
        total += saliency(model, base + alpha * (x - base), classes, absolute=False)
    return (x - base) * total / steps


def grad_cam(
    model: keras.Model, x: Any, classes: Any, layer_name: str, *, upsample: bool = True
) -> np.ndarray:
    """Grad-CAM: ``ReLU(Σ_k α_k A^k)`` with ``α_k`` the spatial mean of ``∂f_c/∂A^k``.

    Returns ``(n, h, w)`` maps at the layer's resolution, or bilinearly resized to the input size
    when ``upsample``.
    """
    x = tf.cast(x, tf.float32)
    classes = tf.cast(classes, tf.int32)
    with tf.GradientTape() as tape:
        if isinstance(model, keras.Sequential):
            # run the layers one by one (a cloned Sequential has no symbolic output yet)
            h, maps = x, None
            for layer in model.layers:
                h = layer(h, training=False)
                if layer.name == layer_name:
                    maps = h
            if maps is None:
                raise ValueError(f"no layer named {layer_name!r}")
            logits = h
        else:
            layer_output = model.get_layer(layer_name).output
            grad_model = keras.Model(model.inputs, [layer_output, model.outputs[0]])
            maps, logits = grad_model(x, training=False)
        target = tf.reduce_sum(tf.gather(logits, classes, batch_dims=1))
    grads = tape.gradient(target, maps)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))
    if upsample:
        cam = keras.ops.image.resize(cam[..., None], tuple(x.shape[1:3]), interpolation="bilinear")
        cam = cam[..., 0]
    return keras.ops.convert_to_numpy(cam)


def occlusion(
    model: keras.Model,
    x: Any,
    classes: Any,
    *,
    patch: int = 4,
    stride: int = 2,
    value: float = 0.0,
) -> np.ndarray:
    """Occlusion sensitivity ``f_c(x) − f_c(x with a patch set to value)``, averaged per pixel.

    One forward pass per patch position: ``((H − patch)/stride + 1)²`` of them for square inputs.
    Returns ``(n, H, W)``; pixels covered by several patches get the mean of their drops.
    """
    x = np.asarray(x, np.float32)
    classes = np.asarray(classes)
    n, height, width = x.shape[:3]
    clean = class_logit(model, x, classes)
    heat = np.zeros((n, height, width), np.float32)
    count = np.zeros((height, width), np.float32)
    for i in range(0, height - patch + 1, stride):
        for j in range(0, width - patch + 1, stride):
            occluded = x.copy()
            occluded[:, i : i + patch, j : j + patch] = value
            drop = clean - class_logit(model, occluded, classes)
            heat[:, i : i + patch, j : j + patch] += drop[:, None, None]
            count[i : i + patch, j : j + patch] += 1
    return heat / np.maximum(count, 1)
