"""Hidden checks of chapter 10 (attention and transformers).

Every check takes the student's answer and returns ``(passed, message)``; messages say
what is wrong, never what is expected. Numbers are compared with ``np.allclose``
(``rtol=1e-5`` unless stated), parameter counts and other integers exactly.

The reference values are recomputed here with NumPy (float64) from the tasks' inputs;
they agree with ``shared/curriculum/10-attention-transformers.md`` §4, which
``tests/test_exercises_ch10.py`` checks. Function answers (10.6 attention, 10.7 mask,
10.8 patches) are called on the argument tuples in ``PROBES``, which differ from the
public check's inputs (other shapes, ``d_k != d_v``, masks that block keys, non-square
images); the grader calls the student's function inside the student's kernel and hands
the check a :class:`dlkit.answers.RecordedFunction` that replays those outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import (
    Result,
    choice,
    close,
    close_parts,
    exact,
    exact_parts,
    function,
    parts,
    safe,
)

# ---------------------------------------------------------------------------
# Inputs of the tasks (the same numbers as in the exercises notebook).
# ---------------------------------------------------------------------------

Q_1 = np.eye(2)  # 10.1: rows are tokens
K_1 = np.array([[1.0, 2.0], [0.0, 1.0]])
V_1 = np.array([[2.0, 0.0], [1.0, 3.0]])
X_3 = np.arange(1.0, 13.0).reshape(3, 4) / 10  # 10.3
X_4 = np.arange(1.0, 10.0).reshape(3, 3) / 10  # 10.4
W_O_4 = np.vstack([np.eye(3), [[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]])  # (6, 3)
Q_5 = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0]])  # 10.5
K_5 = np.array(
    [[1.0, 2.0, 3.0, 4.0], [4.0, 3.0, 2.0, 1.0], [1.0, 3.0, 2.0, 4.0], [4.0, 2.0, 1.0, 3.0]]
)
V_5 = np.array(
    [[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]
)
IMAGE_9 = np.arange(108.0).reshape(6, 6, 3)  # 10.9
W_9 = np.vstack([np.eye(6), np.eye(6)])  # (12, 6)


# ---------------------------------------------------------------------------
# Reference computations (plain NumPy, float64).
# ---------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: Any = None, scale: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores, weights and outputs of (scaled) dot-product attention; mask True = attend."""
    scores = q @ np.swapaxes(k, -1, -2)
    if scale:
        scores = scores / np.sqrt(q.shape[-1])
    masked = scores if mask is None else np.where(mask, scores, -np.inf)
    weights = _softmax(masked)
    return scores, weights, weights @ v


def _sdpa_reference(q: Any, k: Any, v: Any, mask: Any) -> np.ndarray:
    """10.6: scaled dot-product attention, mask broadcastable to (..., T, S)."""
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    return _attention(q, k, v, np.asarray(mask, dtype=bool))[2]


def _sdpa_unscaled(q: Any, k: Any, v: Any, mask: Any) -> np.ndarray:
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (q, k, v))
    return _attention(q, k, v, np.asarray(mask, dtype=bool), scale=False)[2]


def _mask_reference(lengths: Any, length: int) -> np.ndarray:
    """10.7: causal and key-padding mask, bool (B, T, T), True = may attend."""
    lengths = np.asarray(lengths)
    causal = np.tril(np.ones((length, length), dtype=bool))  # j <= i
    keys = np.arange(length)[None, :] < lengths[:, None]  # (B, T): key j is a real token
    return causal[None] & keys[:, None, :]


def _mask_strict(lengths: Any, length: int) -> np.ndarray:
    lengths = np.asarray(lengths)
    strict = np.tril(np.ones((length, length), dtype=bool), k=-1)  # j < i: the bug
    keys = np.arange(length)[None, :] < lengths[:, None]
    return strict[None] & keys[:, None, :]


def _patchify_reference(images: Any, p: int) -> np.ndarray:
    """10.8: (B, H, W, C) -> (B, N, p * p * C), tiles in raster order, row-major inside."""
    images = np.asarray(images, dtype=np.float64)
    b, h, w, c = images.shape
    tiles = images.reshape(b, h // p, p, w // p, p, c).transpose(0, 1, 3, 2, 4, 5)
    return tiles.reshape(b, (h // p) * (w // p), p * p * c)


def _patchify_plain_reshape(images: Any, p: int) -> np.ndarray:
    images = np.asarray(images, dtype=np.float64)
    b, h, w, c = images.shape
    return images.reshape(b, (h // p) * (w // p), p * p * c)


def _pe(length: int, depth: int) -> np.ndarray:
    angles = np.arange(length)[:, None] / 10000 ** (2 * np.arange(depth // 2)[None, :] / depth)
    table = np.empty((length, depth))
    table[:, 0::2], table[:, 1::2] = np.sin(angles), np.cos(angles)
    return table


def _mha_params(d: int, heads: int, key_dim: int) -> int:
    return 3 * (d * heads * key_dim + heads * key_dim) + heads * key_dim * d + d


def _gpt_params(vocab: int, context: int, d: int, layers: int, ff: int, tied: bool) -> float:
    block = 4 * d * d + 4 * d + (2 * d * ff + ff + d) + 4 * d
    output = 0 if tied else d * vocab + vocab
    return float(vocab * d + context * d + layers * block + 2 * d + output)


def _answer_1() -> dict[str, np.ndarray]:
    scores, weights, output = _attention(Q_1, K_1, V_1)
    return {"scores": scores, "weights": weights, "output": output}


def _answer_2() -> dict[str, Any]:
    pe = _pe(5, 4)
    return {"pe": pe, "dot_offset_1": float(pe[0] @ pe[1]), "dot_offset_3": float(pe[1] @ pe[4])}


def _answer_3(mask: np.ndarray) -> dict[str, np.ndarray]:
    _, weights, output = _attention(X_3, X_3, X_3, mask)
    return {"weights": weights, "output": output}


def _answer_4(scale_head_2: float = 2.0) -> dict[str, np.ndarray]:
    _, head_1_weights, head_1 = _attention(X_4, X_4, X_4)
    x2 = scale_head_2 * X_4
    _, _, head_2 = _attention(x2, x2, x2)
    return {"head1_weights": head_1_weights, "output": np.hstack([head_1, head_2]) @ W_O_4}


def _answer_5() -> dict[str, np.ndarray]:
    scores, weights_unscaled, output_unscaled = _attention(Q_5, K_5, V_5, scale=False)
    _, weights_scaled, output_scaled = _attention(Q_5, K_5, V_5)
    return {
        "scores": scores,
        "weights_unscaled": weights_unscaled,
        "output_unscaled": output_unscaled,
        "weights_scaled": weights_scaled,
        "output_scaled": output_scaled,
    }


def _answer_9(patchify: Callable[[Any, int], np.ndarray], cls: int = 1) -> dict[str, Any]:
    first = patchify(IMAGE_9[None], 2)[0, 0]  # (12,)
    return {
        "n_patches": 9.0,
        "patch_length": 12.0,
        "first_embedding": first @ W_9,
        "mnist_tokens": float(16 + cls),
        "mnist_patch_length": 49.0,
        "imagenet_tokens": float(196 + cls),
        "imagenet_patch_length": 768.0,
    }


def _answer_12(tied: bool) -> dict[str, float]:
    """GPT-2 XL in millions of parameters (a count of 1.5e9 does not survive rounding)."""
    vocab, context, d, layers = 50257, 1024, 1600, 48
    total = _gpt_params(vocab, context, d, layers, 4 * d, tied)
    return {
        "total_millions": total / 1e6,
        "rule_of_thumb_millions": 12 * layers * d**2 / 1e6,
        "embedding_share": (vocab * d + context * d) / total,
    }


CAUSAL_3 = np.tril(np.ones((3, 3), dtype=bool))

# The exact reference answers.
REFERENCE: dict[str, Any] = {
    "10.1": _answer_1(),
    "10.2": _answer_2(),
    "10.3": _answer_3(CAUSAL_3),
    "10.4": _answer_4(),
    "10.5": _answer_5(),
    "10.6": _sdpa_reference,
    "10.7": _mask_reference,
    "10.8": _patchify_reference,
    "10.9": _answer_9(_patchify_reference),
    "10.10": {
        "h4_k16_d64": float(_mha_params(64, 4, 16)),
        "h4_k64_d64": float(_mha_params(64, 4, 64)),
        "h8_k64_d512": float(_mha_params(512, 8, 64)),
    },
    "10.11": {
        "attention": float(_mha_params(64, 4, 16)),
        "norms": 4.0 * 64,
        "ffn_up": 64.0 * 128 + 128,
        "ffn_down": 128.0 * 64 + 64,
        "total": float(_mha_params(64, 4, 16) + 4 * 64 + 64 * 128 + 128 + 128 * 64 + 64),
    },
    "10.12": _answer_12(tied=True),
    "10.13": {
        "bytes": 8.0 * 12 * 1024**2 * 4,
        "mib": 8.0 * 12 * 1024**2 * 4 / 2**20,
        "factor": 4.0,
    },
    "10.14": {"causal_5": 15.0, "strict_5": 10.0, "causal_64": 64.0 * 65 / 2},
    "10.15": {
        "selected": 0.15 * 512,
        "mask_token": 0.15 * 0.8 * 512,
        "random_token": 0.15 * 0.1 * 512,
        "unchanged": 0.15 * 0.1 * 512,
    },
    "10.16": "b",
    "10.17": "b",
    "10.18": "b",
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Softmax over the queries (columns) instead of over the keys (rows).
    "10.1": {
        "scores": REFERENCE["10.1"]["scores"],
        "weights": _softmax(REFERENCE["10.1"]["scores"].T).T,
        "output": _softmax(REFERENCE["10.1"]["scores"].T).T @ V_1,
    },
    # Sine and cosine swapped (cos on the even, sin on the odd dimensions).
    "10.2": {
        "pe": _pe(5, 4)[:, [1, 0, 3, 2]],
        "dot_offset_1": float(_pe(5, 4)[0] @ _pe(5, 4)[1]),
        "dot_offset_3": float(_pe(5, 4)[1] @ _pe(5, 4)[4]),
    },
    # The mask applied after the softmax (weights zeroed, rows no longer sum to 1).
    "10.3": {
        "weights": _attention(X_3, X_3, X_3)[1] * CAUSAL_3,
        "output": (_attention(X_3, X_3, X_3)[1] * CAUSAL_3) @ X_3,
    },
    # Both heads with the identity projections (head 2 ignores its 2 I).
    "10.4": _answer_4(scale_head_2=1.0),
    # Scaled and unscaled swapped.
    "10.5": {
        "scores": REFERENCE["10.5"]["scores"],
        "weights_unscaled": REFERENCE["10.5"]["weights_scaled"],
        "output_unscaled": REFERENCE["10.5"]["output_scaled"],
        "weights_scaled": REFERENCE["10.5"]["weights_unscaled"],
        "output_scaled": REFERENCE["10.5"]["output_unscaled"],
    },
    "10.6": _sdpa_unscaled,
    "10.7": _mask_strict,
    "10.8": _patchify_plain_reshape,
    # Patches cut with a plain reshape, and no class token counted.
    "10.9": _answer_9(_patchify_plain_reshape, cls=0),
    # No biases counted: 4 d^2 only.
    "10.10": {"h4_k16_d64": 4.0 * 64**2, "h4_k64_d64": 4.0 * 64 * 256, "h8_k64_d512": 4.0 * 512**2},
    # One layer norm with d parameters (gamma only) instead of two with 2 d each.
    "10.11": {
        "attention": float(_mha_params(64, 4, 16)),
        "norms": 64.0,
        "ffn_up": 64.0 * 128 + 128,
        "ffn_down": 128.0 * 64 + 64,
        "total": float(_mha_params(64, 4, 16) + 64 + 64 * 128 + 128 + 128 * 64 + 64),
    },
    # A separate (untied) output layer.
    "10.12": _answer_12(tied=False),
    # The heads forgotten.
    "10.13": {"bytes": 8.0 * 1024**2 * 4, "mib": 8.0 * 1024**2 * 4 / 2**20, "factor": 2.0},
    # The strictly lower-triangular pattern counted as causal.
    "10.14": {"causal_5": 10.0, "strict_5": 10.0, "causal_64": 64.0 * 63 / 2},
    # Every selected position replaced by [MASK].
    "10.15": {
        "selected": 0.15 * 512,
        "mask_token": 0.15 * 512,
        "random_token": 0.0,
        "unchanged": 0.0,
    },
    "10.16": "d",
    "10.17": "a",
    "10.18": "a",
}

# The wrong function answers as source a student could type.
WRONG_SOURCE: dict[str, str] = {
    "10.6": (
        "def answer_10_6(q, k, v, mask):\n"
        "    scores = np.asarray(q) @ np.swapaxes(np.asarray(k), -1, -2)  # no 1 / sqrt(d_k)\n"
        "    scores = np.where(mask, scores, -1e9)\n"
        "    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))\n"
        "    weights = weights / weights.sum(axis=-1, keepdims=True)\n"
        "    return weights @ np.asarray(v)\n"
    ),
    "10.7": (
        "def answer_10_7(lengths, T):\n"
        "    strict = np.tril(np.ones((T, T), dtype=bool), k=-1)  # the diagonal is blocked\n"
        "    keys = np.arange(T)[None, :] < np.asarray(lengths)[:, None]\n"
        "    return strict[None] & keys[:, None, :]\n"
    ),
    "10.8": (
        "def answer_10_8(images, p):\n"
        "    b, h, w, c = np.shape(images)\n"
        "    return np.reshape(images, (b, (h // p) * (w // p), p * p * c))  # not tiles\n"
    ),
}

# Arguments the hidden checks call function answers with (read by the grader).
_rng = np.random.default_rng(2024)
_boolean_mask = _rng.random((2, 3, 5)) > 0.4
_boolean_mask[..., 0] = True  # every query keeps at least one key
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "10.6": [
        (  # d_k = 3 differs from d_v = 2: the divisor is sqrt(d_k)
            _rng.normal(size=(4, 3)),
            _rng.normal(size=(6, 3)),
            _rng.normal(size=(6, 2)),
            np.ones((4, 6), dtype=bool),
        ),
        (  # batched, with a random mask
            _rng.normal(size=(2, 3, 8)) * 2,
            _rng.normal(size=(2, 5, 8)),
            _rng.normal(size=(2, 5, 4)),
            _boolean_mask,
        ),
        (  # causal
            _rng.normal(size=(5, 16)),
            _rng.normal(size=(5, 16)),
            _rng.normal(size=(5, 3)),
            np.tril(np.ones((5, 5), dtype=bool)),
        ),
    ],
    "10.7": [([2, 4, 6], 6), ([4], 4), ([1, 3], 7)],
    "10.8": [
        (np.arange(2 * 12 * 12 * 2, dtype=np.float64).reshape(2, 12, 12, 2) / 10, 3),
        (_rng.random((3, 8, 8, 1)), 4),
        (np.arange(72.0).reshape(1, 4, 6, 3), 2),  # not square: 2 x 3 tiles
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _all_close(exercise_id: str, rtol: float = 1e-5, atol: float = 1e-6) -> Callable[[Any], Result]:
    """A check that compares every part of a dict answer with ``close``."""
    return close_parts(_ref(exercise_id), rtol, atol)


def _all_exact(exercise_id: str) -> Callable[[Any], Result]:
    return exact_parts(_ref(exercise_id))


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_10_1(answer: Any) -> Result:
    """Scaled scores, weights and outputs for Q = I, two keys, two values."""
    return _all_close("10.1")(answer)


@safe
def check_10_2(answer: Any) -> Result:
    """Sinusoidal encoding for d = 4, positions 0..4, and two offset dot products."""
    return _all_close("10.2")(answer)


@safe
def check_10_3(answer: Any) -> Result:
    """Causal self-attention with identity projections."""
    return _all_close("10.3")(answer)


@safe
def check_10_4(answer: Any) -> Result:
    """Two-head attention with W^O by hand."""
    return _all_close("10.4")(answer)


@safe
def check_10_5(answer: Any) -> Result:
    """Cross-attention scores, weights and outputs without and with scaling."""
    return _all_close("10.5")(answer)


@safe
def check_10_6(answer: Any) -> Result:
    """A function scaled_dot_product_attention(q, k, v, mask)."""
    return function(answer, _ref("10.6"), PROBES["10.6"])


@safe
def check_10_7(answer: Any) -> Result:
    """A function causal_padding_mask(lengths, T)."""
    return function(answer, _ref("10.7"), PROBES["10.7"])


@safe
def check_10_8(answer: Any) -> Result:
    """A function patchify(images, p)."""
    return function(answer, _ref("10.8"), PROBES["10.8"])


@safe
def check_10_9(answer: Any) -> Result:
    """ViT bookkeeping: patches, patch length, a first embedding, token counts."""
    checks = {
        key: lambda v, n, key=key: exact(v, _ref("10.9", key), n)
        for key in _ref("10.9")
        if key != "first_embedding"
    }
    checks["first_embedding"] = lambda v, n: close(v, _ref("10.9", "first_embedding"), n)
    return parts(answer, checks)


@safe
def check_10_10(answer: Any) -> Result:
    """Parameters of three MultiHeadAttention layers."""
    return _all_exact("10.10")(answer)


@safe
def check_10_11(answer: Any) -> Result:
    """Parameters of one encoder block, by part."""
    return _all_exact("10.11")(answer)


@safe
def check_10_12(answer: Any) -> Result:
    """GPT-2 XL parameter count (millions, to a few parameters), 12 L d^2, embedding share."""
    return parts(
        answer,
        {
            # 1e-7 relative: about 150 parameters, yet above float32 rounding (6e-8); the
            # smallest real mistake (the final layer norm's 3,200 parameters) is 2e-6.
            "total_millions": lambda v, n: close(v, _ref("10.12", "total_millions"), n, 1e-7, 0),
            "rule_of_thumb_millions": lambda v, n: close(
                v, _ref("10.12", "rule_of_thumb_millions"), n, 1e-7, 0
            ),
            "embedding_share": lambda v, n: close(v, _ref("10.12", "embedding_share"), n, 1e-4),
        },
    )


@safe
def check_10_13(answer: Any) -> Result:
    """Memory of float32 attention weights."""
    return _all_close("10.13", rtol=1e-8, atol=1e-6)(answer)


@safe
def check_10_14(answer: Any) -> Result:
    """Allowed (query, key) pairs under causal and strictly lower-triangular masks."""
    return _all_exact("10.14")(answer)


@safe
def check_10_15(answer: Any) -> Result:
    """Expected numbers of selected, [MASK], random and unchanged positions in BERT's MLM."""
    return _all_close("10.15", rtol=1e-6)(answer)


@safe
def check_10_16(answer: Any) -> Result:
    """Why divide the scores by sqrt(d_k)."""
    return choice(answer, _ref("10.16"))


@safe
def check_10_17(answer: Any) -> Result:
    """What a GPT without a causal mask learns."""
    return choice(answer, _ref("10.17"))


@safe
def check_10_18(answer: Any) -> Result:
    """A causal attention_mask in Keras' convention."""
    return choice(answer, _ref("10.18"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    "10.1": check_10_1,
    "10.2": check_10_2,
    "10.3": check_10_3,
    "10.4": check_10_4,
    "10.5": check_10_5,
    "10.6": check_10_6,
    "10.7": check_10_7,
    "10.8": check_10_8,
    "10.9": check_10_9,
    "10.10": check_10_10,
    "10.11": check_10_11,
    "10.12": check_10_12,
    "10.13": check_10_13,
    "10.14": check_10_14,
    "10.15": check_10_15,
    "10.16": check_10_16,
    "10.17": check_10_17,
    "10.18": check_10_18,
}
