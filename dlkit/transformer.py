"""Transformer building blocks: position encodings, attention masks and a pre-LN block.

Keras 3 ships ``MultiHeadAttention`` but no transformer block. The chapters on
transformers, attention variants and sequence models share these pieces:

* :func:`sinusoidal_encoding`: the fixed sine/cosine position table of the original
  transformer;
* :func:`causal_mask` and :func:`padding_mask`: boolean masks in Keras' convention
  (``True`` = this query may attend to this key);
* :class:`PositionEmbedding`: a learned position table added to token vectors; it
  accepts inputs shorter than its maximum length (as during sampling);
* :class:`TransformerBlock`: ``x + MHA(LN(x))`` then ``x + FFN(LN(x))`` (pre-LN, as in
  GPT-2 and ViT), optionally causal, serializable in ``.keras`` files.

Example:
    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "sinusoidal_encoding",
    "causal_mask",
    "padding_mask",
    "PositionEmbedding",
    "TransformerBlock",
]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def sinusoidal_encoding(length: int, depth: int, *, base: float = 10000.0) -> np.ndarray:
    """The sinusoidal position table of "Attention is all you need".

    For position ``p`` and dimension pair ``i = 0 .. depth/2 - 1``::

        PE[p, 2i]     = sin(p / base ** (2i / depth))
        PE[p, 2i + 1] = cos(p / base ** (2i / depth))

    Each pair is a rotation by an angle proportional to ``p``, so ``PE[p + k]`` is a
    fixed linear function (a rotation per pair) of ``PE[p]``.

    Args:
        length: number of positions (rows), ``p = 0 .. length - 1``.
        depth: model width (columns); must be even.
        base: the wavelength scale (10,000 in the paper).

    Returns:
        float32 array of shape ``(length, depth)``.

    Raises:
        ValueError: ``length`` or ``depth`` is not a positive int, ``depth`` is odd,
            or ``base`` is not a number above 1.

    Example:
        >>> sinusoidal_encoding(2, 2).round(4).tolist()
        [[0.0, 1.0], [0.8415, 0.5403]]
    """
    length = _positive_int("length", length)
    depth = _positive_int("depth", depth)
    if depth % 2:
        raise ValueError(f"depth must be even (sine/cosine pairs), got {depth}")
    if isinstance(base, bool) or not isinstance(base, (int, float)) or base <= 1:
        raise ValueError(f"base must be a number > 1, got {base!r}")
    positions = np.arange(length, dtype=np.float64)[:, None]  # (length, 1)
    pair = np.arange(depth // 2, dtype=np.float64)[None, :]  # (1, depth/2)
    angles = positions / base ** (2 * pair / depth)  # (length, depth/2)
    table = np.empty((length, depth), dtype=np.float64)
    table[:, 0::2] = np.sin(angles)
    table[:, 1::2] = np.cos(angles)
    return table.astype("float32")


def causal_mask(length: int) -> np.ndarray:
    """Boolean causal mask: query ``i`` may attend to key ``j`` iff ``j <= i``.

    Lower triangular *including* the diagonal (``length * (length + 1) / 2`` allowed
    pairs), in Keras' convention (``True`` = may attend), ready for the
    ``attention_mask`` argument of ``keras.layers.MultiHeadAttention``.

    Args:
        length: sequence length ``T``.

    Returns:
        bool array of shape ``(T, T)``.

    Example:
        >>> int(causal_mask(5).sum())
        15
    """
    length = _positive_int("length", length)
    return np.tril(np.ones((length, length), dtype=bool))


def padding_mask(ids: Any, pad_id: int = 0) -> np.ndarray:
    """Boolean padding mask: every query may attend to every key that is not padding.

    Args:
        ids: integer token ids of shape ``(batch, T)``.
        pad_id: the id used for padding.

    Returns:
        bool array of shape ``(batch, T, T)``; ``mask[b, i, j]`` is ``False`` where
        key ``j`` of sequence ``b`` is padding. Combine with :func:`causal_mask` by
        ``&`` for a padded causal model.

    Raises:
        ValueError: ``ids`` is not a 2-D integer array.

    Example:
        >>> padding_mask([[5, 7, 0]])[0, 0].tolist()
        [True, True, False]
    """
    ids = np.asarray(ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"ids must be a 2-D integer array (batch, T), got shape {ids.shape} {ids.dtype}"
        )
    keys = ids != pad_id  # (batch, T)
    return np.broadcast_to(keys[:, None, :], (ids.shape[0], ids.shape[1], ids.shape[1])).copy()


@keras.saving.register_keras_serializable(package="dlkit")
class PositionEmbedding(keras.layers.Layer):
    """Add a learned position vector to each token vector.

    Holds a trainable table of shape ``(max_length, width)``; an input of length
    ``T <= max_length`` gets rows ``0 .. T-1`` added, so the same model can be called
    on shorter windows (for example while sampling one character at a time).

    Args:
        max_length: the largest sequence length the table covers.
        initializer: initializer of the table (default small normal values).

    Input shape ``(batch, T, width)``; output shape the same.

    Example:
        >>> layer = PositionEmbedding(16)
        >>> layer(np.zeros((2, 5, 8), "float32")).shape
        (2, 5, 8)
    """

    def __init__(self, max_length: int, initializer: Any = "random_normal", **kwargs: Any):
        super().__init__(**kwargs)
        self.max_length = _positive_int("max_length", max_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"PositionEmbedding expects inputs (batch, T, width), got shape {input_shape}"
            )
        if input_shape[1] is not None and input_shape[1] > self.max_length:
            raise ValueError(f"inputs have length {input_shape[1]} > max_length {self.max_length}")
        self.embeddings = self.add_weight(
            shape=(self.max_length, input_shape[-1]),
            initializer=self.initializer,
            name="embeddings",
        )

    def call(self, inputs: Any) -> Any:
        length = ops.shape(inputs)[1]
        table = self.embeddings[:length]  # (T, width): works for any T <= max_length
        return inputs + ops.cast(table, inputs.dtype)[None]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            max_length=self.max_length,
            initializer=keras.initializers.serialize(self.initializer),
        )
        return config


@keras.saving.register_keras_serializable(package="dlkit")
class TransformerBlock(keras.layers.Layer):
    """A pre-LN transformer block: attention then a feed-forward network, each residual.

    ``x <- x + MHA(LN1(x))`` and ``x <- x + FFN(LN2(x))`` with
    ``FFN(x) = W2 act(W1 x + b1) + b2``. Pre-LN (as in GPT-2 and ViT) keeps an
    un-normalized residual path from input to output, which makes deep stacks train
    without a learning-rate warm-up; the original transformer normalized *after* each
    sum (post-LN). Parameters for width ``d`` with ``num_heads * key_dim == d``:
    ``4 d^2 + 4 d`` (attention) ``+ 2 d ff_dim + ff_dim + d`` (FFN) ``+ 4 d`` (norms).

    Args:
        num_heads: attention heads ``H``.
        key_dim: size of each head (usually ``d / H``; *not* the model width).
        ff_dim: hidden width of the feed-forward network (often ``4 d``).
        causal: mask future positions (decoder / GPT block).
        dropout: dropout rate on the attention weights and on both residual branches.
        activation: activation of the feed-forward network.
        epsilon: LayerNormalization epsilon.

    Call arguments:
        inputs: ``(batch, T, d)``.
        attention_mask: optional bool ``(batch, T, T)``, ``True`` = may attend
            (combined with the causal mask when ``causal``).
        return_attention_scores: also return the weights ``(batch, H, T, T)``.

    Example:
        >>> block = TransformerBlock(num_heads=4, key_dim=16, ff_dim=128)
        >>> block(np.zeros((2, 10, 64), "float32")).shape
        (2, 10, 64)
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        ff_dim: int,
        *,
        causal: bool = False,
        dropout: float = 0.0,
        activation: str = "gelu",
        epsilon: float = 1e-6,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.num_heads = _positive_int("num_heads", num_heads)
        self.key_dim = _positive_int("key_dim", key_dim)
        self.ff_dim = _positive_int("ff_dim", ff_dim)
        if not isinstance(causal, bool):
            raise TypeError(f"causal must be True or False, got {causal!r}")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a rate in [0, 1), got {dropout!r}")
        self.causal = causal
        self.dropout = float(dropout)
        self.activation = activation
        self.epsilon = float(epsilon)
        self.norm1 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm1")
        self.attention = keras.layers.MultiHeadAttention(
            num_heads, key_dim, dropout=self.dropout, name="attention"
        )
        self.norm2 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm2")
        self.ffn_up = keras.layers.Dense(ff_dim, activation=activation, name="ffn_up")
        self.ffn_down: keras.layers.Dense | None = None  # its width is known at build time
        self.drop = keras.layers.Dropout(self.dropout)

    def build(self, input_shape: tuple) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"TransformerBlock expects inputs (batch, T, d), got shape {input_shape}"
            )
        width = input_shape[-1]
        self.norm1.build(input_shape)
        self.attention.build(input_shape, input_shape)
        self.norm2.build(input_shape)
        self.ffn_up.build(input_shape)
        self.ffn_down = keras.layers.Dense(width, name="ffn_down")
        self.ffn_down.build(tuple(input_shape[:-1]) + (self.ff_dim,))

    def call(
        self,
        inputs: Any,
        attention_mask: Any = None,
        training: bool | None = None,
        return_attention_scores: bool = False,
    ) -> Any:
        normed = self.norm1(inputs)
        attended = self.attention(
            normed,
            normed,
            attention_mask=attention_mask,
            use_causal_mask=self.causal,
            return_attention_scores=return_attention_scores,
            training=training,
        )
        if return_attention_scores:
            attended, scores = attended
        x = inputs + self.drop(attended, training=training)  # residual 1
        hidden = self.ffn_down(self.ffn_up(self.norm2(x)))
        x = x + self.drop(hidden, training=training)  # residual 2
        return (x, scores) if return_attention_scores else x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            num_heads=self.num_heads,
            key_dim=self.key_dim,
            ff_dim=self.ff_dim,
            causal=self.causal,
            dropout=self.dropout,
            activation=self.activation,
            epsilon=self.epsilon,
        )
        return config
