"""Hidden checks of chapter 15 (tensor methods): exact reference values and strict comparisons.

Every check takes the student's answer and returns ``(passed, message)``; messages say what is
wrong, never what is expected. Function answers (15.7 unfold, 15.8 mode_n_product, 15.9
hosvd_error) are called on the argument tuples in ``PROBES``, which differ from the public
check's inputs; the grader calls them inside the student's kernel and hands the check a
:class:`dlkit.answers.RecordedFunction` that replays the outputs.

Reference values were recomputed with NumPy in float64 (shared/curriculum/15-tensor-methods.md
§4). Indices in the tasks are 1-based.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import (
    Result,
    choice,
    close,
    exact,
    exact_parts,
    function,
    parts,
    safe,
    shape,
)

# ---------------------------------------------------------------------------
# Reference functions.
# ---------------------------------------------------------------------------


def _unfold(x: Any, n: int) -> np.ndarray:
    """Kolda–Bader mode-n unfolding (earliest remaining mode fastest)."""
    x = np.asarray(x, dtype=np.float64)
    return np.reshape(np.moveaxis(x, n, 0), (x.shape[n], -1), order="F")


def _mode_n_product(x: Any, u: Any, n: int) -> np.ndarray:
    x, u = np.asarray(x, dtype=np.float64), np.asarray(u, dtype=np.float64)
    return np.moveaxis(np.tensordot(x, u, axes=[[n], [1]]), -1, n)


def _hosvd_error(x: Any, ranks: Any) -> float:
    x = np.asarray(x, dtype=np.float64)
    approximation = x
    for n, r in enumerate(ranks):
        u = np.linalg.svd(_unfold(x, n))[0][:, : int(r)]
        approximation = np.moveaxis(np.tensordot(u @ u.T, approximation, axes=[[1], [n]]), 0, n)
    return float(np.linalg.norm(x - approximation) / np.linalg.norm(x))


def _best_rank1(x: np.ndarray, sweeps: int = 2000) -> tuple[float, float]:
    """Higher-order power method (rank-1 ALS) for an order-3 tensor: (lambda, relative error)."""
    v, w = np.ones(x.shape[1]), np.ones(x.shape[2])
    for _ in range(sweeps):
        u = np.einsum("ijk,j,k->i", x, v, w)
        u /= np.linalg.norm(u)
        v = np.einsum("ijk,i,k->j", x, u, w)
        v /= np.linalg.norm(v)
        w = np.einsum("ijk,i,j->k", x, u, v)
        lam = np.linalg.norm(w)
        w /= lam
    error = np.linalg.norm(x - lam * np.einsum("i,j,k->ijk", u, v, w)) / np.linalg.norm(x)
    return float(lam), float(error)


BOOK_X = np.stack([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]], axis=2)
_LAMBDA, _BEST_ERROR = _best_rank1(BOOK_X)

REFERENCE: dict[str, Any] = {
    "15.1": {
        "mode1": np.array([0.0, 3.0, 6.0, 1.0, 4.0, 7.0, 2.0, 5.0, 8.0]),
        "mode2": np.array([0.0, 9.0, 18.0, 1.0, 10.0, 19.0, 2.0, 11.0, 20.0]),
        "mode3": np.array([0.0, 9.0, 18.0, 3.0, 12.0, 21.0, 6.0, 15.0, 24.0]),
    },
    "15.2": {
        "shape": (2, 2, 2),
        "C": np.stack(
            [np.array([[64.0, 84.0], [104.0, 124.0]]), np.array([[70.0, 92.0], [114.0, 136.0]])],
            axis=2,
        ),
    },
    "15.3": {"cp": 1920.0, "tucker": 2048.0, "tt": 320.0},
    "15.4": {
        "kernel": 16384.0,
        "rank16": 5120.0,
        "max_rank": 51.0,
        "rank1_error": float(np.sqrt(10.0)),
        "rank1_relative_error": float(np.sqrt(10.0 / 26.0)),
    },
    "15.5": {"full": 36864.0, "tucker2": 4352.0, "cp": 4288.0},
    "15.6": {"ranks": (1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1), "params": 72.0},
    "15.7": _unfold,
    "15.8": _mode_n_product,
    "15.9": _hosvd_error,
    "15.10": {
        "unfolding_ranks": (2, 2, 2),
        "proposed_error": 0.7276068751089989,
        "best_lambda": _LAMBDA,  # 14.2254...
        "best_error": _BEST_ERROR,  # 0.0896...
    },
    "15.11": "b",
    "15.12": "c",
    "15.13": "d",
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # C-order reshape after moveaxis: the latest remaining mode varies fastest.
    "15.1": {
        "mode1": np.arange(9.0),
        "mode2": np.array([0.0, 1.0, 2.0, 9.0, 10.0, 11.0, 18.0, 19.0, 20.0]),
        "mode3": np.array([0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0]),
    },
    # Summed against the wrong index of B (B transposed): C_ijl = Σ_k A_ijk B_lk.
    "15.2": {
        "shape": (2, 2, 2),
        "C": np.stack(
            [np.array([[59.0, 78.0], [97.0, 116.0]]), np.array([[71.0, 94.0], [117.0, 140.0]])],
            axis=2,
        ),
    },
    # Tucker counted without its core.
    "15.3": {"cp": 1920.0, "tucker": 1536.0, "tt": 320.0},
    # Error taken as the first discarded singular value only (3), not sqrt(3² + 1²).
    "15.4": {
        "kernel": 16384.0,
        "rank16": 5120.0,
        "max_rank": 51.0,
        "rank1_error": 3.0,
        "rank1_relative_error": float(3.0 / np.sqrt(26.0)),
    },
    # CP counted with one k×k depthwise conv (k² per rank) instead of k×1 and 1×k (2k).
    "15.5": {"full": 36864.0, "tucker2": 4352.0, "cp": 4384.0},
    # The ranks of a random vector (no truncation at all).
    "15.6": {"ranks": (1, 2, 4, 8, 16, 32, 16, 8, 4, 2, 1), "params": 2728.0},
    "15.7": lambda x, n: np.reshape(np.moveaxis(np.asarray(x), n, 0), (np.shape(x)[n], -1)),
    "15.8": lambda x, u, n: np.tensordot(np.asarray(x), np.asarray(u), axes=[[n], [1]]),
    "15.9": lambda x, ranks: _hosvd_error(x, ranks) * float(np.linalg.norm(x)),
    # Believes the book: rank 1 everywhere, absolute errors, lambda = ‖X‖.
    "15.10": {
        "unfolding_ranks": (1, 1, 1),
        "proposed_error": 10.392304845413264,
        "best_lambda": float(np.linalg.norm(BOOK_X)),
        "best_error": 0.0,
    },
    "15.11": "c",  # TT confused with the hierarchical Tucker format
    "15.12": "a",  # tf's v used as Vᴴ
    "15.13": "b",  # kernels transposed as if Keras stored (out, in)
}

WRONG_SOURCE: dict[str, str] = {
    "15.7": (
        "def answer_15_7(x, n):\n"
        "    # C-order reshape: the latest remaining mode varies fastest\n"
        "    moved = keras.ops.moveaxis(keras.ops.convert_to_tensor(x), n, 0)\n"
        "    return keras.ops.reshape(moved, (x.shape[n], -1))\n"
    ),
    "15.8": (
        "def answer_15_8(x, u, n):\n"
        "    # the new mode is left last instead of moved back to position n\n"
        "    return keras.ops.tensordot(x, u, axes=[[n], [1]])\n"
    ),
    "15.9": (
        "def answer_15_9(x, ranks):\n"
        "    x = np.asarray(x, dtype=np.float64)\n"
        "    approx = x\n"
        "    for n, r in enumerate(ranks):\n"
        "        m = np.reshape(np.moveaxis(x, n, 0), (x.shape[n], -1), order='F')\n"
        "        u = np.linalg.svd(m)[0][:, :r]\n"
        "        approx = np.moveaxis(np.tensordot(u @ u.T, approx, axes=[[1], [n]]), 0, n)\n"
        "    return float(np.linalg.norm(x - approx))  # not divided by the norm of x\n"
    ),
}

_RNG = np.random.default_rng(1515)
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "15.7": [
        (np.arange(60.0).reshape(3, 4, 5), 0),
        (np.arange(60.0).reshape(3, 4, 5), 2),
        (np.round(_RNG.normal(size=(2, 3, 2, 2)), 3), 1),
        (np.arange(6.0).reshape(2, 3), 1),
    ],
    "15.8": [
        (np.arange(24.0).reshape(2, 3, 4), np.arange(6.0).reshape(2, 3) - 2.0, 1),
        (np.arange(24.0).reshape(2, 3, 4), np.round(_RNG.normal(size=(3, 2)), 3), 0),
        (np.round(_RNG.normal(size=(2, 2, 3, 2)), 3), np.round(_RNG.normal(size=(4, 3)), 3), 2),
    ],
    "15.9": [
        (np.round(_RNG.normal(size=(4, 5, 3)), 3), (2, 3, 2)),
        (np.round(_RNG.normal(size=(4, 5, 3)), 3), (1, 1, 1)),
        (np.sqrt(np.arange(1.0, 49.0)).reshape(4, 3, 4) + np.eye(4)[:, None, :], (2, 2, 3)),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _exact_parts(exercise_id: str) -> Callable[[Any], Result]:
    return exact_parts(_ref(exercise_id))


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_15_1(answer: Any) -> Result:
    """First rows of the three Kolda–Bader unfoldings of arange(27).reshape(3, 3, 3)."""
    return parts(
        answer,
        {key: lambda v, n, key=key: close(v, _ref("15.1", key), n) for key in _ref("15.1")},
    )


@safe
def check_15_2(answer: Any) -> Result:
    """C_ijl = Σ_k A_ijk B_kl: shape and values."""
    return parts(
        answer,
        {
            "shape": lambda v, n: shape(v, _ref("15.2", "shape"), n),
            "C": lambda v, n: close(v, _ref("15.2", "C"), n),
        },
    )


@safe
def check_15_3(answer: Any) -> Result:
    """Parameter counts of CP, Tucker and TT models."""
    return _exact_parts("15.3")(answer)


@safe
def check_15_4(answer: Any) -> Result:
    """Low-rank Dense weight counts and the Eckart–Young error."""
    return parts(
        answer,
        {
            "kernel": lambda v, n: exact(v, _ref("15.4", "kernel"), n),
            "rank16": lambda v, n: exact(v, _ref("15.4", "rank16"), n),
            "max_rank": lambda v, n: exact(v, _ref("15.4", "max_rank"), n),
            "rank1_error": lambda v, n: close(v, _ref("15.4", "rank1_error"), n),
            "rank1_relative_error": lambda v, n: close(v, _ref("15.4", "rank1_relative_error"), n),
        },
    )


@safe
def check_15_5(answer: Any) -> Result:
    """Weights of a 3×3 conv, its Tucker-2 and its CP replacement."""
    return _exact_parts("15.5")(answer)


@safe
def check_15_6(answer: Any) -> Result:
    """TT ranks and parameter count of a sampled sine."""
    return parts(
        answer,
        {
            "ranks": lambda v, n: shape(v, _ref("15.6", "ranks"), n),
            "params": lambda v, n: exact(v, _ref("15.6", "params"), n),
        },
    )


@safe
def check_15_7(answer: Any) -> Result:
    """A function unfold(x, n): the Kolda–Bader unfolding."""
    return function(answer, _ref("15.7"), PROBES["15.7"])


@safe
def check_15_8(answer: Any) -> Result:
    """A function mode_n_product(x, u, n)."""
    return function(answer, _ref("15.8"), PROBES["15.8"])


@safe
def check_15_9(answer: Any) -> Result:
    """A function hosvd_error(x, ranks): relative error of the truncated HOSVD."""
    return function(answer, _ref("15.9"), PROBES["15.9"])


@safe
def check_15_10(answer: Any) -> Result:
    """Unfolding ranks, the book's proposal and the best rank-1 CP model."""
    return parts(
        answer,
        {
            "unfolding_ranks": lambda v, n: shape(v, _ref("15.10", "unfolding_ranks"), n),
            "proposed_error": lambda v, n: close(
                v, _ref("15.10", "proposed_error"), n, rtol=0.0, atol=1e-5
            ),
            "best_lambda": lambda v, n: close(
                v, _ref("15.10", "best_lambda"), n, rtol=0.0, atol=1e-3
            ),
            "best_error": lambda v, n: close(
                v, _ref("15.10", "best_error"), n, rtol=0.0, atol=1e-3
            ),
        },
    )


@safe
def check_15_11(answer: Any) -> Result:
    """Tensor trains are matrix product states; every core is order 3."""
    return choice(answer, _ref("15.11"))


@safe
def check_15_12(answer: Any) -> Result:
    """tf.linalg.svd returns (s, u, v) with v not transposed."""
    return choice(answer, _ref("15.12"))


@safe
def check_15_13(answer: Any) -> Result:
    """A truncated SVD as Dense(r, use_bias=False) with kernel P, then Dense(n) with Q and b."""
    return choice(answer, _ref("15.13"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    f"15.{k}": globals()[f"check_15_{k}"] for k in range(1, 14)
}
