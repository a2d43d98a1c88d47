"""Attention layers and word2vec helpers used beyond transformers (chapter 17).

- ``BahdanauAttention``: additive score ``v^T tanh(W_q q + W_k k)``.
- ``LuongAttention``: multiplicative score ``q^T k`` ("dot") or ``q^T W k`` ("general").
- ``SqueezeExcite``: channel attention for CNN feature maps.
- ``skipgram_pairs`` / ``unigram_noise`` / ``sample_negatives``: skip-gram with negative
  sampling data preparation in NumPy.

Both attention layers take ``[query, values]`` with shapes ``(B, Tq, dq)`` and
``(B, Tv, dv)`` (keys are the values) and return ``(context, weights)`` with shapes
``(B, Tq, dv)`` and ``(B, Tq, Tv)``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

__all__ = [
    "BahdanauAttention",
    "LuongAttention",
    "SqueezeExcite",
    "sample_negatives",
    "skipgram_pairs",
    "unigram_noise",
]


@keras.saving.register_keras_serializable(package="dlkit")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention: ``e_ij = v^T tanh(W_q q_i + W_k k_j)``, softmax over j."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.w_q = keras.layers.Dense(units, use_bias=False, name="w_q")
        self.w_k = keras.layers.Dense(units, use_bias=False, name="w_k")

    def build(self, input_shape):
        q_shape, v_shape = input_shape
        self.w_q.build(q_shape)
        self.w_k.build(v_shape)
        self.v = self.add_weight(shape=(self.units,), initializer="glorot_uniform", name="v")

    def scores(self, query, values):
        q = ops.expand_dims(self.w_q(query), -2)  # (B, Tq, 1, u)
        k = ops.expand_dims(self.w_k(values), -3)  # (B, 1, Tv, u)
        return ops.sum(self.v * ops.tanh(q + k), axis=-1)  # (B, Tq, Tv)

    def call(self, inputs):
        query, values = inputs
        weights = ops.softmax(self.scores(query, values), axis=-1)
        return ops.matmul(weights, values), weights

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="dlkit")
class LuongAttention(keras.layers.Layer):
    """Multiplicative attention: ``q^T k`` ("dot", needs dq == dv) or ``q^T W k`` ("general")."""

    def __init__(self, score: str = "dot", **kwargs):
        super().__init__(**kwargs)
        if score not in ("dot", "general"):
            raise ValueError("score must be 'dot' or 'general'")
        self.score = score

    def build(self, input_shape):
        q_shape, v_shape = input_shape
        if self.score == "general":
            self.w = keras.layers.Dense(q_shape[-1], use_bias=False, name="w")
            self.w.build(v_shape)
        elif q_shape[-1] != v_shape[-1]:
            raise ValueError("dot score needs equal query and value widths")

    def keys(self, values):
        return self.w(values) if self.score == "general" else values

    def scores(self, query, values):
        return ops.matmul(query, ops.swapaxes(self.keys(values), -1, -2))

    def call(self, inputs):
        query, values = inputs
        weights = ops.softmax(self.scores(query, values), axis=-1)
        return ops.matmul(weights, values), weights

    def get_config(self):
        return {**super().get_config(), "score": self.score}


@keras.saving.register_keras_serializable(package="dlkit")
class SqueezeExcite(keras.layers.Layer):
    """Squeeze-and-excitation: rescale channels by ``sigmoid(W2 relu(W1 GAP(x)))``."""

    def __init__(self, ratio: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.ratio = ratio

    def build(self, input_shape):
        c = int(input_shape[-1])
        self.fc1 = keras.layers.Dense(max(1, c // self.ratio), activation="relu", name="fc1")
        self.fc2 = keras.layers.Dense(c, activation="sigmoid", name="fc2")
        self.fc1.build((None, c))
        self.fc2.build((None, max(1, c // self.ratio)))

    def gates(self, x):
        return self.fc2(self.fc1(ops.mean(x, axis=(1, 2))))  # (B, C)

    def call(self, x):
        return x * ops.expand_dims(ops.expand_dims(self.gates(x), 1), 1)

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio}


def skipgram_pairs(tokens, window: int) -> np.ndarray:
    """All (target, context) pairs with ``0 < |i - j| <= window``; shape ``(n, 2)``."""
    tokens = np.asarray(tokens)
    pairs = []
    for offset in range(1, window + 1):
        a, b = tokens[:-offset], tokens[offset:]
        pairs.append(np.stack([a, b], 1))
        pairs.append(np.stack([b, a], 1))
    if not pairs or len(tokens) < 2:
        return np.zeros((0, 2), dtype=tokens.dtype if tokens.size else np.int64)
    return np.concatenate(pairs, 0)


def unigram_noise(counts, power: float = 0.75) -> np.ndarray:
    """Noise distribution ``P(w) proportional to count(w)**power`` (word2vec uses 3/4)."""
    p = np.asarray(counts, dtype=np.float64) ** power
    return p / p.sum()


def sample_negatives(rng: np.random.Generator, noise, n: int, k: int) -> np.ndarray:
    """``(n, k)`` negative word ids drawn i.i.d. from ``noise``."""
    return rng.choice(len(noise), size=(n, k), p=noise)
