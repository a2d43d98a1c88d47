"""Hidden checks of chapter 03 (activations): exact reference values and strict comparisons.

Every check takes the student's answer and returns ``(passed, message)``. Answers may be
lists, NumPy arrays or TensorFlow tensors; they are converted with
:func:`dlkit.exercises.as_float_array`. Numbers are compared with ``np.allclose`` at a
tolerance stated per part; messages say what is wrong, never what is expected.

The reference values are recomputed below with NumPy and the standard library (the normal
CDF from ``math.erf``), and agree with ``shared/curriculum/03-activations.md`` §4.

Function answers (03.6, 03.11) are called on the argument tuples in ``PROBES``, which
differ from the inputs of the public checks. The grader calls the student's function inside
the student's kernel and hands the check a :class:`dlkit.answers.RecordedFunction` that
replays those outputs; a plain Python function works the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, function, parts, safe

# ---------------------------------------------------------------------------
# Closed forms, in float64.
# ---------------------------------------------------------------------------


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _gelu_tanh(x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def _mish_grad(x: Any) -> Any:
    """tanh(sp(x)) + x σ(x) sech²(sp(x))."""
    t = np.tanh(_softplus(x))
    return t + np.asarray(x) * _sigmoid(x) * (1.0 - t**2)


def _mish_grad_book(x: Any) -> Any:
    """The textbook's version: Mish(x) written where tanh(sp(x)) belongs."""
    m = np.asarray(x) * np.tanh(_softplus(x))
    return m + np.asarray(x) * _sigmoid(x) * (1.0 - m**2)


def _swish_grad(x: float) -> float:
    s = float(_sigmoid(x))
    return s * (1.0 + x * (1.0 - s))


def _swish_minimum() -> tuple[float, float]:
    """Where Swish's derivative vanishes (bisection on [-3, 0]) and the value there."""
    low, high = -3.0, 0.0  # f'(-3) < 0 < f'(0)
    for _ in range(200):
        middle = 0.5 * (low + high)
        if _swish_grad(middle) < 0:
            low = middle
        else:
            high = middle
    x_min = 0.5 * (low + high)
    return x_min, x_min * float(_sigmoid(x_min))


def _softmax(z: Any) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def _log_softmax_reference(z: Any) -> np.ndarray:
    """log softmax(z) with the log-sum-exp trick."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max()
    return shifted - np.log(np.sum(np.exp(shifted)))


def _naive_log_softmax(z: Any) -> np.ndarray:
    """The typical mistake: log(exp(z) / sum(exp(z))), which overflows for large logits."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.log(np.exp(z) / np.sum(np.exp(z)))


def _sigmoid_chain_grad_reference(x: float, depth: int) -> float:
    """d/dx of σ applied ``depth`` times, by the chain rule: Π σ'(a_k)."""
    value, grad = float(x), 1.0
    for _ in range(int(depth)):
        s = float(_sigmoid(value))
        grad *= s * (1.0 - s)
        value = s
    return grad


_Z3 = np.array([-1.0, 0.0, 1.0])
_P = _softmax([1.0, 2.0, 3.0])
_SWISH_MIN_X, _SWISH_MIN = _swish_minimum()

# Gradients of exercise 03.13 and the three ways to clip them (threshold 1).
_G_KERNEL = np.array([[3.0, -4.0], [12.0, 0.0]])
_G_BIAS = np.array([-5.0, 0.5])
_GLOBAL_NORM = float(np.sqrt(np.sum(_G_KERNEL**2) + np.sum(_G_BIAS**2)))


def _clip_norm(g: np.ndarray, c: float = 1.0) -> np.ndarray:
    return g * min(1.0, c / float(np.linalg.norm(g)))


REFERENCE: dict[str, Any] = {
    "03.1": _sigmoid(_Z3),
    "03.2": 1.0 - np.tanh(_Z3) ** 2,
    "03.3": {
        "relu": np.maximum(_Z3, 0.0),
        "leaky": np.where(_Z3 > 0, _Z3, 0.01 * _Z3),
        "elu": np.where(_Z3 > 0, _Z3, np.expm1(_Z3)),
        "keras_layer_default": np.where(_Z3 > 0, _Z3, 0.3 * _Z3),
    },
    "03.4": {
        "exact": np.array([-1.0 * _normal_cdf(-1.0), 1.0 * _normal_cdf(1.0)]),
        "approx": _gelu_tanh([-1.0, 1.0]),
        "grad0": _normal_cdf(0.0) + 0.0 * _normal_pdf(0.0),
        "grad1": _normal_cdf(1.0) + 1.0 * _normal_pdf(1.0),
    },
    "03.5": {
        "p": _P,
        "jacobian": np.diag(_P) - np.outer(_P, _P),
        "p_shifted": _softmax([1001.0, 1002.0, 1003.0]),
    },
    "03.6": _log_softmax_reference,
    "03.7": {
        "correct": _mish_grad(np.array([-1.0, 2.0])),
        "book": _mish_grad_book(np.array([-1.0, 2.0])),
    },
    "03.8": {
        "sigmoid_log10": 10 * math.log10(0.25),
        "tanh3_log10": 10 * math.log10(1.0 - math.tanh(3.0) ** 2),
    },
    "03.9": {
        "elu_grad": math.exp(-2.0),
        "swish_grad0": _swish_grad(0.0),
        "swish_min_x": _SWISH_MIN_X,
        "swish_min": _SWISH_MIN,
    },
    "03.10": {
        "inactive_b1": _normal_cdf(1.0),  # P(z <= 0) for z ~ N(-1, 1)
        "active_per_million_b5": 1e6 * 0.5 * math.erfc(5.0 / math.sqrt(2.0)),  # 1e6 P(z > 0)
    },
    "03.11": _sigmoid_chain_grad_reference,
    "03.12": "c",
    "03.13": {
        "value_kernel": np.clip(_G_KERNEL, -1.0, 1.0),
        "value_bias": np.clip(_G_BIAS, -1.0, 1.0),
        "norm_kernel": _clip_norm(_G_KERNEL),
        "norm_bias": _clip_norm(_G_BIAS),
        "global_kernel": _G_KERNEL / _GLOBAL_NORM,
        "global_bias": _G_BIAS / _GLOBAL_NORM,
        "global_norm": _GLOBAL_NORM,
    },
    "03.14": {"ten_class": "b", "tanh": "c"},
}


# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Sign error in the exponent: 1 / (1 + e^z).
    "03.1": _sigmoid(-_Z3),
    # The sigmoid's pattern f(1 - f) applied to tanh.
    "03.2": np.tanh(_Z3) * (1.0 - np.tanh(_Z3)),
    # Keras' LeakyReLU layer taken to share the function's default slope (0.2).
    "03.3": {**REFERENCE["03.3"], "keras_layer_default": np.where(_Z3 > 0, _Z3, 0.2 * _Z3)},
    # Product rule forgotten: GELU'(x) = Φ(x).
    "03.4": {**REFERENCE["03.4"], "grad1": _normal_cdf(1.0)},
    # Only the diagonal of the Jacobian, diag(p(1 - p)).
    "03.5": {**REFERENCE["03.5"], "jacobian": np.diag(_P * (1.0 - _P))},
    # The naive formula log(exp(z) / sum(exp(z))): overflows for large logits.
    "03.6": _naive_log_softmax,
    # The textbook's formula taken for the correct one.
    "03.7": {"correct": REFERENCE["03.7"]["book"], "book": REFERENCE["03.7"]["book"]},
    # σ(0) = 1/2 used as the largest slope instead of σ'(0) = 1/4.
    "03.8": {**REFERENCE["03.8"], "sigmoid_log10": 10 * math.log10(0.5)},
    # ELU's value instead of its derivative at -2.
    "03.9": {**REFERENCE["03.9"], "elu_grad": math.expm1(-2.0)},
    # The probability of being active, P(z > 0), instead of inactive.
    "03.10": {**REFERENCE["03.10"], "inactive_b1": 1.0 - _normal_cdf(1.0)},
    # The bound 0.25**depth instead of the actual product of derivatives.
    "03.11": lambda x, depth: 0.25**depth,
    # Small initial weights taken to make the kernel-gradient ratio vanish.
    "03.12": "a",
    # Per-tensor clipnorm reported as the global clipping.
    "03.13": {
        **REFERENCE["03.13"],
        "global_kernel": _clip_norm(_G_KERNEL),
        "global_bias": _clip_norm(_G_BIAS),
    },
    # Softmax output with from_logits=True; "zero-centred tanh cannot vanish".
    "03.14": {"ten_class": "d", "tanh": "a"},
}

# The wrong function answers as source a student could type.
WRONG_SOURCE: dict[str, str] = {
    "03.6": (
        "def answer_03_6(z):\n"
        "    z = np.asarray(z, dtype=float)\n"
        "    with np.errstate(all='ignore'):  # silence the overflow warnings\n"
        "        return np.log(np.exp(z) / np.sum(np.exp(z)))  # overflows for large logits"
    ),
    "03.11": ("def answer_03_11(x, depth):\n    return 0.25**depth  # the bound, not the product"),
}

# Arguments the hidden checks call function answers with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "03.6": [
        ([2000.0, 1999.0, 1990.0],),
        ([-800.0, -801.5, -799.0],),
        ([3.0, 1.0],),
        ([0.0, 0.0, 0.0, 0.0, 0.0],),
        ([-50.0, 700.0, 20.0, 699.5],),
    ],
    "03.11": [(0.5, 4), (-1.0, 2), (2.0, 5), (0.0, 3), (3.0, 1)],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _choice_part(value: Any, expected: str, name: str) -> Result:
    passed, message = choice(value, expected)
    return passed, message if passed else f"{name}: {message}"


def _close_parts(exercise_id: str, rtol: float = 1e-5, atol: float = 1e-6) -> dict:
    return {
        key: lambda v, n, key=key: close(v, _ref(exercise_id, key), n, rtol=rtol, atol=atol)
        for key in _ref(exercise_id)
    }


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_03_1(answer: Any) -> Result:
    """σ(z) at z = (-1, 0, 1)."""
    return close(answer, _ref("03.1"))


@safe
def check_03_2(answer: Any) -> Result:
    """tanh'(z) = 1 - tanh²(z) at z = (-1, 0, 1)."""
    return close(answer, _ref("03.2"))


@safe
def check_03_3(answer: Any) -> Result:
    """ReLU, Leaky ReLU (0.01), ELU and Keras' default LeakyReLU layer at (-1, 0, 1)."""
    return parts(answer, _close_parts("03.3"))


@safe
def check_03_4(answer: Any) -> Result:
    """Exact and tanh-approximate GELU at ±1, GELU'(0) and GELU'(1)."""
    return parts(answer, _close_parts("03.4"))


@safe
def check_03_5(answer: Any) -> Result:
    """Softmax of (1, 2, 3), its Jacobian, softmax of (1001, 1002, 1003)."""
    return parts(answer, _close_parts("03.5"))


@safe
def check_03_6(answer: Any) -> Result:
    """A stable log-softmax function."""
    return function(answer, _ref("03.6"), PROBES["03.6"])


@safe
def check_03_7(answer: Any) -> Result:
    """Mish' at (-1, 2): the correct formula and the textbook's."""
    return parts(answer, _close_parts("03.7"))


@safe
def check_03_8(answer: Any) -> Result:
    """log10 of 0.25**10 and of tanh'(3)**10."""
    return parts(answer, _close_parts("03.8", rtol=0.0, atol=1e-4))


@safe
def check_03_9(answer: Any) -> Result:
    """ELU'(-2), Swish'(0), and the location and value of Swish's minimum."""
    tolerances = {"elu_grad": 1e-6, "swish_grad0": 1e-6, "swish_min_x": 5e-3, "swish_min": 1e-5}
    return parts(
        answer,
        {
            key: lambda v, n, key=key, tol=tol: close(v, _ref("03.9", key), n, rtol=0.0, atol=tol)
            for key, tol in tolerances.items()
        },
    )


@safe
def check_03_10(answer: Any) -> Result:
    """Probability that a ReLU with pre-activation N(b, 1) is inactive / active."""
    return parts(
        answer,
        {
            "inactive_b1": lambda v, n: close(v, _ref("03.10", "inactive_b1"), n, atol=1e-5),
            "active_per_million_b5": lambda v, n: close(
                v, _ref("03.10", "active_per_million_b5"), n, rtol=1e-3, atol=1e-4
            ),
        },
    )


@safe
def check_03_11(answer: Any) -> Result:
    """A function: derivative of σ∘…∘σ (depth times) at x."""
    return function(answer, _ref("03.11"), PROBES["03.11"])


@safe
def check_03_12(answer: Any) -> Result:
    """Which network's kernel-gradient ratio vanishes?"""
    return choice(answer, _ref("03.12"))


@safe
def check_03_13(answer: Any) -> Result:
    """clipvalue, clipnorm and global-norm clipping of two gradients."""
    return parts(answer, _close_parts("03.13"))


@safe
def check_03_14(answer: Any) -> Result:
    """Output layer and loss for 10 classes; the true statement about tanh."""
    return parts(
        answer,
        {
            key: lambda v, n, key=key: _choice_part(v, _ref("03.14", key), n)
            for key in _ref("03.14")
        },
    )


CHECKS: dict[str, Callable[[Any], Result]] = {
    "03.1": check_03_1,
    "03.2": check_03_2,
    "03.3": check_03_3,
    "03.4": check_03_4,
    "03.5": check_03_5,
    "03.6": check_03_6,
    "03.7": check_03_7,
    "03.8": check_03_8,
    "03.9": check_03_9,
    "03.10": check_03_10,
    "03.11": check_03_11,
    "03.12": check_03_12,
    "03.13": check_03_13,
    "03.14": check_03_14,
}
