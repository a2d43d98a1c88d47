"""Denoising diffusion (DDPM) building blocks: schedules, forward noising, loss step, samplers.

Conventions: time is a 0-based index ``i = t - 1`` in ``0..T-1``, so ``alpha_bar[i]`` is
:math:`\\bar\\alpha_t = \\prod_{s \\le t} (1 - \\beta_s)`. Schedules are computed in NumPy float64;
the TensorFlow functions cast them to float32. Noise-prediction networks are called as
``model([x_t, t])`` with ``t`` a float32 vector of 0-based indices of shape ``(batch,)``
(:class:`TimeEmbedding` turns it into sinusoidal features inside the model).

Example:
    >>> sched = linear_schedule(1000)
    >>> round(float(sched["alpha_bar"][249]), 4)
    0.5241
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "TimeEmbedding",
    "ancestral_sampler",
    "cosine_schedule",
    "ddim_sampler",
    "ddpm_step",
    "linear_schedule",
    "q_sample",
    "schedule_from_betas",
    "timestep_embedding",
]


def _check_steps(steps: Any) -> None:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")


def schedule_from_betas(betas: Any) -> dict[str, np.ndarray]:
    """Build ``{"betas", "alphas", "alpha_bar"}`` (float64) from a vector of betas in (0, 1).

    Args:
        betas: 1-D array of the T noise variances.

    Returns:
        dict of three float64 arrays of shape ``(T,)``.
    """
    betas = np.asarray(betas, np.float64)
    if betas.ndim != 1 or betas.size == 0 or np.any(betas <= 0) or np.any(betas >= 1):
        raise ValueError("betas must be a non-empty 1-D array with values in (0, 1)")
    alphas = 1.0 - betas
    return {"betas": betas, "alphas": alphas, "alpha_bar": np.cumprod(alphas)}


def linear_schedule(
    steps: int, beta_start: float = 1e-4, beta_end: float = 0.02
) -> dict[str, np.ndarray]:
    """The DDPM linear schedule: betas evenly spaced from ``beta_start`` to ``beta_end``.

    Args:
        steps: number of diffusion steps T.
        beta_start: first beta.
        beta_end: last beta.

    Returns:
        dict with ``betas``, ``alphas`` and ``alpha_bar`` (float64, shape ``(T,)``).

    Example:
        >>> float(linear_schedule(200)["alpha_bar"][-1]) > 0.1  # too short for beta_end=0.02
        True
    """
    _check_steps(steps)
    if not 0 < beta_start <= beta_end < 1:
        raise ValueError(
            f"need 0 < beta_start <= beta_end < 1, got beta_start={beta_start}, beta_end={beta_end}"
        )
    return schedule_from_betas(np.linspace(beta_start, beta_end, steps))


def cosine_schedule(steps: int, s: float = 0.008, max_beta: float = 0.999) -> dict[str, np.ndarray]:
    """The cosine schedule (improved DDPM): alpha_bar_t = f(t) / f(0).

    Here f(t) = cos^2((t/T + s)/(1 + s) pi/2).

    Betas are ``min(1 - alpha_bar_t / alpha_bar_{t-1}, max_beta)``; alpha_bar is recomputed from
    the clipped betas so the three arrays stay consistent.

    Args:
        steps: number of diffusion steps T.
        s: small offset that keeps beta_1 away from 0.
        max_beta: clip of the last betas.

    Returns:
        dict with ``betas``, ``alphas`` and ``alpha_bar`` (float64, shape ``(T,)``).
    """
    _check_steps(steps)
    if s < 0 or not 0 < max_beta < 1:
        raise ValueError(f"need s >= 0 and 0 < max_beta < 1, got s={s}, max_beta={max_beta}")
    grid = np.arange(steps + 1, dtype=np.float64) / steps
    f = np.cos((grid + s) / (1 + s) * math.pi / 2) ** 2
    bar = f / f[0]
    betas = np.minimum(1.0 - bar[1:] / bar[:-1], max_beta)
    return schedule_from_betas(betas)


def _gather(values: Any, t: Any, ndim: int) -> tf.Tensor:
    """values[t] reshaped to (batch, 1, ..., 1) so it broadcasts against a rank-ndim tensor."""
    picked = tf.gather(tf.constant(np.asarray(values), tf.float32), tf.cast(t, tf.int32))
    return tf.reshape(picked, [-1] + [1] * (ndim - 1))


def q_sample(x0: Any, t: Any, eps: Any, alpha_bar: Any) -> tf.Tensor:
    """Noise data in one jump: x_t = sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) eps.

    Args:
        x0: clean data, shape ``(batch, ...)``.
        t: 0-based step indices, shape ``(batch,)``.
        eps: standard normal noise with the shape of ``x0``.
        alpha_bar: the schedule's cumulative products, shape ``(T,)``.

    Returns:
        float32 tensor shaped like ``x0``.
    """
    x0 = tf.convert_to_tensor(x0, tf.float32)
    eps = tf.convert_to_tensor(eps, tf.float32)
    if x0.shape != eps.shape:
        raise ValueError(f"x0 and eps must have the same shape, got {x0.shape} and {eps.shape}")
    ab = _gather(alpha_bar, t, x0.shape.rank)
    return tf.sqrt(ab) * x0 + tf.sqrt(1.0 - ab) * eps


def timestep_embedding(t: Any, dim: int, max_period: float = 10000.0) -> tf.Tensor:
    """Sinusoidal features [sin(t f_k), cos(t f_k)] with f_k = max_period^(-k/(dim/2)).

    Args:
        t: time values, shape ``(batch,)`` (any real numbers).
        dim: even embedding size.
        max_period: longest period.

    Returns:
        float32 tensor of shape ``(batch, dim)``.
    """
    if not isinstance(dim, int) or dim < 2 or dim % 2:
        raise ValueError(f"dim must be an even integer >= 2, got {dim!r}")
    half = dim // 2
    freqs = tf.constant(max_period ** (-np.arange(half) / half), tf.float32)
    angles = tf.reshape(tf.cast(t, tf.float32), [-1, 1]) * freqs[None, :]
    return tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)


@keras.saving.register_keras_serializable(package="dlkit")
class TimeEmbedding(keras.layers.Layer):
    """Keras layer wrapping :func:`timestep_embedding`: ``(batch,)`` -> ``(batch, dim)``."""

    def __init__(self, dim: int, max_period: float = 10000.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(dim, int) or dim < 2 or dim % 2:
            raise ValueError(f"dim must be an even integer >= 2, got {dim!r}")
        self.dim, self.max_period = dim, max_period

    def call(self, t: Any) -> Any:
        return timestep_embedding(keras.ops.reshape(t, (-1,)), self.dim, self.max_period)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.dim)

    def get_config(self) -> dict:
        return {**super().get_config(), "dim": self.dim, "max_period": self.max_period}


def ddpm_step(
    model: keras.Model, optimizer: keras.optimizers.Optimizer, alpha_bar: Any, *, seed: int = 0
) -> Callable[[Any], dict[str, tf.Tensor]]:
    """A DDPM training step with the simple loss, for :func:`dlkit.training.fit_steps`.

    Each call draws a fresh uniform step index and fresh Gaussian noise per example (from a
    ``tf.random.Generator`` seeded with ``seed``), builds x_t with :func:`q_sample` and takes
    one optimizer step on ``mean ||eps - model([x_t, t])||^2`` (mean over all entries).

    Args:
        model: noise-prediction network called as ``model([x_t, t], training=True)``.
        optimizer: a Keras optimizer.
        alpha_bar: cumulative products of the schedule, shape ``(T,)``.
        seed: seed of the noise generator.

    Returns:
        ``step(x0) -> {"loss": scalar}``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    alpha_bar = np.asarray(alpha_bar, np.float64)
    steps = int(alpha_bar.shape[0])
    noise = tf.random.Generator.from_seed(seed)

    def step(x0: Any) -> dict[str, tf.Tensor]:
        x0 = tf.cast(x0, tf.float32)
        batch = tf.shape(x0)[0]
        t = noise.uniform([batch], 0, steps, dtype=tf.int32)
        eps = noise.normal(tf.shape(x0))
        x_t = q_sample(x0, t, eps, alpha_bar)
        with tf.GradientTape() as tape:
            pred = model([x_t, tf.cast(t, tf.float32)], training=True)
            loss = tf.reduce_mean(tf.square(eps - pred))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return {"loss": loss}

    return step


def _eps_fn(model_or_fn: Any) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """Adapt a Keras model to ``eps(x, i)`` with an int32 scalar step index i."""
    if isinstance(model_or_fn, keras.Model):

        def eps(x: tf.Tensor, i: tf.Tensor) -> tf.Tensor:
            t = tf.fill([tf.shape(x)[0]], tf.cast(i, tf.float32))
            return model_or_fn([x, t], training=False)

        return eps
    if not callable(model_or_fn):
        raise TypeError("model must be a keras.Model or a callable eps(x, i)")
    return model_or_fn


def ancestral_sampler(
    model: Any,
    schedule: dict[str, Any],
    *,
    variance: str = "beta",
    clip: tuple[float, float] | None = None,
) -> Callable:
    """A compiled DDPM ancestral sampler.

    Runs x_{t-1} = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps(x_t, t)) / sqrt(alpha_t) + sigma_t z
    for t = T..1 inside one ``tf.function`` (a graph loop), with fresh noise at every step and
    no noise at the last one; sigma_t^2 = beta_t (``variance="beta"``) or the posterior
    variance tilde beta_t (``"posterior"``).

    Args:
        model: a Keras noise predictor ``model([x, t])`` or a callable ``eps(x, i)`` taking
            float32 ``x`` and an int32 scalar 0-based index ``i``.
        schedule: dict with ``betas`` and ``alpha_bar`` (e.g. from :func:`linear_schedule`).
        variance: ``"beta"`` or ``"posterior"``.
        clip: optional ``(low, high)``: clip the denoised estimate
            x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t) to this range and use
            the posterior mean mu_tilde(x0_hat, x_t) (the same mean when nothing is clipped);
            useful for images in [-1, 1].

    Returns:
        ``sample(x_T, seed=0) -> x_0``: ``x_T`` the starting noise; ``seed`` (int) fixes the
        per-step noise (stateless, so runs repeat exactly).
    """
    if variance not in ("beta", "posterior"):
        raise ValueError(f"variance must be 'beta' or 'posterior', got {variance!r}")
    betas = np.asarray(schedule["betas"], np.float64)
    bar = np.asarray(schedule["alpha_bar"], np.float64)
    bar_prev = np.concatenate([[1.0], bar[:-1]])
    sigma2 = betas if variance == "beta" else betas * (1 - bar_prev) / (1 - bar)
    coef_eps = tf.constant(betas / np.sqrt(1 - bar), tf.float32)
    scale = tf.constant(1 / np.sqrt(1 - betas), tf.float32)
    sigma = tf.constant(np.sqrt(sigma2), tf.float32)
    sqrt_bar = tf.constant(np.sqrt(bar), tf.float32)
    sqrt_1m_bar = tf.constant(np.sqrt(1 - bar), tf.float32)
    coef_x0 = tf.constant(np.sqrt(bar_prev) * betas / (1 - bar), tf.float32)
    coef_xt = tf.constant(np.sqrt(1 - betas) * (1 - bar_prev) / (1 - bar), tf.float32)
    if clip is not None and not clip[0] < clip[1]:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")
    eps_fn = _eps_fn(model)
    steps = len(betas)

    @tf.function(reduce_retracing=True)
    def run(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        for i in tf.range(steps - 1, -1, -1):
            eps = eps_fn(x, i)
            if clip is None:
                mean = scale[i] * (x - coef_eps[i] * eps)
            else:
                x0 = tf.clip_by_value((x - sqrt_1m_bar[i] * eps) / sqrt_bar[i], *clip)
                mean = coef_x0[i] * x0 + coef_xt[i] * x
            z = tf.random.stateless_normal(tf.shape(x), tf.stack([seed, i]))
            x = mean + tf.cast(i > 0, tf.float32) * sigma[i] * z
        return x

    def sample(x_T: Any, seed: int = 0) -> tf.Tensor:
        return run(tf.convert_to_tensor(x_T, tf.float32), tf.constant(seed, tf.int32))

    return sample


def ddim_sampler(
    model: Any,
    schedule: dict[str, Any],
    n_steps: int,
    *,
    clip: tuple[float, float] | None = None,
) -> Callable:
    """A compiled deterministic DDIM sampler (eta = 0) that visits ``n_steps`` evenly spaced steps.

    Each step predicts x0_hat = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t) and moves to
    x_s = sqrt(ab_s) x0_hat + sqrt(1 - ab_s) eps for the next visited step s < t (ab = 1 after
    the last). It reuses a network trained with the DDPM loss; no retraining.

    Args:
        model: as in :func:`ancestral_sampler`.
        schedule: dict with ``alpha_bar``.
        n_steps: number of network calls (<= T).
        clip: optional ``(low, high)`` range for x0_hat. Near t = T the division by
            sqrt(ab_t) amplifies any error of eps (by 1/sqrt(ab_T), thousands for a cosine
            schedule); clipping x0_hat to the data range keeps that from derailing the chain.

    Returns:
        ``sample(x_T) -> x_0``.
    """
    bar = np.asarray(schedule["alpha_bar"], np.float64)
    _check_steps(n_steps)
    if n_steps > len(bar):
        raise ValueError(f"n_steps ({n_steps}) exceeds the schedule length ({len(bar)})")
    visit = np.unique(np.linspace(0, len(bar) - 1, n_steps).round().astype(np.int64))[::-1]
    nxt = np.concatenate([bar[visit[1:]], [1.0]])
    idx = tf.constant(visit, tf.int32)
    ab = tf.constant(bar[visit], tf.float32)
    ab_next = tf.constant(nxt, tf.float32)
    eps_fn = _eps_fn(model)

    @tf.function(reduce_retracing=True)
    def run(x: tf.Tensor) -> tf.Tensor:
        for k in tf.range(len(visit)):
            eps = eps_fn(x, idx[k])
            x0 = (x - tf.sqrt(1 - ab[k]) * eps) / tf.sqrt(ab[k])
            if clip is not None:
                x0 = tf.clip_by_value(x0, *clip)
                eps = (x - tf.sqrt(ab[k]) * x0) / tf.sqrt(1 - ab[k])
            x = tf.sqrt(ab_next[k]) * x0 + tf.sqrt(1 - ab_next[k]) * eps
        return x

    def sample(x_T: Any) -> tf.Tensor:
        return run(tf.convert_to_tensor(x_T, tf.float32))

    return sample
