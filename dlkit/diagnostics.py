"""Measurements inside a network: per-layer gradient norms and activation statistics.

These answer the questions of the activations, initialisation and normalisation
chapters: do gradients vanish or explode with depth, does the signal keep its
scale from layer to layer, how many ReLU units are dead.

Example:
    >>> norms = gradient_norms_by_layer(model, x, y)  # doctest: +SKIP
    >>> norms["dense"] / norms["dense_9"]  # first vs last kernel  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["gradient_norms_by_layer", "layer_outputs", "activation_stats", "dead_unit_fraction"]


def _check_model(model: Any, name: str = "model") -> None:
    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model, got {type(model).__name__}")


def _loss_function(model: keras.Model, loss: Any):
    if loss is not None:
        return keras.losses.get(loss)
    compiled = getattr(model, "loss", None)
    if compiled is None:
        raise ValueError("pass loss=... or compile the model with a loss first")
    return keras.losses.get(compiled)


def gradient_norms_by_layer(
    model: keras.Model,
    x: Any,
    y: Any,
    *,
    loss: Any = None,
    weight: str = "kernel",
    training: bool = False,
) -> dict[str, float]:
    """Frobenius norm of dL/dW for one weight of every layer that has it, in layer order.

    One forward and backward pass on ``(x, y)``, no update.

    Args:
        model: a built (or buildable) Keras model.
        x: a batch of inputs.
        y: its targets.
        loss: a Keras loss (name or object); default: the model's compiled loss.
        weight: which weight of each layer to report, by its name (``"kernel"``,
            ``"bias"``, ``"gamma"``...).
        training: run the forward pass in training mode (dropout, batch statistics).

    Returns:
        ``{layer_name: norm}`` for every layer owning a weight called ``weight``.

    Raises:
        TypeError: ``model`` is not a Keras model.
        ValueError: no loss is known, or no layer has such a weight.
    """
    _check_model(model)
    loss_fn = _loss_function(model, loss)
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        predictions = model(x, training=training)
        value = loss_fn(y, predictions)
    targets = []
    for layer in model.layers:
        for variable in layer.trainable_weights:
            if variable.path.split("/")[-1] == weight:
                targets.append((layer.name, variable))
    if not targets:
        raise ValueError(f"no layer of {model.name!r} has a trainable weight called {weight!r}")
    gradients = tape.gradient(value, [variable for _, variable in targets])
    # float64: squaring a float32 gradient of 1e-20 would underflow to an exact 0
    return {
        name: 0.0 if grad is None else float(tf.norm(tf.cast(grad, tf.float64)))
        for (name, _), grad in zip(targets, gradients)
    }


def layer_outputs(model: keras.Model, x: Any, *, training: bool = False) -> dict[str, np.ndarray]:
    """The output of every layer of a Sequential or functional model on ``x``.

    Returns:
        ``{layer_name: output array}`` in layer order (input layers excluded).
    """
    _check_model(model)
    if not model.built or not getattr(model, "inputs", None):
        model(tf.convert_to_tensor(x[:1]))  # build a Sequential model without an Input
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError("layer_outputs needs a Sequential or functional model with known inputs")
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(inputs, [layer.output for layer in layers])
    outputs = probe(tf.convert_to_tensor(x), training=training)
    return {layer.name: np.asarray(out) for layer, out in zip(layers, outputs)}


def activation_stats(
    model: keras.Model, x: Any, *, training: bool = False
) -> dict[str, dict[str, float]]:
    """Mean, standard deviation and fraction of exact zeros of every layer's output.

    Returns:
        ``{layer_name: {"mean": ..., "std": ..., "zero_fraction": ...}}`` in layer order.
    """
    stats = {}
    for name, out in layer_outputs(model, x, training=training).items():
        stats[name] = {
            "mean": float(out.mean()),
            "std": float(out.std()),
            "zero_fraction": float(np.mean(out == 0)),
        }
    return stats


def dead_unit_fraction(activations: Any) -> float:
    """Fraction of units (last axis) that output exactly zero for every example.

    A ReLU unit that is zero on the whole batch gets no gradient from it: it is
    *dead* for this data.

    Args:
        activations: array of shape ``(batch, ..., units)``.
    """
    array = np.asarray(activations)
    if array.ndim < 2:
        raise ValueError(f"activations need a batch axis and a unit axis, got shape {array.shape}")
    per_unit = array.reshape(-1, array.shape[-1])
    return float(np.mean(np.all(per_unit == 0, axis=0)))
