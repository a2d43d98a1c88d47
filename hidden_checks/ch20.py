"""Hidden checks of chapter 20 (interpretability and adversarial robustness).

Every check takes the student's answer and returns ``(passed, message)``; messages say what is
wrong, never what is expected. Function answers (20.5 integrated gradients of a logistic model,
20.9 one projected PGD step) are called on the argument tuples in ``PROBES``, which differ from
the public check's inputs.

Reference values were recomputed with NumPy in float64 (shared/curriculum/
20-interpretability-robustness.md §4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, exact, function, parts, safe

# ---------------------------------------------------------------------------
# Reference functions.
# ---------------------------------------------------------------------------


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def _ig_logistic(w: Any, x: Any, m: int) -> np.ndarray:
    """IG of p = σ(w·x) with the black baseline and the midpoint rule with m steps."""
    w, x = np.asarray(w, dtype=np.float64), np.asarray(x, dtype=np.float64)
    alphas = (np.arange(1, int(m) + 1) - 0.5) / int(m)
    p = _sigmoid(alphas * (w @ x))
    return x * w * np.mean(p * (1 - p))


def _pgd_step(x: Any, x_k: Any, grad: Any, alpha: float, epsilon: float) -> np.ndarray:
    x, x_k, grad = (np.asarray(v, dtype=np.float64) for v in (x, x_k, grad))
    moved = x_k + alpha * np.sign(grad)
    return np.clip(np.clip(moved, x - epsilon, x + epsilon), 0.0, 1.0)


_W1, _X1 = np.array([2.0, -1.0, 0.5]), np.array([1.0, 1.0, 2.0])
_P1 = float(_sigmoid(_W1 @ _X1))
_W7, _B7, _X7 = np.array([1.0, -2.0, 3.0]), 0.5, np.array([0.5, 0.5, 0.1])
_P7 = float(_sigmoid(_W7 @ _X7 + _B7))
_G7 = (_P7 - 1.0) * _W7
_XADV7 = np.clip(_X7 + 0.1 * np.sign(_G7), 0.0, 1.0)
_A1 = np.array([[1.0, 0.0], [2.0, 1.0]])
_A2 = np.array([[0.0, 3.0], [1.0, 0.0]])
_GA1 = np.array([[0.2, 0.4], [0.1, 0.3]])
_GA2 = np.array([[-0.1, -0.3], [0.0, -0.2]])
_CAM_WEIGHTS = np.array([_GA1.mean(), _GA2.mean()])
_CAM = _CAM_WEIGHTS[0] * _A1 + _CAM_WEIGHTS[1] * _A2

REFERENCE: dict[str, Any] = {
    "20.1": {"logit": 2.0, "p": _P1, "grad": _P1 * (1 - _P1) * _W1},
    "20.2": float(4 * _sigmoid(8.0) * (1 - _sigmoid(8.0))),  # 0.0013409...
    "20.3": {
        "ig": np.array([3.0, 3.0]),
        "ig_sum": 6.0,
        "gxi": np.array([6.0, 6.0]),
        "gxi_sum": 12.0,
    },
    "20.4": {
        "exact": np.array([2.0 / 3.0, 4.0 / 3.0]),
        "m10": np.array([0.7, 1.4]),
        "m50_sum": 1.98,
        "gxi": np.array([1.0, 2.0]),
    },
    "20.5": _ig_logistic,
    "20.6": {"smoothgrad": 3.75, "gradient": 3.0},
    "20.7": {
        "grad": _G7,
        "x_adv": _XADV7,
        "logit_adv": float(_W7 @ _XADV7 + _B7),
        "p_adv": float(_sigmoid(_W7 @ _XADV7 + _B7)),
    },
    "20.8": 3.92,
    "20.9": _pgd_step,
    "20.10": {"weights": _CAM_WEIGHTS, "before_relu": _CAM, "after_relu": np.maximum(_CAM, 0)},
    "20.11": {
        "occlusion_stride2": 169.0,
        "occlusion_stride1": 625.0,
        "pgd7_gradients": 8.0,
        "standard_gradients": 1.0,
        "importance": 0.27,
    },
    "20.12": "b",
    "20.13": "c",
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # gradient of the logit (w) reported as the gradient of p
    "20.1": {"logit": 2.0, "p": _P1, "grad": _W1},
    # ratio of the sigmoids instead of their derivatives
    "20.2": float(_sigmoid(8.0) / _sigmoid(0.0)),
    # IG without the (x − x') factor
    "20.3": {
        "ig": np.array([1.5, 1.0]),
        "ig_sum": 2.5,
        "gxi": np.array([6.0, 6.0]),
        "gxi_sum": 12.0,
    },
    # left Riemann sum (α = 0, 0.1, ..., 0.9) instead of the midpoint rule
    "20.4": {
        "exact": np.array([2.0 / 3.0, 4.0 / 3.0]),
        "m10": np.array([0.6, 1.2]),
        "m50_sum": 1.98,
        "gxi": np.array([1.0, 2.0]),
    },
    "20.5": lambda w, x, m: _ig_logistic(w, x, m) / np.where(np.asarray(x) == 0, 1.0, x),
    # SmoothGrad taken as the gradient at the mean (noise averages out)
    "20.6": {"smoothgrad": 3.0, "gradient": 3.0},
    # gradient *descent* on the loss: the attack helps the model
    "20.7": {
        "grad": _G7,
        "x_adv": np.clip(_X7 - 0.1 * np.sign(_G7), 0.0, 1.0),
        "logit_adv": float(_W7 @ np.clip(_X7 - 0.1 * np.sign(_G7), 0.0, 1.0) + _B7),
        "p_adv": float(_sigmoid(_W7 @ np.clip(_X7 - 0.1 * np.sign(_G7), 0.0, 1.0) + _B7)),
    },
    "20.8": 0.005,  # ε·|w_i| for one pixel only
    "20.9": lambda x, x_k, grad, alpha, epsilon: np.clip(
        np.asarray(x_k) + alpha * np.sign(grad), 0.0, 1.0
    ),
    # ReLU applied to the weights instead of the weighted map
    "20.10": {
        "weights": _CAM_WEIGHTS,
        "before_relu": _CAM,
        "after_relu": np.maximum(_CAM_WEIGHTS[0], 0) * _A1,
    },
    # reversed permutation importance (original minus shuffled loss)
    "20.11": {
        "occlusion_stride2": 169.0,
        "occlusion_stride1": 625.0,
        "pgd7_gradients": 8.0,
        "standard_gradients": 1.0,
        "importance": -0.27,
    },
    "20.12": "a",
    "20.13": "a",
}

WRONG_SOURCE: dict[str, str] = {
    "20.5": (
        "def answer_20_5(w, x, m):\n"
        "    w, x = np.asarray(w, float), np.asarray(x, float)\n"
        "    alphas = np.arange(m) / m  # left Riemann sum\n"
        "    p = 1 / (1 + np.exp(-alphas * (w @ x)))\n"
        "    return x * w * np.mean(p * (1 - p))\n"
    ),
    "20.9": (
        "def answer_20_9(x, x_k, grad, alpha, epsilon):\n"
        "    # clips to [0, 1] only: the ε-ball around x is forgotten\n"
        "    return np.clip(np.asarray(x_k) + alpha * np.sign(grad), 0.0, 1.0)\n"
    ),
}

PROBES: dict[str, list[tuple[Any, ...]]] = {
    "20.5": [
        (np.array([1.0, -3.0, 2.0, 0.5]), np.array([0.5, 0.2, 0.9, 1.0]), 7),
        (np.array([4.0, 1.0]), np.array([1.0, 2.0]), 64),
        (np.array([-1.5, 2.5, 0.0]), np.array([0.3, 0.0, 1.0]), 3),
    ],
    "20.9": [
        (
            np.array([0.0, 0.3, 0.7, 1.0, 0.5]),
            np.array([0.05, 0.35, 0.62, 0.98, 0.44]),
            np.array([-1.0, 2.0, -0.5, 3.0, 1.0]),
            0.03,
            0.08,
        ),
        (
            np.array([[0.1, 0.9], [0.5, 0.5]]),
            np.array([[0.1, 0.9], [0.5, 0.5]]),
            np.array([[1.0, 1.0], [-1.0, 0.0]]),
            0.2,
            0.15,
        ),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _close_parts(exercise_id: str, atol: float = 1e-4) -> Callable[[Any], Result]:
    def run(answer: Any) -> Result:
        return parts(
            answer,
            {
                key: lambda v, n, key=key: close(v, _ref(exercise_id, key), n, rtol=0.0, atol=atol)
                for key in _ref(exercise_id)
            },
        )

    return run


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_20_1(answer: Any) -> Result:
    """Logit, probability and its input gradient for a logistic model."""
    return _close_parts("20.1", 1e-5)(answer)


@safe
def check_20_2(answer: Any) -> Result:
    """σ'(8)/σ'(0)."""
    return close(answer, _ref("20.2"), rtol=1e-3, atol=0.0)


@safe
def check_20_3(answer: Any) -> Result:
    """IG and gradient × input of x1·x2."""
    return _close_parts("20.3", 1e-6)(answer)


@safe
def check_20_4(answer: Any) -> Result:
    """Exact IG, midpoint sums and gradient × input of a ReLU unit."""
    return _close_parts("20.4", 1e-6)(answer)


@safe
def check_20_5(answer: Any) -> Result:
    """A function ig_logistic(w, x, m): midpoint-rule IG of σ(w·x) from a black baseline."""
    return function(answer, _ref("20.5"), PROBES["20.5"])


@safe
def check_20_6(answer: Any) -> Result:
    """SmoothGrad of x³ at 1 with σ = 0.5, and the plain gradient."""
    return _close_parts("20.6", 1e-6)(answer)


@safe
def check_20_7(answer: Any) -> Result:
    """FGSM on a logistic model."""
    return _close_parts("20.7", 1e-5)(answer)


@safe
def check_20_8(answer: Any) -> Result:
    """Worst-case logit change of a linear scorer: ε‖w‖₁."""
    return close(answer, _ref("20.8"), rtol=1e-6, atol=1e-9)


@safe
def check_20_9(answer: Any) -> Result:
    """A function pgd_step(x, x_k, grad, alpha, epsilon)."""
    return function(answer, _ref("20.9"), PROBES["20.9"])


@safe
def check_20_10(answer: Any) -> Result:
    """Grad-CAM weights and map before and after the ReLU."""
    return _close_parts("20.10", 1e-9)(answer)


@safe
def check_20_11(answer: Any) -> Result:
    """Costs of occlusion and adversarial training; permutation importance."""
    return parts(
        answer,
        {
            key: (
                lambda v, n, key=key: (
                    close(v, _ref("20.11", key), n, rtol=1e-6, atol=1e-9)
                    if key == "importance"
                    else exact(v, _ref("20.11", key), n)
                )
            )
            for key in _ref("20.11")
        },
    )


@safe
def check_20_12(answer: Any) -> Result:
    """Maps unchanged by weight randomisation reflect the input, not the model."""
    return choice(answer, _ref("20.12"))


@safe
def check_20_13(answer: Any) -> Result:
    """FGSM stronger than PGD and a plateau at large ε: gradient masking."""
    return choice(answer, _ref("20.13"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    f"20.{k}": globals()[f"check_20_{k}"] for k in range(1, 14)
}
