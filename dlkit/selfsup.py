"""BYOL building blocks: the EMA target update, the normalised regression loss and a step.

BYOL trains an *online* network (encoder, projector and a predictor) to predict the
projection that a *target* network (encoder and projector only) gives for another view
of the same image. The target never receives a gradient: its weights follow the online
weights as an exponential moving average, ``xi <- m xi + (1 - m) theta``. The target
must own its weights (``keras.models.clone_model`` followed by ``set_weights``): a target
that shares variables with the online network makes the EMA a no-op.

:func:`byol_step` returns a compiled step for :func:`dlkit.training.fit_steps`, with the
EMA update at the end of every step inside the same graph.

Example:
    >>> online = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32)])  # doctest: +SKIP
    >>> target = keras.models.clone_model(online)  # doctest: +SKIP
    >>> target.set_weights(online.get_weights())  # an exact copy  # doctest: +SKIP
    >>> predictor = keras.Sequential([keras.Input((32,)), keras.layers.Dense(32)])  # doctest: +SKIP
    >>> optimizer = keras.optimizers.Adam()  # doctest: +SKIP
    >>> step = byol_step(online, predictor, target, optimizer, augment)  # doctest: +SKIP
    >>> history = fit_steps(step, x, batch_size=256, epochs=100)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["byol_loss", "byol_objective", "byol_step", "ema_update", "embedding_std"]


def _check_model(name: str, value: Any) -> None:
    if not isinstance(value, (keras.Model, keras.layers.Layer)):
        raise TypeError(f"{name} must be a keras.Model, got {type(value).__name__}")


def _check_momentum(momentum: Any) -> None:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating)):
        raise TypeError(f"momentum must be a number, got {type(momentum).__name__} {momentum!r}")
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")


def _paired_weights(target: Any, online: Any) -> list[tuple[Any, Any]]:
    """Pair the variables of two networks of the same architecture; refuse shared ones."""
    _check_model("target", target)
    _check_model("online", online)
    target_weights, online_weights = list(target.weights), list(online.weights)
    if len(target_weights) != len(online_weights):
        raise ValueError(
            f"target has {len(target_weights)} weights but online has {len(online_weights)}: "
            "build the target with keras.models.clone_model(online)"
        )
    online_ids = {id(v) for v in online_weights}
    shared = [v.path for v in target_weights if id(v) in online_ids]
    if shared:
        raise ValueError(
            f"target and online share {len(shared)} variables (e.g. {shared[0]!r}): the EMA "
            "update would do nothing. Give the target its own weights: "
            "target = keras.models.clone_model(online); target.set_weights(online.get_weights())"
        )
    for t, o in zip(target_weights, online_weights):
        if tuple(t.shape) != tuple(o.shape):
            raise ValueError(
                f"weight shapes differ: target {t.path} {tuple(t.shape)} vs online "
                f"{o.path} {tuple(o.shape)}"
            )
    return list(zip(target_weights, online_weights))


def _assign_ema(pairs: list[tuple[Any, Any]], momentum: float) -> None:
    for t, o in pairs:
        t.assign(momentum * t + (1.0 - momentum) * tf.cast(o, t.dtype))


def ema_update(target: Any, online: Any, momentum: float = 0.99) -> None:
    """Move every weight of ``target`` towards ``online``: ``t <- m t + (1 - m) o``.

    All weights are updated, trainable ones and BatchNormalization's moving statistics.

    Args:
        target: the target network (its own variables, same architecture as ``online``).
        online: the online network (without the predictor).
        momentum: ``m`` in ``[0, 1]``; ``m = 1`` freezes the target, ``m = 0`` copies.

    Raises:
        ValueError: if the two networks share a variable, or their weights do not match.

    Example:
        >>> ema_update(target, online, momentum=0.99)  # doctest: +SKIP
    """
    _check_momentum(momentum)
    _assign_ema(_paired_weights(target, online), float(momentum))


def byol_loss(prediction: Any, target_projection: Any) -> tf.Tensor:
    """Mean over the batch of ``||p/|p| - z/|z|||^2 = 2 - 2 cos(p, z)``.

    The target side is wrapped in ``stop_gradient``: no gradient ever flows into it.

    Args:
        prediction: online predictions ``p``, ``(N, d)``.
        target_projection: target projections ``z'`` of the other view, ``(N, d)``.

    Returns:
        A scalar float32 tensor in ``[0, 4]``.
    """
    p = tf.math.l2_normalize(tf.cast(prediction, tf.float32), axis=1)
    z = tf.stop_gradient(tf.math.l2_normalize(tf.cast(target_projection, tf.float32), axis=1))
    return tf.reduce_mean(2.0 - 2.0 * tf.reduce_sum(p * z, axis=1))


def byol_objective(
    online: Any, predictor: Any, target: Any, view1: Any, view2: Any, *, training: bool = True
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """The symmetrised BYOL loss of two views, and the online projections of both.

    ``L = (byol_loss(q(g(f(v1))), g'(f'(v2))) + byol_loss(q(g(f(v2))), g'(f'(v1)))) / 2``;
    with ``predictor=None`` the online projections regress the target ones directly
    (the variant that collapses).

    Returns:
        ``(loss, z1, z2)``, ``z1`` and ``z2`` being the online projections of the views.
    """
    z1 = online(view1, training=training)
    z2 = online(view2, training=training)
    p1 = predictor(z1, training=training) if predictor is not None else z1
    p2 = predictor(z2, training=training) if predictor is not None else z2
    t1 = tf.stop_gradient(target(view1, training=training))
    t2 = tf.stop_gradient(target(view2, training=training))
    loss = 0.5 * (byol_loss(p1, t2) + byol_loss(p2, t1))
    return loss, z1, z2


def embedding_std(z: Any) -> tf.Tensor:
    """Collapse monitor: mean over dimensions of the std of L2-normalised rows of ``z``.

    About ``1/sqrt(d)`` for embeddings spread over the sphere, 0 when they all collapse
    to one vector.
    """
    z = tf.math.l2_normalize(tf.cast(z, tf.float32), axis=1)
    return tf.reduce_mean(tf.math.reduce_std(z, axis=0))


def byol_step(
    online: Any,
    predictor: Any,
    target: Any,
    optimizer: keras.optimizers.Optimizer,
    augment: Any,
    *,
    momentum: float = 0.99,
    jit_compile: bool = False,
):
    """Build a compiled BYOL step: two views, symmetrised loss, online update, then EMA.

    Args:
        online: encoder followed by projector, images -> ``(batch, d)``; trained.
        predictor: ``(batch, d) -> (batch, d)``, trained; ``None`` removes it.
        target: a copy of ``online`` with its own weights; updated only by EMA.
        optimizer: optimizer of the online network and the predictor.
        augment: callable ``augment(x, training=True)`` drawing a random view.
        momentum: EMA momentum ``m`` of the target, in ``[0, 1]``.
        jit_compile: compile the step with XLA.

    The target runs in training mode (BatchNorm normalises with batch statistics, as in
    BYOL), so its BatchNorm moving statistics move with its own forward pass before the
    EMA blends them with the online ones; its trainable weights change only by the EMA.

    Returns:
        A ``tf.function`` ``step(x)`` returning ``{"loss", "std"}`` (``std``: the
        :func:`embedding_std` of the online projections of the first view).

    Raises:
        ValueError: if the target shares variables with the online network or the
            predictor, or does not have the same weights' shapes.
    """
    pairs = _paired_weights(target, online)
    if predictor is not None:
        _check_model("predictor", predictor)
        target_ids = {id(v) for v in target.weights}
        if any(id(v) in target_ids for v in predictor.weights):
            raise ValueError("the predictor shares variables with the target network")
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras optimizer, got {type(optimizer).__name__}")
    if not callable(augment):
        raise TypeError(f"augment must be callable, got {type(augment).__name__}")
    _check_momentum(momentum)
    momentum = float(momentum)
    trainable = list(online.trainable_variables)
    if predictor is not None:
        trainable += list(predictor.trainable_variables)

    def step(x):
        view1 = augment(x, training=True)
        view2 = augment(x, training=True)
        # forward: online and predictor on both views, target under stop_gradient
        with tf.GradientTape() as tape:
            loss, z1, _ = byol_objective(online, predictor, target, view1, view2)
        # gradients: online network and predictor only
        grads = tape.gradient(loss, trainable)
        # update: the optimizer for the online side, then the EMA for the target
        optimizer.apply_gradients(zip(grads, trainable))
        _assign_ema(pairs, momentum)
        return {"loss": loss, "std": embedding_std(z1)}

    return tf.function(step, jit_compile=bool(jit_compile))
