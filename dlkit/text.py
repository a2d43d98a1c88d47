"""Character-level text modelling: a vocabulary, training windows and sampling.

Chapters on recurrent networks, transformers and sequence models all train a model
that maps a window of character ids ``(batch, time)`` to next-character logits
``(batch, time, vocab)``. This module holds the pieces they share:

* :class:`CharVocab` turns text into integer ids and back;
* :func:`char_windows` cuts an id sequence into (input, next-character target) windows;
* :func:`sample` generates text from such a model with a temperature, in one
  compiled ``tf.while_loop`` (no Python round trip per character).

Example:
    >>> vocab = CharVocab("hello world")
    >>> vocab.decode(vocab.encode("hello"))
    'hello'
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np


class CharVocab:
    """A sorted character vocabulary with encode/decode.

    Args:
        text: the text whose distinct characters form the vocabulary.

    Example:
        >>> vocab = CharVocab("abca")
        >>> vocab.size, vocab.encode("cab").tolist()
        (3, [2, 0, 1])
    """

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text must not be empty")
        self.chars: list[str] = sorted(set(text))
        self._index = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def size(self) -> int:
        """Number of distinct characters."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"CharVocab(size={self.size})"

    def encode(self, text: str) -> np.ndarray:
        """Map ``text`` to an int32 array of ids; unknown characters raise ``ValueError``."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        try:
            return np.array([self._index[ch] for ch in text], dtype="int32")
        except KeyError as error:
            raise ValueError(f"character {error.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Any) -> str:
        """Map a sequence of ids back to text; ids outside ``0..size-1`` raise ``ValueError``."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"ids must lie in 0..{self.size - 1}, got {ids.min()}..{ids.max()}")
        return "".join(self.chars[int(i)] for i in ids)


def char_windows(
    ids: Any, seq_len: int, *, stride: int | None = None, max_windows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut an id sequence into training windows for next-character prediction.

    Window ``k`` starts at ``k * stride``; its input is ``ids[s : s + seq_len]``
    and its target the same window shifted by one, ``ids[s + 1 : s + seq_len + 1]``,
    so every position is trained to predict the character that follows it.

    Args:
        ids: 1-D integer sequence (e.g. from :meth:`CharVocab.encode`).
        seq_len: window length (time steps per example).
        stride: distance between window starts (default ``seq_len``: no overlap).
        max_windows: keep at most this many windows (the first ones).

    Returns:
        ``(inputs, targets)``, both int32 of shape ``(n_windows, seq_len)``.

    Example:
        >>> x, y = char_windows(np.arange(10), 4)
        >>> x.tolist(), y.tolist()
        ([[0, 1, 2, 3], [4, 5, 6, 7]], [[1, 2, 3, 4], [5, 6, 7, 8]])
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-D integer sequence, got shape {ids.shape} {ids.dtype}")
    for name, value in (("seq_len", seq_len), ("stride", stride), ("max_windows", max_windows)):
        if value is None and name != "seq_len":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    stride = seq_len if stride is None else stride
    if len(ids) < seq_len + 1:
        raise ValueError(f"need at least seq_len + 1 = {seq_len + 1} ids, got {len(ids)}")
    starts = np.arange(0, len(ids) - seq_len, stride)[:max_windows]
    offsets = np.arange(seq_len)
    inputs = ids[starts[:, None] + offsets].astype("int32")
    targets = ids[starts[:, None] + offsets + 1].astype("int32")
    return inputs, targets


def _sampler(model: Any) -> Any:
    """The compiled sampling loop for ``model``, built once and cached on it."""
    cached = getattr(model, "_dlkit_sampler", None)
    if cached is not None:
        return cached
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def generate(prompt, length, temperature, seed, context):
        # prompt: (1, p) int32; returns (length,) int32 of new ids.
        def body(i, window, out):
            logits = model(window, training=False)[:, -1, :]  # (1, vocab)
            logits = tf.cast(logits, tf.float32)
            greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)
            drawn = tf.random.stateless_categorical(
                logits / tf.maximum(temperature, 1e-6),
                1,
                seed=tf.stack([seed, i]),
                dtype=tf.int32,
            )[:, 0]
            nxt = tf.where(temperature > 0.0, drawn, greedy)  # (1,)
            window = tf.concat([window, nxt[:, None]], axis=1)[:, -context:]
            return i + 1, window, out.write(i, nxt[0])

        out = tf.TensorArray(tf.int32, size=length)
        _, _, out = tf.while_loop(
            lambda i, window, out: i < length,
            body,
            (tf.constant(0), prompt, out),
            shape_invariants=(tf.TensorShape([]), tf.TensorShape([1, None]), None),
        )
        return out.stack()

    with contextlib.suppress(AttributeError):  # objects that refuse new attributes
        model._dlkit_sampler = generate
    return generate


def sample(
    model: Any,
    vocab: CharVocab,
    prompt: str,
    length: int,
    *,
    temperature: float = 1.0,
    seed: int = 0,
    context: int | None = None,
) -> str:
    """Generate ``length`` characters after ``prompt`` with a next-character model.

    At every step the model sees the last ``context`` ids, its logits for the
    last position are divided by ``temperature`` and a character is drawn from
    the resulting softmax (``temperature=0``: always the most likely one). The
    whole loop runs as one compiled ``tf.while_loop``; draws use stateless
    random ops, so the same ``seed`` gives the same text.

    Args:
        model: maps int ids ``(1, time)`` to logits ``(1, time, vocab.size)``.
        vocab: the vocabulary the model was trained with.
        prompt: text to start from (at least one character, all in ``vocab``).
        length: number of characters to generate.
        temperature: ``> 0`` divides the logits (low: conservative, high: varied);
            ``0`` means greedy decoding.
        seed: seed of the stateless draws.
        context: at most this many most recent ids are fed to the model
            (default: the whole text so far). Set it to the training window
            length for models with a fixed maximum length.

    Returns:
        The generated characters (without the prompt).

    Example:
        >>> text = sample(model, vocab, "The ", 100, temperature=0.5)  # doctest: +SKIP
    """
    if not isinstance(vocab, CharVocab):
        raise TypeError(f"vocab must be a CharVocab, got {type(vocab).__name__}")
    if not isinstance(prompt, str) or not prompt:
        raise ValueError("prompt must be a non-empty str")
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ValueError(f"length must be a non-negative int, got {length!r}")
    if not isinstance(temperature, (int, float)) or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
    if context is not None and (
        isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 1
    ):
        raise ValueError(f"context must be a positive int or None, got {context!r}")
    import tensorflow as tf

    ids = vocab.encode(prompt)
    window_len = len(ids) + length if context is None else int(context)
    start = tf.constant(ids[-window_len:][None, :], dtype=tf.int32)
    if length == 0:
        return ""
    new_ids = _sampler(model)(
        start,
        tf.constant(int(length)),
        tf.constant(float(temperature), tf.float32),
        tf.constant(int(seed), tf.int32),
        tf.constant(window_len),
    )
    return vocab.decode(new_ids.numpy())
