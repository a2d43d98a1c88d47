"""Hidden checks of chapter 04 (optimizers): exact reference values and strict comparisons.

Every reference value is recomputed below with NumPy (float64), from the update rules and
formulas of ``shared/curriculum/04-optimizers.md``, rather than typed in. Answers may be
lists, NumPy arrays or TensorFlow tensors. Tolerances are stated per part: answers a student
computes with Keras in float32 (optimizer steps, schedules) get an absolute tolerance of
1e-6 to 2e-5, well below the size of every typical mistake in ``WRONG``. Messages say what is
wrong, never what is expected.

Function answers (04.6, 04.13) are called on the argument tuples in ``PROBES``, which differ
from the inputs of the public checks; the grader calls them inside the student's kernel and
hands the check a :class:`dlkit.answers.RecordedFunction` that replays the outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, exact, function, parts, safe

BETA_1, BETA_2, KERAS_EPSILON, PAPER_EPSILON = 0.9, 0.999, 1e-7, 1e-8


# ---------------------------------------------------------------------------
# Update rules and schedules (Keras form), used to compute the references.
# ---------------------------------------------------------------------------


def _adam_step_reference(
    theta: float, m: float, v: float, g: float, t: int, lr: float
) -> tuple[float, float, float]:
    """One Keras Adam step: bias corrections folded into the rate, epsilon outside the root."""
    m = BETA_1 * m + (1 - BETA_1) * g
    v = BETA_2 * v + (1 - BETA_2) * g**2
    lr_t = lr * math.sqrt(1 - BETA_2**t) / (1 - BETA_1**t)
    return theta - lr_t * m / (math.sqrt(v) + KERAS_EPSILON), m, v


def _warmup_cosine_reference(
    step: float, peak_lr: float, warmup_steps: float, decay_steps: float
) -> float:
    """keras.optimizers.schedules.CosineDecay(0.0, decay_steps, warmup_target=peak_lr, ...)."""
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    progress = min(step - warmup_steps, decay_steps) / decay_steps
    return peak_lr * 0.5 * (1 + math.cos(math.pi * progress))


def _cosine(step: float, lr0: float, decay_steps: float, alpha: float = 0.0) -> float:
    progress = min(step, decay_steps) / decay_steps
    return lr0 * (alpha + (1 - alpha) * 0.5 * (1 + math.cos(math.pi * progress)))


def _spectral_radius(a: float, momentum: float, nesterov: bool) -> float:
    """Spectral radius of one heavy-ball / Nesterov (Keras form) step on f = ½λθ², a = ηλ."""
    if nesterov:
        matrix = np.array([[1 - a * (1 + momentum), momentum**2], [-a, momentum]])
    else:
        matrix = np.array([[1 - a, momentum], [-a, momentum]])
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def _one_step_answers() -> dict[str, float]:
    """Exercise 04.3: steps from θ0 = 1 on f = θ² (g = 2θ), η = 0.1, Keras defaults."""
    lr, theta0 = 0.1, 1.0
    grad = lambda theta: 2.0 * theta  # noqa: E731
    sgd_1 = theta0 - lr * grad(theta0)
    velocity = -lr * grad(theta0)  # momentum 0.9, first step
    momentum_1 = theta0 + velocity
    velocity = 0.9 * velocity - lr * grad(momentum_1)
    nesterov_velocity = -lr * grad(theta0)
    rms = (1 - 0.9) * grad(theta0) ** 2
    return {
        "sgd": sgd_1,
        "sgd_second": sgd_1 - lr * grad(sgd_1),
        "momentum_first": momentum_1,
        "momentum_second": momentum_1 + velocity,
        "nesterov": theta0 + 0.9 * nesterov_velocity - lr * grad(theta0),
        "adagrad": theta0 - lr * grad(theta0) / math.sqrt(0.1 + grad(theta0) ** 2 + KERAS_EPSILON),
        "adagrad_textbook": theta0
        - lr * grad(theta0) / (math.sqrt(grad(theta0) ** 2) + KERAS_EPSILON),
        "rmsprop": theta0 - lr * grad(theta0) / math.sqrt(rms + KERAS_EPSILON),
        "adam": _adam_step_reference(theta0, 0.0, 0.0, grad(theta0), 1, lr)[0],
    }


def _first_adam_step_over_lr(
    gradients: list[float], epsilon: float, keras_form: bool
) -> np.ndarray:
    """Exercise 04.4: |first Adam step| / η for each gradient."""
    out = []
    for g in gradients:
        if keras_form:
            step = abs(_adam_step_reference(0.0, 0.0, 0.0, g, 1, 1.0)[0])
        else:  # paper / PyTorch: m̂ = g, v̂ = g², epsilon after the root
            step = abs(g) / (abs(g) + epsilon)
        out.append(step)
    return np.array(out)


def _adam_l2_final(lam: float, steps: int = 100, lr: float = 1e-3) -> float:
    """Exercise 04.7 (a): Adam on the loss ½λθ² from θ0 = 1 (float64)."""
    theta, m, v = 1.0, 0.0, 0.0
    for t in range(1, steps + 1):
        theta, m, v = _adam_step_reference(theta, m, v, lam * theta, t, lr)
    return theta


def _clip_answers() -> dict[str, np.ndarray]:
    """Exercise 04.14: g1 = (3, 4), g2 = (12,); norms clipped to 1, values to 0.5."""
    grads = [np.array([3.0, 4.0]), np.array([12.0])]
    per_variable = [g * min(1.0, 1.0 / np.linalg.norm(g)) for g in grads]
    global_norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    global_clipped = [g * min(1.0, 1.0 / global_norm) for g in grads]
    return {
        "clipnorm": np.concatenate(per_variable),
        "global_clipnorm": np.concatenate(global_clipped),
        "clipvalue": np.concatenate([np.clip(g, -0.5, 0.5) for g in grads]),
    }


_LAMBDAS = (1e-4, 1e-2, 1.0)
_MU, _CURVATURE, _PROBE_LR = 0.8, 50.0, 0.03  # exercise 04.2

REFERENCE: dict[str, Any] = {
    "04.1": {
        "max_lr": 2 / 100.0,
        "factor": abs(1 - 0.019 * 100.0),
        "steps": float(math.ceil(math.log(1e-6) / math.log(abs(1 - 0.019 * 100.0)))),
    },
    "04.2": {
        "amplification": np.array([1 / (1 - 0.9), 1 / (1 - 0.99)]),
        "heavy_ball_max_lr": 2 * (1 + _MU) / _CURVATURE,
        "nesterov_max_lr": 2 * (1 + _MU) / ((1 + 2 * _MU) * _CURVATURE),
        "heavy_ball_radius": _spectral_radius(_PROBE_LR * _CURVATURE, _MU, nesterov=False),
        "nesterov_radius": _spectral_radius(_PROBE_LR * _CURVATURE, _MU, nesterov=True),
    },
    "04.3": _one_step_answers(),
    "04.4": {
        "keras": _first_adam_step_over_lr([1.0, 1e-3, 1e-6], KERAS_EPSILON, keras_form=True),
        "paper": _first_adam_step_over_lr([1.0, 1e-3, 1e-6], PAPER_EPSILON, keras_form=False),
    },
    "04.5": {
        "first": np.array([1 / (1 - BETA_1**t) for t in (1, 10, 100)]),
        "second": np.array([1 / (1 - BETA_2**t) for t in (1, 10, 100)]),
    },
    "04.6": _adam_step_reference,
    "04.7": {
        "adam_l2": np.array([_adam_l2_final(lam) for lam in _LAMBDAS]),
        "adamw": np.array([(1 - 1e-3 * lam) ** 100 for lam in _LAMBDAS]),
    },
    # l2(c) adds c·Σθ² (gradient 2cθ); PyTorch SGD adds w·θ to the gradient.
    "04.8": {"l2_over_lambda": 0.5, "torch_over_lambda": 1.0, "same_with_momentum": "no"},
    "04.9": "c",
    "04.10": "b",
    "04.11": {
        "cosine": np.array([_cosine(t, 0.05, 2000) for t in (0, 500, 1000, 2000, 3000)]),
        "cosine_alpha": _cosine(1000, 0.05, 2000, alpha=0.2),
        "exponential": 0.05 * 0.9 ** (1100 / 200),
        "staircase": 0.05 * 0.9 ** math.floor(1100 / 200),
    },
    "04.12": {
        "lr_epoch_25": 0.1 * 0.5 ** (25 // 10),
        "steps_per_epoch": float(math.ceil(1437 / 64)),
        "decay_steps": float(20 * math.ceil(1437 / 64)),
        "steps_per_epoch_all": float(math.ceil(1797 / 64)),
    },
    "04.13": _warmup_cosine_reference,
    "04.14": _clip_answers(),
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # η < 1/λ (monotone convergence) taken for the stability limit 2/λ.
    "04.1": {**REFERENCE["04.1"], "max_lr": 1 / 100.0},
    # Nesterov given the heavy ball's stability limit.
    "04.2": {**REFERENCE["04.2"], "nesterov_max_lr": 2 * (1 + _MU) / _CURVATURE},
    # Textbook AdaGrad (G0 = 0) reported for Keras's Adagrad.
    "04.3": {**REFERENCE["04.3"], "adagrad": REFERENCE["04.3"]["adagrad_textbook"]},
    # The paper's epsilon convention used for Keras too.
    "04.4": {"keras": REFERENCE["04.4"]["paper"], "paper": REFERENCE["04.4"]["paper"]},
    # 1 - β^t instead of its inverse.
    "04.5": {
        "first": np.array([1 - BETA_1**t for t in (1, 10, 100)]),
        "second": np.array([1 - BETA_2**t for t in (1, 10, 100)]),
    },
    # Paper form with Keras's epsilon: epsilon added after the bias-corrected root.
    "04.6": lambda theta, m, v, g, t, lr: (
        theta
        - lr
        * ((0.9 * m + 0.1 * g) / (1 - 0.9**t))
        / (math.sqrt((0.999 * v + 0.001 * g**2) / (1 - 0.999**t)) + 1e-7),
        0.9 * m + 0.1 * g,
        0.999 * v + 0.001 * g**2,
    ),
    # AdamW given a None gradient: Keras skips the variable, weight decay included.
    "04.7": {**REFERENCE["04.7"], "adamw": np.array([1.0, 1.0, 1.0])},
    # Forgets that l2(c) has gradient 2cθ.
    "04.8": {**REFERENCE["04.8"], "l2_over_lambda": 1.0},
    # Keras's Adam(weight_decay=...) is decoupled, not PyTorch's L2 form.
    "04.9": "a",
    # "Adam moves every coordinate by η".
    "04.10": "a",
    # Cosine decay taken as periodic: no clamp after the horizon.
    "04.11": {
        **REFERENCE["04.11"],
        "cosine": np.array(
            [0.05 * 0.5 * (1 + math.cos(math.pi * t / 2000)) for t in (0, 500, 1000, 2000, 3000)]
        ),
    },
    # Epochs used where Keras counts optimizer steps.
    "04.12": {**REFERENCE["04.12"], "decay_steps": 20.0},
    # Cosine phase counted from step 0 instead of from the end of the warm-up.
    "04.13": lambda step, peak_lr, warmup_steps, decay_steps: (
        peak_lr * step / warmup_steps
        if step < warmup_steps
        else peak_lr * 0.5 * (1 + math.cos(math.pi * min(step, decay_steps) / decay_steps))
    ),
    # Global clipping done per variable.
    "04.14": {**REFERENCE["04.14"], "global_clipnorm": REFERENCE["04.14"]["clipnorm"]},
}

# The wrong function answers as source a student could type.
WRONG_SOURCE: dict[str, str] = {
    "04.6": (
        "def answer_04_6(theta, m, v, g, t, lr):\n"
        "    m = 0.9 * m + 0.1 * g\n"
        "    v = 0.999 * v + 0.001 * g**2\n"
        "    m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)\n"
        "    # epsilon after the bias-corrected root: the paper's convention, not Keras's\n"
        "    return theta - lr * m_hat / (np.sqrt(v_hat) + 1e-7), m, v\n"
    ),
    "04.13": (
        "def answer_04_13(step, peak_lr, warmup_steps, decay_steps):\n"
        "    if step < warmup_steps:\n"
        "        return peak_lr * step / warmup_steps\n"
        "    progress = min(step, decay_steps) / decay_steps  # counted from step 0\n"
        "    return peak_lr * 0.5 * (1 + np.cos(np.pi * progress))\n"
    ),
}

# Arguments the hidden checks call function answers with (read by the grader).
PROBES: dict[str, list[tuple[float, ...]]] = {
    "04.6": [
        (2.0, 0.0, 0.0, -0.5, 1, 0.05),
        (-1.0, 0.3, 0.05, 0.2, 3, 0.001),
        (0.25, -0.01, 1e-4, 0.02, 50, 0.01),
        (0.0, 0.0, 0.0, 3e-6, 2, 0.1),
    ],
    "04.13": [
        (0, 0.5, 10, 90),
        (7, 0.5, 10, 90),
        (10, 0.5, 10, 90),
        (55, 0.5, 10, 90),
        (120, 0.01, 50, 100),
        (250, 0.01, 50, 100),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _numbers(exercise_id: str, atol: float, rtol: float = 0.0, exact_keys: tuple = ()) -> Result:
    """Part checks for a dict of numbers: `exact` for counts, `close` for the rest."""
    checks = {}
    for key in _ref(exercise_id):
        if key in exact_keys:
            checks[key] = lambda v, n, key=key: exact(v, _ref(exercise_id, key), n)
        else:
            checks[key] = lambda v, n, key=key: close(
                v, _ref(exercise_id, key), n, rtol=rtol, atol=atol
            )
    return checks


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_04_1(answer: Any) -> Result:
    """Stability limit, contraction factor and step count of GD on ½·100·θ²."""
    return parts(answer, _numbers("04.1", atol=1e-6, exact_keys=("steps",)))


@safe
def check_04_2(answer: Any) -> Result:
    """Momentum amplification, heavy-ball and Nesterov limits and spectral radii."""
    return parts(answer, _numbers("04.2", atol=1e-5, rtol=1e-6))


@safe
def check_04_3(answer: Any) -> Result:
    """One or two optimizer steps from θ0 = 1 on f = θ²."""
    return parts(answer, _numbers("04.3", atol=1e-5))


@safe
def check_04_4(answer: Any) -> Result:
    """First Adam step / η, Keras versus paper epsilon convention."""
    return parts(answer, _numbers("04.4", atol=1e-5))


@safe
def check_04_5(answer: Any) -> Result:
    """Adam's bias-correction multipliers."""
    return parts(answer, _numbers("04.5", atol=1e-6, rtol=1e-6))


@safe
def check_04_6(answer: Any) -> Result:
    """A function adam_step(theta, m, v, g, t, lr) -> (theta, m, v), Keras form."""
    return function(answer, _ref("04.6"), PROBES["04.6"])


@safe
def check_04_7(answer: Any) -> Result:
    """θ after 100 steps: Adam with an L2 penalty versus AdamW."""
    return parts(answer, _numbers("04.7", atol=2e-5))


@safe
def check_04_8(answer: Any) -> Result:
    """SGD weight decay as an L2 coefficient and as PyTorch's weight_decay."""
    return parts(
        answer,
        {
            "l2_over_lambda": lambda v, n: close(v, _ref("04.8", "l2_over_lambda"), n),
            "torch_over_lambda": lambda v, n: close(v, _ref("04.8", "torch_over_lambda"), n),
            "same_with_momentum": lambda v, n: choice(v, _ref("04.8", "same_with_momentum")),
        },
    )


@safe
def check_04_9(answer: Any) -> Result:
    """Porting PyTorch's Adam(weight_decay=...) to Keras."""
    return choice(answer, _ref("04.9"))


@safe
def check_04_10(answer: Any) -> Result:
    """What Adam's per-coordinate step size is."""
    return choice(answer, _ref("04.10"))


@safe
def check_04_11(answer: Any) -> Result:
    """Values of cosine and exponential decay schedules."""
    return parts(answer, _numbers("04.11", atol=1e-6))


@safe
def check_04_12(answer: Any) -> Result:
    """Step decay by epoch, steps per epoch and decay_steps."""
    return parts(
        answer,
        _numbers(
            "04.12",
            atol=1e-6,
            exact_keys=("steps_per_epoch", "decay_steps", "steps_per_epoch_all"),
        ),
    )


@safe
def check_04_13(answer: Any) -> Result:
    """A function warmup_cosine(step, peak_lr, warmup_steps, decay_steps)."""
    return function(answer, _ref("04.13"), PROBES["04.13"])


@safe
def check_04_14(answer: Any) -> Result:
    """clipnorm, global_clipnorm and clipvalue on two gradients."""
    return parts(answer, _numbers("04.14", atol=1e-5))


CHECKS: dict[str, Callable[[Any], Result]] = {
    "04.1": check_04_1,
    "04.2": check_04_2,
    "04.3": check_04_3,
    "04.4": check_04_4,
    "04.5": check_04_5,
    "04.6": check_04_6,
    "04.7": check_04_7,
    "04.8": check_04_8,
    "04.9": check_04_9,
    "04.10": check_04_10,
    "04.11": check_04_11,
    "04.12": check_04_12,
    "04.13": check_04_13,
    "04.14": check_04_14,
}
