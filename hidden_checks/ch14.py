"""Hidden checks of chapter 14 (self-supervised learning).

Every check takes the student's answer and returns ``(passed, message)``; messages say
what is wrong, never what is expected. Numbers are compared with ``np.allclose``
(``rtol=1e-5``), counts exactly (absolute tolerance 0.25).

The reference values are recomputed below with NumPy from the tasks' inputs, by the
formulas of the lesson; ``tests/test_exercises_ch14.py`` compares them with the numbers in
``shared/curriculum/14-self-supervised.md`` §4, with ``dlkit.training.nt_xent_loss`` and
with ``dlkit.selfsup``.

* 14.12 is a function answer: the grader calls the student's ``nt_xent`` inside the
  student's kernel on ``PROBES`` (other batches, sizes and temperatures than the public
  check's, including a collapsed batch) and hands the check a recorded function that
  replays the outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, exact, parts, safe

# ---------------------------------------------------------------------------
# Exercise data (the same numbers the exercises notebook gives the student).
# ---------------------------------------------------------------------------

H = np.array([[0.1, 0.3, 0.7], [0.4, 0.6, 0.8], [0.5, 0.9, 0.2], [0.7, 0.5, 0.4]])  # 14.1
ONLINE = np.array([[0.2, 0.4], [0.3, 0.6], [0.5, 0.7]])  # 14.2
TARGET = np.array([[0.1, 0.3], [0.4, 0.8], [0.6, 0.9]])
Q = np.array([[0.5, 0.7], [0.3, 0.8], [0.6, 0.9]])  # 14.3
K = np.array([[0.2, 0.4], [0.1, 0.3], [0.7, 0.6]])
Z1 = np.array([[0.2, 0.4, 0.6], [0.1, 0.3, 0.5], [0.0, 0.2, 0.4]])  # 14.4
Z2 = np.array([[0.3, 0.5, 0.7], [0.2, 0.4, 0.6], [0.1, 0.3, 0.5]])
ANCHOR_POS, ANCHOR_NEG = 0.8, np.array([0.7, 0.2, 0.1, -0.3])  # 14.6
MOCO_POS, MOCO_QUEUE = 0.9, np.array([0.1, 0.2, -0.1])  # 14.7


def _normalise(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=1, keepdims=True)
    return logits - top - np.log(np.sum(np.exp(logits - top), axis=1, keepdims=True))


def nt_xent_per_anchor(z: Any, tau: float, positives: np.ndarray) -> np.ndarray:
    """NT-Xent of every row of ``z`` (2N rows) with its positive ``positives[i]``."""
    zn = _normalise(z)
    logits = zn @ zn.T / tau
    np.fill_diagonal(logits, -np.inf)  # only k = i leaves the denominator
    log_p = _log_softmax(logits)
    return -log_p[np.arange(len(zn)), positives]


def nt_xent_reference(z1: Any, z2: Any, tau: float) -> float:
    """Mean NT-Xent over the 2N views; row i of z1 and row i of z2 are positives."""
    z = np.concatenate([np.asarray(z1, float), np.asarray(z2, float)])
    n = len(z) // 2
    return float(np.mean(nt_xent_per_anchor(z, tau, (np.arange(2 * n) + n) % (2 * n))))


def _nt_xent_without_positive(z1: Any, z2: Any, tau: float) -> float:
    """The wrong answer of 14.12: the positive removed from the denominator too."""
    z = _normalise(np.concatenate([np.asarray(z1, float), np.asarray(z2, float)]))
    n = len(z) // 2
    s = z @ z.T / tau
    pos = (np.arange(2 * n) + n) % (2 * n)
    losses = []
    for i in range(2 * n):
        negatives = [k for k in range(2 * n) if k not in (i, pos[i])]
        losses.append(-s[i, pos[i]] + np.log(np.sum(np.exp(s[i, negatives]))))
    return float(np.mean(losses))


def _info_nce(similarities: np.ndarray, tau: float) -> np.ndarray:
    """Per-row InfoNCE with the positive on the diagonal (all K candidates in the sum)."""
    return -np.diag(_log_softmax(similarities / tau))


def _hard_negative(tau: float) -> tuple[float, float]:
    logits = np.concatenate([[ANCHOR_POS], ANCHOR_NEG]) / tau
    loss = -(logits[0] - np.log(np.sum(np.exp(logits))))
    neg = np.exp(ANCHOR_NEG / tau)
    return float(loss), float(neg.max() / neg.sum())


def _moco(tau: float, exp_outside: bool = False) -> float:
    if exp_outside:  # the wrong formula exp(sim)/tau
        pos = np.exp(MOCO_POS) / tau
        return float(-np.log(pos / (pos + np.sum(np.exp(MOCO_QUEUE) / tau))))
    logits = np.concatenate([[MOCO_POS], MOCO_QUEUE]) / tau
    return float(-(logits[0] - np.log(np.sum(np.exp(logits)))))


def _steps_below(m: float, gap: float = 0.01) -> int:
    """Smallest k with m**k < gap (the gap after k EMA steps from a unit gap)."""
    k = int(np.ceil(np.log(gap) / np.log(m)))
    while m**k >= gap:
        k += 1
    while k > 0 and m ** (k - 1) < gap:
        k -= 1
    return k


_H_BAR = _normalise(H)
_PAIRS = np.array([1, 0, 3, 2])  # views (1,2) and (3,4) of the task, 0-based
_COS_BYOL = np.sum(_normalise(ONLINE) * _normalise(TARGET), axis=1)
_QK = Q @ K.T
_Z_COS = _normalise(Z1) @ _normalise(Z2).T
_HN = [_hard_negative(t) for t in (1.0, 0.5, 0.1)]

REFERENCE: dict[str, Any] = {
    "14.1": {
        "normalised": _H_BAR,
        "cosine": _H_BAR @ _H_BAR.T,
        "loss_tau_1": float(np.mean(nt_xent_per_anchor(H, 1.0, _PAIRS))),
        "loss_tau_05": float(np.mean(nt_xent_per_anchor(H, 0.5, _PAIRS))),
    },
    "14.2": {
        "cosines": _COS_BYOL,
        "losses": 2 - 2 * _COS_BYOL,
        "mean": float(np.mean(2 - 2 * _COS_BYOL)),
        "mse": float(np.mean(np.sum((ONLINE - TARGET) ** 2, axis=1))),
    },
    "14.3": {
        "logits": _QK,
        "losses": _info_nce(_QK, 1.0),
        "mean": float(np.mean(_info_nce(_QK, 1.0))),
    },
    "14.4": {
        "loss_tau_1": float(np.mean(_info_nce(_Z_COS, 1.0))),
        "bound_tau_1": float(np.log(3) - np.mean(_info_nce(_Z_COS, 1.0))),
        "loss_tau_01": float(np.mean(_info_nce(_Z_COS, 0.1))),
        "bound_tau_01": float(np.log(3) - np.mean(_info_nce(_Z_COS, 0.1))),
    },
    "14.5": {"small_batch": float(np.log(7)), "large_batch": float(np.log(511))},
    "14.6": {
        "losses": np.array([loss for loss, _ in _HN]),
        "shares": np.array([share for _, share in _HN]),
    },
    "14.7": {"tau_007_times_1e5": 1e5 * _moco(0.07), "tau_1": _moco(1.0)},
    "14.8": {
        "steps": np.array([_steps_below(m) for m in (0.99, 0.996, 0.999)], dtype=float),
        "half_life": float(np.log(0.5) / np.log(0.99)),
    },
    "14.9": {
        "negatives": 510,
        "queue_steps_4096": 16,
        "queue_steps_65536": 256,
        "probe_params": 650,
        "rotation_size": 7188,
    },
    # "Noise has no canonical up; 0, 1 and 8 look (nearly) the same after 180 degrees."
    "14.10": "c",
    # "Predict the original ids at the masked positions only (80/10/10 replacement)."
    "14.11": "b",
    "14.12": nt_xent_reference,
    "14.13": {"after_one": 0.01, "after_ten": float(1 - 0.99**10), "shared_raises": 1},
}


def _wrong_nt_xent_mean(h: np.ndarray, tau: float) -> float:
    z = np.concatenate([h[[0, 2]], h[[1, 3]]])  # rows of the two views: pairs (0,1), (2,3)
    return _nt_xent_without_positive(z[:2], z[2:], tau)


WRONG: dict[str, Any] = {
    # The positive left out of the denominator (the book's InfoNCE).
    "14.1": {
        "normalised": _H_BAR,
        "cosine": _H_BAR @ _H_BAR.T,
        "loss_tau_1": _wrong_nt_xent_mean(H, 1.0),
        "loss_tau_05": _wrong_nt_xent_mean(H, 0.5),
    },
    # Plain squared distances of the unnormalised vectors used as the loss.
    "14.2": {
        "cosines": _COS_BYOL,
        "losses": np.sum((ONLINE - TARGET) ** 2, axis=1),
        "mean": float(np.mean(np.sum((ONLINE - TARGET) ** 2, axis=1))),
        "mse": float(np.mean(np.sum((ONLINE - TARGET) ** 2, axis=1))),
    },
    # Only the negatives in the denominator.
    "14.3": {
        "logits": _QK,
        "losses": np.array(
            [-_QK[i, i] + np.log(np.sum(np.exp(np.delete(_QK[i], i)))) for i in range(3)]
        ),
        "mean": float(
            np.mean([-_QK[i, i] + np.log(np.sum(np.exp(np.delete(_QK[i], i)))) for i in range(3)])
        ),
    },
    # The bound taken in bits (log base 2 of K).
    "14.4": {
        "loss_tau_1": float(np.mean(_info_nce(_Z_COS, 1.0))),
        "bound_tau_1": float(np.log2(3) - np.mean(_info_nce(_Z_COS, 1.0))),
        "loss_tau_01": float(np.mean(_info_nce(_Z_COS, 0.1))),
        "bound_tau_01": float(np.log2(3) - np.mean(_info_nce(_Z_COS, 0.1))),
    },
    # ln(2N): the self-similarity counted in the denominator.
    "14.5": {"small_batch": float(np.log(8)), "large_batch": float(np.log(512))},
    # The hardest negative's share of the whole softmax (positive included).
    "14.6": {
        "losses": np.array([loss for loss, _ in _HN]),
        "shares": np.array(
            [
                np.exp(0.7 / t) / np.sum(np.exp(np.concatenate([[0.8], ANCHOR_NEG]) / t))
                for t in (1.0, 0.5, 0.1)
            ]
        ),
    },
    # exp(sim) / tau: the temperature outside the exponential.
    "14.7": {"tau_007_times_1e5": 1e5 * _moco(0.07, True), "tau_1": _moco(1.0, True)},
    # The last step at which the gap is still >= 1 %.
    "14.8": {
        "steps": np.array([_steps_below(m) - 1 for m in (0.99, 0.996, 0.999)], dtype=float),
        "half_life": float(np.log(0.5) / np.log(0.99)),
    },
    # 2N - 1 negatives: the positive counted as a negative.
    "14.9": {
        "negatives": 511,
        "queue_steps_4096": 16,
        "queue_steps_65536": 256,
        "probe_params": 650,
        "rotation_size": 7188,
    },
    # "The network is too small to learn rotations of noise."
    "14.10": "a",
    # "The loss is averaged over all ten positions."
    "14.11": "a",
    "14.12": _nt_xent_without_positive,
    # The EMA weights swapped: m * online + (1 - m) * target.
    "14.13": {"after_one": 0.99, "after_ten": float(1 - 0.01**10), "shared_raises": 0},
}

# The non-literal wrong answers as code a student could type.
WRONG_SOURCE: dict[str, str] = {
    "14.12": (
        "def answer_14_12(z1, z2, tau):\n"
        "    z = np.concatenate([np.asarray(z1, float), np.asarray(z2, float)])\n"
        "    z = z / np.linalg.norm(z, axis=1, keepdims=True)\n"
        "    n = len(z) // 2\n"
        "    s = z @ z.T / tau\n"
        "    pos = (np.arange(2 * n) + n) % (2 * n)\n"
        "    losses = []\n"
        "    for i in range(2 * n):\n"
        "        negatives = [k for k in range(2 * n) if k != i and k != pos[i]]\n"
        "        losses.append(-s[i, pos[i]] + np.log(np.sum(np.exp(s[i, negatives]))))\n"
        "    return float(np.mean(losses))\n"
    ),
}


def _probe(seed: int, n: int, d: int, tau: float, collapsed: bool = False):
    rng = np.random.default_rng(seed)
    if collapsed:
        row = rng.normal(size=(1, d)).round(3)
        return (np.repeat(row, n, axis=0), np.repeat(row, n, axis=0), tau)
    return (rng.normal(size=(n, d)).round(3), rng.normal(size=(n, d)).round(3), tau)


# Arguments the hidden check of 14.12 calls the function with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "14.12": [
        _probe(141, 3, 4, 0.5),
        _probe(142, 6, 5, 0.1),
        _probe(143, 2, 3, 2.0),
        _probe(144, 5, 8, 0.2, collapsed=True),
        _probe(145, 8, 2, 1.0),
    ],
}


def _ref(exercise_id: str) -> Any:
    return REFERENCE[exercise_id]


def _make(exercise_id: str, doc: str, exact_keys: tuple[str, ...] = ()) -> Callable[[Any], Result]:
    """A dict check: ``exact_keys`` exactly, the rest with allclose."""

    def check(answer: Any) -> Result:
        checks = {}
        for key, expected in _ref(exercise_id).items():
            if key in exact_keys:
                checks[key] = lambda v, n, e=expected: exact(v, e, n)
            else:
                checks[key] = lambda v, n, e=expected: close(v, e, n)
        return parts(answer, checks)

    check.__doc__ = doc
    return safe(check)


@safe
def check_14_12(answer: Any) -> Result:
    """NT-Xent from scratch, on the hidden probes."""
    if not callable(answer):
        return False, f"expected a function, got {type(answer).__name__}"
    probes = PROBES["14.12"]
    failed = 0
    for args in probes:
        ok, _ = close(answer(*args), nt_xent_reference(*args), rtol=1e-5, atol=1e-6)
        failed += not ok
    if failed:
        return False, f"the function is wrong on {failed} of {len(probes)} hidden test inputs"
    return True, f"correct on {len(probes)} hidden test inputs"


def _choice_check(exercise_id: str, doc: str) -> Callable[[Any], Result]:
    def check(answer: Any) -> Result:
        return choice(answer, _ref(exercise_id))

    check.__doc__ = doc
    return safe(check)


CHECKS: dict[str, Callable[[Any], Result]] = {
    "14.1": _make("14.1", "NT-Xent by hand on four views."),
    "14.2": _make("14.2", "The BYOL loss of three pairs."),
    "14.3": _make("14.3", "InfoNCE with positives on the diagonal."),
    "14.4": _make("14.4", "InfoNCE and the mutual-information bound."),
    "14.5": _make("14.5", "NT-Xent of a collapsed encoder."),
    "14.6": _make("14.6", "Temperature and the hardest negative."),
    "14.7": _make("14.7", "The MoCo loss at two temperatures."),
    "14.8": _make("14.8", "EMA steps and half-life.", ("steps",)),
    "14.9": _make(
        "14.9",
        "Counting negatives, queue steps, probe parameters, rotation examples.",
        ("negatives", "queue_steps_4096", "queue_steps_65536", "probe_params", "rotation_size"),
    ),
    "14.10": _choice_check("14.10", "Why rotation prediction fails on noise."),
    "14.11": _choice_check("14.11", "Masked language modelling."),
    "14.12": check_14_12,
    "14.13": _make("14.13", "An EMA update between two Keras models.", ("shared_raises",)),
}
