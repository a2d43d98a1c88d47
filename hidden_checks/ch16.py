"""Hidden checks of chapter 16 (performance and scale).

Every check takes the student's answer and returns ``(passed, message)``; messages say
what is wrong, never the expected value. Reference values are recomputed here with NumPy
from the tasks' inputs (they agree with ``shared/curriculum/16-performance-and-scale.md``
§4). Function answers (16.11, 16.16) are called on the argument tuples in ``PROBES``,
which differ from the public check's inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dlkit.comparisons import (
    Result,
    choice,
    close,
    close_parts,
    exact_parts,
    function,
    parts,
    safe,
)

# ---------------------------------------------------------------------------
# Reference computations.
# ---------------------------------------------------------------------------

GRADS = np.array([1e-3, 1e-6, 1e-8], dtype=np.float32)  # 16.1
SCALE = np.float32(2.0**15)


def _cast_ratios(unscale: bool) -> dict[str, np.ndarray]:
    plain = GRADS.astype(np.float16).astype(np.float64) / GRADS.astype(np.float64)
    scaled = (GRADS * SCALE).astype(np.float16).astype(np.float32)
    back = scaled / SCALE if unscale else scaled
    return {"plain": plain, "unscaled": back.astype(np.float64) / GRADS.astype(np.float64)}


def quantize_minmax(w: Any, bits: int) -> np.ndarray:
    """Min-max quantise ``w`` to ``bits`` bits (round half to even) and dequantise."""
    w = np.asarray(w, dtype=np.float64)
    lo, hi = w.min(), w.max()
    levels = 2**bits - 1
    codes = np.round((w - lo) / (hi - lo) * levels)
    return codes * (hi - lo) / levels + lo


def _quantize_floor(w: Any, bits: int) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    lo, hi = w.min(), w.max()
    levels = 2**bits - 1
    codes = np.floor((w - lo) / (hi - lo) * levels)
    return codes * (hi - lo) / levels + lo


def loss_scale_schedule(
    finite: Sequence[bool], initial_scale: float, growth_interval: int
) -> np.ndarray:
    """The dynamic loss scale after each step (Keras' rule)."""
    scale, counter, out = float(initial_scale), 0, []
    for ok in finite:
        if ok:
            counter += 1
            if counter == growth_interval:
                scale, counter = scale * 2, 0
        else:
            scale, counter = scale / 2, 0
        out.append(scale)
    return np.array(out)


def _schedule_no_reset(
    finite: Sequence[bool], initial_scale: float, growth_interval: int
) -> np.ndarray:
    """A typical mistake: the counter of finite steps is not reset after an overflow."""
    scale, counter, out = float(initial_scale), 0, []
    for ok in finite:
        if ok:
            counter += 1
            if counter == growth_interval:
                scale, counter = scale * 2, 0
        else:
            scale = scale / 2
        out.append(scale)
    return np.array(out)


def _design(bottleneck_mid: bool = True) -> dict[str, float]:
    c = 256
    bottleneck = (
        c * c // 4 + 9 * (c // 4) ** 2 + c * c // 4 if bottleneck_mid else 9 * (c // 4) ** 2
    )
    conv = 9 * c * c
    return {
        "bottleneck_weights": float(bottleneck),
        "conv_weights": float(conv),
        "bottleneck_mmacs": 56 * 56 * bottleneck / 1e6,
        "conv_mmacs": 56 * 56 * conv / 1e6,
        "separable_weights": float(9 * 32 + 32 * 64),
        "standard_weights": float(9 * 32 * 64),
        "five_by_five_weights": float(25 * 64 * 64),
        "two_3x3_weights": float(2 * 9 * 64 * 64),
        "receptive_field": 7.0,
    }


REFERENCE: dict[str, Any] = {
    "16.1": _cast_ratios(unscale=True),
    "16.2": {"threshold": 65504 / 2.0**15, "scale_after": 2.0**14},
    "16.3": {
        "log2_smallest_subnormal": -24.0,
        "log2_smallest_normal": -14.0,
        "max": 65504.0,
        "log2_epsilon": -10.0,
        "rounded_sum": 2048.0,
    },
    "16.4": {"weights_and_moments_mib": 120e6 / 2**20, "with_gradients_mb": 160.0},
    "16.5": {"effective_batch": 256.0, "batches": 79.0, "last_batch": 8.0},
    "16.6": {"per_replica_mean_ratio": 2.0, "global_batch_ratio": 1.0},
    "16.7": {"max_difference": 0.0, "sum_ratio": 4.0},
    "16.8": {"time_1": 2.5, "time_32": 0.5 + 32 * 0.002, "speedup": 2.5 / (0.5 + 32 * 0.002)},
    "16.9": {"sequential": 8.0, "prefetched": 5.03, "speedup": 8.0 / 5.03},
    "16.10": {"amdahl_speedup": 1 / (0.1 + 0.9 / 2), "learning_rate": 0.4},
    "16.11": quantize_minmax,
    "16.12": _design(),
    "16.13": "b",
    "16.14": "c",
    "16.15": {"traces": 4.0, "graph_calls": 5.0},
    "16.16": loss_scale_schedule,
}

WRONG: dict[str, Any] = {
    # The scaled float16 value used without dividing by the scale.
    "16.1": _cast_ratios(unscale=False),
    # float16's maximum itself as the threshold; the scale doubled instead of halved.
    "16.2": {"threshold": 65504.0, "scale_after": 2.0**16},
    # float32's smallest normal / epsilon exponents mixed in, 2048 + 1 taken as exact.
    "16.3": {
        "log2_smallest_subnormal": -14.0,
        "log2_smallest_normal": -14.0,
        "max": 65504.0,
        "log2_epsilon": -11.0,
        "rounded_sum": 2049.0,
    },
    # One Adam moment instead of two.
    "16.4": {"weights_and_moments_mib": 80e6 / 2**20, "with_gradients_mb": 120.0},
    # Accumulation steps ignored and the last partial batch dropped.
    "16.5": {"effective_batch": 64.0, "batches": 78.0, "last_batch": 64.0},
    # The two ratios swapped.
    "16.6": {"per_replica_mean_ratio": 1.0, "global_batch_ratio": 2.0},
    # Summing believed to equal averaging.
    "16.7": {"max_difference": 0.0, "sum_ratio": 1.0},
    # Both overhead and compute divided by 32.
    "16.8": {"time_1": 2.5, "time_32": 2.5 / 32, "speedup": 32.0},
    # The first load forgotten.
    "16.9": {"sequential": 8.0, "prefetched": 5.0, "speedup": 1.6},
    # Speed-up as f * p and square-root scaling of the learning rate.
    "16.10": {"amdahl_speedup": 1.8, "learning_rate": 0.2},
    "16.11": _quantize_floor,
    # The 1x1 convolutions of the bottleneck forgotten, receptive field 9.
    "16.12": {**_design(bottleneck_mid=False), "receptive_field": 9.0},
    # "A random 20 % of all classes".
    "16.13": "a",
    # "Python floats are converted to tensors, nothing retraces".
    "16.14": "a",
    # Python booleans believed not to matter.
    "16.15": {"traces": 3.0, "graph_calls": 5.0},
    "16.16": _schedule_no_reset,
}

WRONG_SOURCE: dict[str, str] = {
    "16.11": (
        "def answer_16_11(w, bits):\n"
        "    w = np.asarray(w, dtype=np.float64)\n"
        "    lo, hi = w.min(), w.max()\n"
        "    levels = 2**bits - 1\n"
        "    codes = np.floor((w - lo) / (hi - lo) * levels)  # truncates\n"
        "    return codes * (hi - lo) / levels + lo\n"
    ),
    "16.16": (
        "def answer_16_16(finite, initial_scale, growth_interval):\n"
        "    scale, counter, out = float(initial_scale), 0, []\n"
        "    for ok in finite:\n"
        "        if ok:\n"
        "            counter += 1\n"
        "            if counter == growth_interval:\n"
        "                scale, counter = scale * 2, 0\n"
        "        else:\n"
        "            scale = scale / 2  # counter not reset\n"
        "        out.append(scale)\n"
        "    return np.array(out)\n"
    ),
}

PROBES: dict[str, list[tuple[Any, ...]]] = {
    "16.11": [
        (np.array([0.1, 0.37, -0.42, 0.9, 0.05, -0.77]), 8),
        (np.array([2.0, 3.3, 2.6, 4.0, 2.95]), 4),
        (np.array([-3.0, 1.0, 0.2, -1.7, 2.5, 0.33, -0.01]), 3),
    ],
    "16.16": [
        ([True, True, True, False, True, True, True, True], 1024.0, 2),
        ([False, False, True, True, True, False, True], 32768.0, 3),
        ([True, True, False, True, True, True, True, True, True], 8.0, 4),
    ],
}


# ---------------------------------------------------------------------------
# Checks.
# ---------------------------------------------------------------------------


def _close_parts(exercise_id: str, rtol: float = 1e-4, atol: float = 1e-6):
    return safe(close_parts(REFERENCE[exercise_id], rtol, atol))


def _exact_parts(exercise_id: str):
    return safe(exact_parts(REFERENCE[exercise_id]))


@safe
def check_16_1(answer: Any) -> Result:
    return parts(
        answer,
        {
            "plain": lambda v, n: close(v, REFERENCE["16.1"]["plain"], n, rtol=2e-4, atol=1e-6),
            "unscaled": lambda v, n: close(
                v, REFERENCE["16.1"]["unscaled"], n, rtol=2e-4, atol=1e-6
            ),
        },
    )


@safe
def check_16_9(answer: Any) -> Result:
    return _close_parts("16.9", rtol=2e-3)(answer)


@safe
def check_16_11(answer: Any) -> Result:
    return function(answer, quantize_minmax, PROBES["16.11"])


@safe
def check_16_16(answer: Any) -> Result:
    return function(answer, loss_scale_schedule, PROBES["16.16"])


@safe
def check_16_7(answer: Any) -> Result:
    return parts(
        answer,
        {
            "max_difference": lambda v, n: close(v, 0.0, n, rtol=0.0, atol=1e-12),
            "sum_ratio": lambda v, n: close(v, 4.0, n, rtol=1e-9, atol=1e-9),
        },
    )


CHECKS = {
    "16.1": check_16_1,
    "16.2": _close_parts("16.2", rtol=1e-6),
    "16.3": _exact_parts("16.3"),
    "16.4": _close_parts("16.4", rtol=1e-5),
    "16.5": _exact_parts("16.5"),
    "16.6": _close_parts("16.6", rtol=1e-6),
    "16.7": check_16_7,
    "16.8": _close_parts("16.8", rtol=1e-6),
    "16.9": check_16_9,
    "16.10": _close_parts("16.10", rtol=1e-6),
    "16.11": check_16_11,
    "16.12": _exact_parts("16.12"),
    "16.13": safe(lambda answer: choice(answer, REFERENCE["16.13"])),
    "16.14": safe(lambda answer: choice(answer, REFERENCE["16.14"])),
    "16.15": _exact_parts("16.15"),
    "16.16": check_16_16,
}
