"""L∞ adversarial attacks (FGSM, PGD), accuracy under attack and an adversarial training step.

Inputs live in ``[0, 1]``; ``epsilon`` is in those units. Models must output logits. TensorFlow
backend only (gradients with respect to the input).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["accuracy", "accuracy_under_attack", "adversarial_train_step", "fgsm", "pgd"]

_LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")


def _input_gradient(model: keras.Model, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = _LOSS(y, model(x, training=False))
    return tape.gradient(loss, x)


def fgsm(model: keras.Model, x: Any, y: Any, epsilon: float) -> tf.Tensor:
    """``clip_[0,1](x + ε sign ∇_x L(f(x), y))``: one step of ascent on the true label's loss."""
    x = tf.cast(x, tf.float32)
    y = tf.cast(y, tf.int32)
    g = _input_gradient(model, x, y)
    return tf.clip_by_value(x + epsilon * tf.sign(g), 0.0, 1.0)


def pgd(
    model: keras.Model,
    x: Any,
    y: Any,
    epsilon: float,
    *,
    steps: int = 10,
    step_size: float | None = None,
    random_start: bool = True,
    seed: int = 0,
) -> tf.Tensor:
    """Projected gradient descent (ascent on the loss) in the L∞ ball of radius ``epsilon``.

    Step size ``ε/4`` by default; after each signed step the point is clipped to
    ``[x − ε, x + ε]`` and then to ``[0, 1]``.
    """
    x = tf.cast(x, tf.float32)
    y = tf.cast(y, tf.int32)
    alpha = epsilon / 4 if step_size is None else step_size
    if random_start and epsilon > 0:
        noise = tf.random.stateless_uniform(tf.shape(x), (seed, 0), -epsilon, epsilon)
        adv = tf.clip_by_value(x + noise, 0.0, 1.0)
    else:
        adv = x
    for _ in range(steps):
        adv = adv + alpha * tf.sign(_input_gradient(model, adv, y))
        adv = tf.clip_by_value(adv, x - epsilon, x + epsilon)
        adv = tf.clip_by_value(adv, 0.0, 1.0)
    return adv


def accuracy(model: keras.Model, x: Any, y: Any, batch_size: int = 500) -> float:
    """Top-1 accuracy of a logit model."""
    x = np.asarray(x, np.float32)
    hits = 0
    for start in range(0, len(x), batch_size):
        logits = model(x[start : start + batch_size], training=False)
        hits += int(np.sum(np.argmax(logits, axis=-1) == np.asarray(y)[start : start + batch_size]))
    return hits / len(x)


def accuracy_under_attack(
    model: keras.Model,
    x: Any,
    y: Any,
    epsilons: Any,
    attack: str = "pgd",
    *,
    batch_size: int = 500,
    seed: int = 0,
    **kwargs: Any,
) -> np.ndarray:
    """Accuracy on adversarial inputs for every ``epsilon``.

    ``attack``: "fgsm", "pgd" (``kwargs`` go to :func:`pgd`) or "noise" (random signs ``±ε``,
    the baseline a real attack must beat).
    """
    x = np.asarray(x, np.float32)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    result = []
    for epsilon in epsilons:
        hits = 0
        for start in range(0, len(x), batch_size):
            xb, yb = x[start : start + batch_size], y[start : start + batch_size]
            if attack == "fgsm":
                adv = fgsm(model, xb, yb, epsilon)
            elif attack == "pgd":
                adv = pgd(model, xb, yb, epsilon, seed=seed + start, **kwargs)
            elif attack == "noise":
                signs = rng.choice([-1.0, 1.0], size=xb.shape).astype(np.float32)
                adv = np.clip(xb + epsilon * signs, 0.0, 1.0)
            else:
                raise ValueError(f"unknown attack {attack!r}")
            logits = model(adv, training=False)
            hits += int(np.sum(np.argmax(logits, axis=-1) == yb))
        result.append(hits / len(x))
    return np.asarray(result)


def adversarial_train_step(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    x: Any,
    y: Any,
    epsilon: float,
    *,
    steps: int = 3,
    adversarial_fraction: float = 0.5,
    seed: int = 0,
) -> tf.Tensor:
    """One step of PGD adversarial training; returns the mean loss of the mixed batch.

    Wrap it in ``tf.function`` for speed (pass ``seed`` as a tensor so that it does not retrace).

    The first ``1 − adversarial_fraction`` of the batch stays clean, the rest is replaced by
    PGD-``steps`` examples made against the current weights (treated as constants: no gradient
    flows through the attack into the weights).
    """
    x = tf.cast(x, tf.float32)
    y = tf.cast(y, tf.int32)
    n_clean = int(round(int(x.shape[0]) * (1.0 - adversarial_fraction)))  # static batch size
    adv = pgd(model, x[n_clean:], y[n_clean:], epsilon, steps=steps, seed=seed)
    batch = tf.stop_gradient(tf.concat([x[:n_clean], adv], axis=0))
    with tf.GradientTape() as tape:
        logits = model(batch, training=True)
        loss = _LOSS(y, logits) / tf.cast(tf.shape(y)[0], tf.float32)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
