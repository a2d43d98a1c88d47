"""Hidden checks of chapter 05 (initialization, regularization, normalization, residuals).

Every check takes the student's answer and returns ``(passed, message)``. Answers may
be lists, NumPy arrays or TensorFlow tensors; they are converted with
:func:`dlkit.exercises.as_float_array`. Numbers are compared with ``np.allclose`` at a
tolerance stated per part; integer results (counts, epochs) use an absolute tolerance
below 0.5. Messages say what is wrong, never what is expected.

The reference values are recomputed here with NumPy from the tasks' inputs (they agree
with ``shared/curriculum/05-regularization-normalization.md`` §4, which
``tests/test_exercises_ch05.py`` checks). Function answers (05.12, 05.13) are called on
the argument tuples in ``PROBES``, which differ from the public check's inputs; the
grader calls the student's function inside the student's kernel and hands the check a
:class:`dlkit.answers.RecordedFunction` that replays those outputs.

Epochs in 05.9 and 05.13 are counted from 1, as Keras prints them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

BN_BATCH = np.array([0.5, 0.2, 0.8, 0.4])  # 05.2: four examples of one feature
LN_EXAMPLE = np.array([1.0, 2.0, 3.0, 4.0])  # 05.3: one example, four features
KERAS_EPS = 1e-3  # Keras' default epsilon for BatchNormalization / LayerNormalization
_RAMP = np.arange(1.0, 10.0).reshape(3, 3)  # [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
GN_IMAGE = np.stack([_RAMP, _RAMP[::-1, ::-1], 2 * _RAMP, 2 * _RAMP[::-1, ::-1]], axis=-1)[None]
# 05.4: (1, 3, 3, 4), channels last
L2_LAMBDA, L2_WEIGHTS = 0.01, np.array([0.5, -0.3, 0.8])  # 05.7
VAL_LOSSES = [0.90, 0.70, 0.62, 0.64, 0.61, 0.63, 0.65, 0.66, 0.60]  # 05.9
CONV_IMAGE = np.arange(1.0, 10.0).reshape(3, 3)  # 05.11
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


# ---------------------------------------------------------------------------
# Reference computations (plain NumPy).
# ---------------------------------------------------------------------------


def _standardize(x: np.ndarray, axis: Any, eps: float, ddof: int = 0) -> np.ndarray:
    mean = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True, ddof=ddof)
    return (x - mean) / np.sqrt(var + eps)


def _group_norm(x: np.ndarray, groups: int, eps: float = 0.0) -> np.ndarray:
    """Group normalization of a channels-last batch (batch, H, W, C)."""
    batch, height, width, channels = x.shape
    grouped = x.reshape(batch, height, width, groups, channels // groups)
    return _standardize(grouped, (1, 2, 4), eps).reshape(x.shape)


def _group_stats(x: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    grouped = x.reshape(x.shape[0], -1, groups, x.shape[-1] // groups)  # (batch, HW, G, C/G)
    return grouped.mean(axis=(1, 3))[0], grouped.var(axis=(1, 3))[0]


def _correlate_same(image: np.ndarray, kernel: np.ndarray, mode: str = "constant") -> np.ndarray:
    """3x3 cross-correlation (what Conv2D computes) with "same" padding of the given mode."""
    padded = np.pad(image, 1, mode=mode)
    out = np.zeros_like(image)
    for i in range(image.shape[0]):
        for j in range(image.shape[1]):
            out[i, j] = np.sum(padded[i : i + 3, j : j + 3] * kernel)
    return out


def _batch_norm_reference(x: Any, gamma: Any, beta: Any, eps: float) -> np.ndarray:
    """Training-mode batch normalization of a (batch, features) array."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(gamma) * _standardize(x, 0, eps) + np.asarray(beta)


def _early_stopping_reference(val_losses: Sequence[float], patience: int) -> tuple[int, int]:
    """(epochs run, 1-based epoch whose weights are restored) under Keras' EarlyStopping."""
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, value in enumerate(val_losses):
        wait += 1
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        elif wait >= patience and epoch > 0:
            return epoch + 1, best_epoch + 1
    return len(val_losses), best_epoch + 1


def _early_stopping_too_patient(val_losses: Sequence[float], patience: int) -> tuple[int, int]:
    """A typical mistake: stops only once the counter *exceeds* patience."""
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, value in enumerate(val_losses):
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait > patience:
                return epoch + 1, best_epoch + 1
    return len(val_losses), best_epoch + 1


def _conv_fans(kernel_size: int, c_in: int, c_out: int) -> tuple[int, int]:
    return kernel_size * kernel_size * c_in, kernel_size * kernel_size * c_out


def _initializer_values(conv_fans: tuple[int, int]) -> dict[str, float]:
    fan_in, fan_out = conv_fans
    return {
        "glorot_limit_dense": np.sqrt(6 / (100 + 50)),
        "he_uniform_limit": np.sqrt(6 / 100),
        "he_normal_std": np.sqrt(2 / 100),
        "conv_fan_in": float(fan_in),
        "conv_fan_out": float(fan_out),
        "conv_glorot_limit": np.sqrt(6 / (fan_in + fan_out)),
        "conv_he_std": np.sqrt(2 / fan_in),
    }


def _bn_by_hand(ddof: int) -> dict[str, Any]:
    return {
        "mean": BN_BATCH.mean(),
        "variance": BN_BATCH.var(ddof=ddof),
        "x_hat": _standardize(BN_BATCH, 0, 0.0, ddof),
        "x_hat_keras": _standardize(BN_BATCH, 0, KERAS_EPS, ddof),
    }


def _running_means(keras_weight_on_old: float, torch_weight_on_new: float) -> dict[str, float]:
    target, steps = 5.0, 100
    keras_mean = torch_mean = 0.0
    for _ in range(steps):
        keras_mean = keras_weight_on_old * keras_mean + (1 - keras_weight_on_old) * target
        torch_mean = (1 - torch_weight_on_new) * torch_mean + torch_weight_on_new * target
    # first step count n with 1 - m^n >= 0.95
    steps_to_95 = int(np.ceil(np.log(0.05) / np.log(keras_weight_on_old)))
    return {
        "keras_after_100": keras_mean,
        "torch_after_100": torch_mean,
        "steps_to_95": float(steps_to_95),
    }


def _gn_answer(groups: int) -> dict[str, Any]:
    means, variances = _group_stats(GN_IMAGE, groups)
    if groups == 1:  # one group: report its statistics for both halves
        means, variances = np.repeat(means, 2), np.repeat(variances, 2)
    return {
        "group_means": means,
        "group_variances": variances,
        "normalized": _group_norm(GN_IMAGE, groups),
    }


# ---------------------------------------------------------------------------
# Reference answers.
# ---------------------------------------------------------------------------

REFERENCE: dict[str, Any] = {
    "05.1": _initializer_values(_conv_fans(3, 64, 128)),
    "05.2": _bn_by_hand(ddof=0),
    "05.3": {
        "eps_0": _standardize(LN_EXAMPLE, -1, 0.0),
        "eps_keras": _standardize(LN_EXAMPLE, -1, KERAS_EPS),
    },
    "05.4": _gn_answer(groups=2),
    "05.5": _running_means(keras_weight_on_old=0.99, torch_weight_on_new=0.1),
    "05.6": {
        "total": 4.0 * 64,  # gamma, beta, moving mean, moving variance per channel
        "trainable": 2.0 * 64,
        "non_trainable": 2.0 * 64,
        "torch_parameters": 2.0 * 64,  # running statistics are buffers, not parameters
    },
    "05.7": {
        "penalty": L2_LAMBDA * np.sum(L2_WEIGHTS**2),
        "gradient": 2 * L2_LAMBDA * L2_WEIGHTS,
    },
    "05.8": {
        "kept_value": 1.0 / (1 - 0.2),
        "all_dropped_one_in": 1.0 / 0.2**10,
        "non_inverted_expected": (1 - 0.3) * 2.0,
        "test_factor": 1 - 0.3,
    },
    "05.9": {
        "epochs_run": float(_early_stopping_reference(VAL_LOSSES, 3)[0]),
        "restored_epoch": float(_early_stopping_reference(VAL_LOSSES, 3)[1]),
        "epochs_run_patience_0": float(_early_stopping_reference(VAL_LOSSES, 0)[0]),
        "restored_epoch_patience_0": float(_early_stopping_reference(VAL_LOSSES, 0)[1]),
    },
    "05.10": {
        "plain_log10": 20 * np.log10(0.5),
        "residual_large_log10": 20 * np.log10(1 + 0.5),
        "residual_small_log10": 20 * np.log10(1 + 0.05),
    },
    "05.11": {
        "conv": _correlate_same(CONV_IMAGE, LAPLACIAN),
        "residual": CONV_IMAGE + _correlate_same(CONV_IMAGE, LAPLACIAN),
    },
    "05.12": _batch_norm_reference,
    "05.13": _early_stopping_reference,
    "05.14": "c",
    "05.15": "b",
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Conv fan-in and fan-out without the kernel area: c_in and c_out only.
    "05.1": _initializer_values((64, 128)),
    # Unbiased (n - 1) variance, as torch.var or pandas compute by default.
    "05.2": _bn_by_hand(ddof=1),
    # Unbiased (n - 1) standard deviation.
    "05.3": {
        "eps_0": _standardize(LN_EXAMPLE, -1, 0.0, ddof=1),
        "eps_keras": _standardize(LN_EXAMPLE, -1, KERAS_EPS, ddof=1),
    },
    # One group over all four channels (layer normalization) instead of two groups.
    "05.4": _gn_answer(groups=1),
    # Keras' momentum read as the weight of the new value (and PyTorch's as the old one).
    "05.5": _running_means(keras_weight_on_old=0.01, torch_weight_on_new=0.9),
    # Moving mean and variance counted as trainable parameters.
    "05.6": {"total": 256.0, "trainable": 256.0, "non_trainable": 0.0, "torch_parameters": 256.0},
    # The (λ/2)‖w‖² convention instead of Keras' λ Σ w².
    "05.7": {
        "penalty": L2_LAMBDA / 2 * np.sum(L2_WEIGHTS**2),
        "gradient": L2_LAMBDA * L2_WEIGHTS,
    },
    # The dropout rate read as the keep probability.
    "05.8": {
        "kept_value": 1.0 / 0.2,
        "all_dropped_one_in": 1.0 / 0.8**10,
        "non_inverted_expected": 0.3 * 2.0,
        "test_factor": 0.3,
    },
    # Stops only when the wait counter exceeds the patience.
    "05.9": {
        "epochs_run": float(_early_stopping_too_patient(VAL_LOSSES, 3)[0]),
        "restored_epoch": float(_early_stopping_too_patient(VAL_LOSSES, 3)[1]),
        "epochs_run_patience_0": float(_early_stopping_too_patient(VAL_LOSSES, 0)[0]),
        "restored_epoch_patience_0": float(_early_stopping_too_patient(VAL_LOSSES, 0)[1]),
    },
    # The identity added once at the end: 1 + 0.5^20 instead of (1 + 0.5)^20.
    "05.10": {
        "plain_log10": 20 * np.log10(0.5),
        "residual_large_log10": np.log10(1 + 0.5**20),
        "residual_small_log10": np.log10(1 + 0.05**20),
    },
    # Edge-replicating padding instead of zero padding.
    "05.11": {
        "conv": _correlate_same(CONV_IMAGE, LAPLACIAN, mode="edge"),
        "residual": CONV_IMAGE + _correlate_same(CONV_IMAGE, LAPLACIAN, mode="edge"),
    },
    # Unbiased variance in the batch statistics.
    "05.12": lambda x, gamma, beta, eps: (
        np.asarray(gamma) * _standardize(np.asarray(x, dtype=np.float64), 0, eps, ddof=1)
        + np.asarray(beta)
    ),
    "05.13": _early_stopping_too_patient,
    # "It averages the forward and backward conditions" (that is Glorot).
    "05.14": "a",
    # The PyTorch behaviour: frozen γ, β but batch statistics still used and updated.
    "05.15": "a",
}

# The wrong function answers as source a student could type (the grading round-trip
# test runs them in a kernel, where a lambda object cannot travel).
WRONG_SOURCE: dict[str, str] = {
    "05.12": (
        "def answer_05_12(x, gamma, beta, eps):\n"
        "    x = np.asarray(x, dtype=np.float64)\n"
        "    mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)  # unbiased variance\n"
        "    return gamma * (x - mean) / np.sqrt(var + eps) + beta\n"
    ),
    "05.13": (
        "def answer_05_13(val_losses, patience):\n"
        "    best, best_epoch, wait = float('inf'), 0, 0\n"
        "    for epoch, value in enumerate(val_losses):\n"
        "        if value < best:\n"
        "            best, best_epoch, wait = value, epoch, 0\n"
        "        else:\n"
        "            wait += 1\n"
        "            if wait > patience:  # one epoch too late\n"
        "                return epoch + 1, best_epoch + 1\n"
        "    return len(val_losses), best_epoch + 1\n"
    ),
}

# Arguments the hidden checks call function answers with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "05.12": [
        (
            np.array([[1.0, -2.0], [3.0, 0.5], [-0.5, 4.0]]),
            np.array([1.5, 0.5]),
            np.array([0.0, 1.0]),
            1e-3,
        ),
        (np.array([[10.0], [12.0]]), np.array([1.0]), np.array([0.0]), 0.0),
        (
            np.array([[0.1, 0.2, 0.3], [0.4, 0.1, 0.9], [0.7, 0.8, 0.2], [0.3, 0.6, 0.5]]),
            np.array([2.0, 1.0, 0.5]),
            np.array([-1.0, 0.0, 1.0]),
            1e-5,
        ),
    ],
    "05.13": [
        ([1.0, 0.9, 0.95, 0.97, 0.85, 0.9, 0.91], 2),
        ([0.5, 0.6, 0.7, 0.8], 1),
        ([0.9, 0.8, 0.7, 0.6, 0.5], 3),
        ([0.4, 0.4, 0.4, 0.4, 0.4, 0.4], 4),
        ([0.8, 0.7, 0.75, 0.72, 0.69, 0.71, 0.73, 0.74, 0.66, 0.7], 0),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _all_close(exercise_id: str, rtol: float = 1e-5, atol: float = 1e-6) -> Result:
    """A check that compares every part of a dict answer with ``close``."""
    return close_parts(_ref(exercise_id), rtol, atol)


def _all_exact(exercise_id: str) -> Callable[[Any], Result]:
    return exact_parts(_ref(exercise_id))


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_05_1(answer: Any) -> Result:
    """Glorot / He limits and standard deviations, conv fan-in and fan-out."""
    checks = {
        key: lambda v, n, key=key: close(v, _ref("05.1", key), n, rtol=1e-4, atol=1e-6)
        for key in _ref("05.1")
    }
    checks["conv_fan_in"] = lambda v, n: exact(v, _ref("05.1", "conv_fan_in"), n)
    checks["conv_fan_out"] = lambda v, n: exact(v, _ref("05.1", "conv_fan_out"), n)
    return parts(answer, checks)


@safe
def check_05_2(answer: Any) -> Result:
    """Batch normalization of (0.5, 0.2, 0.8, 0.4) by hand."""
    return _all_close("05.2", rtol=1e-4)(answer)


@safe
def check_05_3(answer: Any) -> Result:
    """Layer normalization of (1, 2, 3, 4) by hand."""
    return _all_close("05.3", rtol=1e-4)(answer)


@safe
def check_05_4(answer: Any) -> Result:
    """Group normalization with two groups of a four-channel 3x3 image."""
    return _all_close("05.4", rtol=1e-4)(answer)


@safe
def check_05_5(answer: Any) -> Result:
    """Running means with Keras and PyTorch momentum conventions."""
    return parts(
        answer,
        {
            "keras_after_100": lambda v, n: close(v, _ref("05.5", "keras_after_100"), n, rtol=1e-4),
            "torch_after_100": lambda v, n: close(v, _ref("05.5", "torch_after_100"), n, rtol=1e-6),
            "steps_to_95": lambda v, n: exact(v, _ref("05.5", "steps_to_95"), n),
        },
    )


@safe
def check_05_6(answer: Any) -> Result:
    """Parameter counts of BatchNormalization on 64 channels."""
    return _all_exact("05.6")(answer)


@safe
def check_05_7(answer: Any) -> Result:
    """L2 penalty value and gradient."""
    return _all_close("05.7", rtol=1e-5, atol=1e-8)(answer)


@safe
def check_05_8(answer: Any) -> Result:
    """Inverted and non-inverted dropout numbers."""
    return parts(
        answer,
        {
            "kept_value": lambda v, n: close(v, _ref("05.8", "kept_value"), n, rtol=1e-5),
            "all_dropped_one_in": lambda v, n: close(
                v, _ref("05.8", "all_dropped_one_in"), n, rtol=1e-6, atol=0.5
            ),
            "non_inverted_expected": lambda v, n: close(
                v, _ref("05.8", "non_inverted_expected"), n, rtol=1e-5
            ),
            "test_factor": lambda v, n: close(v, _ref("05.8", "test_factor"), n, rtol=1e-5),
        },
    )


@safe
def check_05_9(answer: Any) -> Result:
    """Epochs run and epoch restored by EarlyStopping, patience 3 and 0."""
    return _all_exact("05.9")(answer)


@safe
def check_05_10(answer: Any) -> Result:
    """log10 of gradient factors through 20 plain or residual layers."""
    return _all_close("05.10", rtol=1e-4, atol=1e-5)(answer)


@safe
def check_05_11(answer: Any) -> Result:
    """A 3x3 convolution with zero "same" padding and a residual connection."""
    return _all_close("05.11")(answer)


@safe
def check_05_12(answer: Any) -> Result:
    """A function batch_norm_forward(x, gamma, beta, eps), training mode."""
    return function(answer, _ref("05.12"), PROBES["05.12"])


@safe
def check_05_13(answer: Any) -> Result:
    """A function early_stopping_epochs(val_losses, patience) -> (epochs run, restored epoch)."""
    return function(answer, _ref("05.13"), PROBES["05.13"])


@safe
def check_05_14(answer: Any) -> Result:
    """Why He initialization uses 2 / n_in."""
    return choice(answer, _ref("05.14"))


@safe
def check_05_15(answer: Any) -> Result:
    """What trainable = False does to a Keras BatchNormalization layer."""
    return choice(answer, _ref("05.15"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    "05.1": check_05_1,
    "05.2": check_05_2,
    "05.3": check_05_3,
    "05.4": check_05_4,
    "05.5": check_05_5,
    "05.6": check_05_6,
    "05.7": check_05_7,
    "05.8": check_05_8,
    "05.9": check_05_9,
    "05.10": check_05_10,
    "05.11": check_05_11,
    "05.12": check_05_12,
    "05.13": check_05_13,
    "05.14": check_05_14,
    "05.15": check_05_15,
}
