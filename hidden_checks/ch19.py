"""Hidden checks of chapter 19 (diffusion models, DDPM).

Every check takes the student's answer and returns ``(passed, message)``. Numbers are compared
at a relative tolerance of 1e-4 (students may compute in float32), step counts and parameter
counts exactly, the Monte Carlo sampler statistics of 19.13 with an absolute tolerance that
covers sampling noise. Messages say what is wrong, never what is expected.

References are recomputed here with NumPy from the tasks' inputs; they agree with
``shared/curriculum/19-diffusion-models.md`` §4 (checked in ``tests/test_exercises_ch19.py``).
The function answer (19.8) is called on the argument tuples in ``PROBES``, which differ from
the public check's inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, close_parts, exact_parts, function, parts, safe

# ---------------------------------------------------------------------------
# Inputs of the tasks (the same numbers as in the exercises notebook).
# ---------------------------------------------------------------------------
X0 = np.array([1.0, -1.0])
EPS = np.array([0.5, 0.2])
ALPHA_BAR_3 = 0.64
BETAS_4 = (0.1, 0.2)
STEP_6 = {"x_t": 0.9, "eps": 0.3, "beta": 0.02, "alpha_bar": 0.5, "z": -1.0}
DATA_MEAN, DATA_STD = 2.0, 0.5
JUDGE_COUNTS = np.array([180, 20, 110, 95, 60, 130, 85, 100, 120, 100])
CHAINS_13 = 20_000


def linear_alpha_bar(steps: int, beta_end: float = 0.02, beta_start: float = 1e-4) -> np.ndarray:
    return np.cumprod(1.0 - np.linspace(beta_start, beta_end, steps))


def cosine_alpha_bar_and_betas(steps: int = 1000, s: float = 0.008):
    grid = np.arange(steps + 1) / steps
    f = np.cos((grid + s) / (1 + s) * np.pi / 2) ** 2
    bar = f / f[0]
    betas = np.minimum(1 - bar[1:] / bar[:-1], 0.999)
    return np.cumprod(1 - betas), betas


def first_snr_below_one(bar: np.ndarray) -> int:
    """1-based step t of the first SNR = bar / (1 - bar) below 1."""
    return int(np.argmax(bar / (1 - bar) < 1)) + 1


def ancestral_step_reference(x_t: Any, eps: Any, beta: Any, alpha_bar: Any, z: Any) -> np.ndarray:
    """x_{t-1} = (x_t - beta / sqrt(1 - alpha_bar) eps) / sqrt(1 - beta) + sqrt(beta) z."""
    x_t, eps, z = (np.asarray(v, np.float64) for v in (x_t, eps, z))
    beta, alpha_bar = float(beta), float(alpha_bar)
    return (x_t - beta / np.sqrt(1 - alpha_bar) * eps) / np.sqrt(1 - beta) + np.sqrt(beta) * z


def eps_star(x: np.ndarray, bar: float) -> np.ndarray:
    """The optimal noise prediction for data N(2, 0.5^2)."""
    return np.sqrt(1 - bar) * (x - DATA_MEAN * np.sqrt(bar)) / (DATA_STD**2 * bar + 1 - bar)


def _chain_stats(reuse_noise: bool = False) -> dict[str, float]:
    """19.13: ancestral sampling with eps*, linear T=1000, sigma^2 = beta, 20,000 chains."""
    betas = np.linspace(1e-4, 0.02, 1000)
    bar = np.cumprod(1 - betas)
    rng = np.random.default_rng(19)
    x_T = rng.normal(size=CHAINS_13)
    x = x_T.copy()
    z_fixed = rng.normal(size=CHAINS_13) if reuse_noise else None
    for i in range(999, -1, -1):
        z = z_fixed if reuse_noise else rng.normal(size=CHAINS_13)
        mean = (x - betas[i] / np.sqrt(1 - bar[i]) * eps_star(x, bar[i])) / np.sqrt(1 - betas[i])
        x = mean + (np.sqrt(betas[i]) * z if i > 0 else 0.0)
    one_shot = x_T - eps_star(x_T, bar[-1])
    return {
        "chain_mean": float(x.mean()),
        "chain_std": float(x.std()),
        "one_shot_std": float(one_shot.std()),
    }


def _linear_numbers(off_by_one: bool = False) -> dict[str, Any]:
    bar = linear_alpha_bar(1000)
    idx = np.array([1, 250, 500, 1000]) - (0 if off_by_one else 1)
    idx = np.minimum(idx, 999)
    return {"alpha_bar": bar[idx], "first_t": float(first_snr_below_one(bar))}


def _cosine_numbers(unclipped: bool = False) -> dict[str, Any]:
    bar, betas = cosine_alpha_bar_and_betas()
    if unclipped:
        betas = betas.copy()
        betas[0] = 1 - bar[0]
        bar = bar**0.5
    return {
        "alpha_bar_250": float(bar[249]),
        "alpha_bar_500": float(bar[499]),
        "beta_1": float(betas[0]),
        "beta_500": float(betas[499]),
        "first_t": float(first_snr_below_one(bar)),
    }


def _jump(ab: float = ALPHA_BAR_3) -> dict[str, Any]:
    x_t = np.sqrt(ab) * X0 + np.sqrt(1 - ab) * EPS
    return {"x_t": x_t, "x0": (x_t - np.sqrt(1 - ab) * EPS) / np.sqrt(ab)}


def _two_steps(additive: bool = False) -> dict[str, float]:
    b1, b2 = BETAS_4
    composed = b1 + b2 if additive else (1 - b2) * b1 + b2
    return {
        "var_composed": composed,
        "var_closed": 1 - (1 - b1) * (1 - b2),
        "mean_factor": float(np.sqrt((1 - b1) * (1 - b2))),
    }


def _posterior(swap: bool = False) -> dict[str, float]:
    b1, b2 = BETAS_4
    bar1, bar2 = 1 - b1, (1 - b1) * (1 - b2)
    c0 = np.sqrt(bar1) * b2 / (1 - bar2)
    ct = np.sqrt(1 - b2) * (1 - bar1) / (1 - bar2)
    if swap:
        c0, ct = ct, c0
    return {"beta_tilde": (1 - bar1) / (1 - bar2) * b2, "coef_x0": float(c0), "coef_xt": float(ct)}


def _one_step(no_sqrt: bool = False) -> dict[str, float]:
    s = STEP_6
    beta = s["beta"]
    x_prev = ancestral_step_reference(s["x_t"], s["eps"], beta, s["alpha_bar"], s["z"])
    if no_sqrt:
        x_prev = x_prev - np.sqrt(beta) * s["z"] + beta * s["z"]
    x0_hat = (s["x_t"] - np.sqrt(1 - s["alpha_bar"]) * s["eps"]) / np.sqrt(s["alpha_bar"])
    return {"x_prev": float(x_prev), "x0_hat": float(x0_hat)}


def _score(var_of_std: bool = False) -> dict[str, float]:
    bar, x = 0.5, 1.0
    var = bar * (DATA_STD if var_of_std else DATA_STD**2) + 1 - bar
    score = -(x - DATA_MEAN * np.sqrt(bar)) / var
    return {"variance": var, "score": float(score), "eps_star": float(-np.sqrt(1 - bar) * score)}


def _short_chain(beta_start: float = 1e-4) -> np.ndarray:
    return np.array([linear_alpha_bar(200, b, beta_start)[-1] for b in (0.02, 0.05, 0.1)])


def _judge(max_abs: bool = False) -> dict[str, float]:
    share = JUDGE_COUNTS / JUDGE_COUNTS.sum()
    tv = np.abs(share - 0.1).max() if max_abs else 0.5 * np.abs(share - 0.1).sum()
    return {"tv": float(tv), "under_class": float(np.argmin(share))}


REFERENCE: dict[str, Any] = {
    "19.1": _linear_numbers(),
    "19.2": _cosine_numbers(),
    "19.3": _jump(),
    "19.4": _two_steps(),
    "19.5": _posterior(),
    "19.6": _one_step(),
    "19.7": _score(),
    "19.8": ancestral_step_reference,
    "19.9": _short_chain(),
    "19.10": 19202.0,
    "19.11": _judge(),
    "19.12": "b",
    "19.13": _chain_stats(),
}

WRONG: dict[str, Any] = {
    # Off-by-one indexing: alpha_bar[t] read for step t (0-based arrays).
    "19.1": _linear_numbers(off_by_one=True),
    # A square root missing: alpha_bar taken as sqrt of the cumulative product.
    "19.2": _cosine_numbers(unclipped=True),
    # sqrt forgotten: x_t = a x0 + (1 - a) eps.
    "19.3": {"x_t": 0.64 * X0 + 0.36 * EPS, "x0": (0.64 * X0 + 0.36 * EPS - 0.36 * EPS) / 0.64},
    # Variance-exploding confusion: plain addition of the two betas.
    "19.4": _two_steps(additive=True),
    # The two coefficients of the posterior mean swapped.
    "19.5": _posterior(swap=True),
    # sigma_t = beta_t instead of sqrt(beta_t).
    "19.6": _one_step(no_sqrt=True),
    # The data standard deviation used where its variance belongs.
    "19.7": _score(var_of_std=True),
    # The noise coefficient without the square root: beta / (1 - alpha_bar).
    "19.8": lambda x_t, eps, beta, alpha_bar, z: (
        (np.asarray(x_t, float) - beta / (1 - alpha_bar) * np.asarray(eps, float))
        / np.sqrt(1 - beta)
        + np.sqrt(beta) * np.asarray(z, float)
    ),
    # beta starting at 0.001 instead of 1e-4.
    "19.9": _short_chain(beta_start=1e-3),
    # Biases forgotten: 18*128 + 128*128 + 128*2.
    "19.10": float(18 * 128 + 128 * 128 + 128 * 2),
    # The largest absolute deviation instead of half the L1 distance.
    "19.11": _judge(max_abs=True),
    # "The data density."
    "19.12": "a",
    # The same noise z reused at every step.
    "19.13": _chain_stats(reuse_noise=True),
}

WRONG_SOURCE: dict[str, str] = {
    "19.8": (
        "def answer_19_8(x_t, eps, beta, alpha_bar, z):\n"
        "    x_t, eps, z = np.asarray(x_t), np.asarray(eps), np.asarray(z)\n"
        "    return (x_t - beta / (1 - alpha_bar) * eps) / np.sqrt(1 - beta) + np.sqrt(beta) * z\n"
    ),
}

PROBES: dict[str, list[tuple[Any, ...]]] = {
    "19.8": [
        (np.array([0.5, -1.0]), np.array([0.1, 0.4]), 0.05, 0.3, np.array([0.2, 1.5])),
        (
            np.array([[2.0, 0.0], [-0.3, 0.7]]),
            np.array([[1.0, -1.0], [0.2, 0.0]]),
            0.001,
            0.99,
            np.array([[0.0, 0.5], [-1.2, 0.3]]),
        ),
        (np.array([1.3]), np.array([-0.8]), 0.2, 0.01, np.array([0.0])),
    ],
}


def _ref(exercise_id: str) -> Any:
    return REFERENCE[exercise_id]


@safe
def check_19_1(answer: Any) -> Result:
    """Linear schedule: alpha_bar at t = 1, 250, 500, 1000 and the first t with SNR < 1."""
    ref = _ref("19.1")
    return parts(
        answer,
        {
            "alpha_bar": lambda v, n: close(v, ref["alpha_bar"], n, 1e-4, 1e-8),
            "first_t": lambda v, n: close(v, ref["first_t"], n, 0.0, 0.5),
        },
    )


@safe
def check_19_2(answer: Any) -> Result:
    """Cosine schedule values and the first t with SNR < 1."""
    ref = _ref("19.2")
    return parts(
        answer,
        {
            key: (
                lambda v, n, k=key: close(
                    v, ref[k], n, 0.0 if k == "first_t" else 1e-3, 0.5 if k == "first_t" else 1e-8
                )
            )
            for key in ref
        },
    )


def _all_close(exercise_id: str, rtol: float = 1e-4, atol: float = 1e-6) -> Callable:
    return close_parts(_ref(exercise_id), rtol, atol)


@safe
def check_19_3(answer: Any) -> Result:
    """One closed-form noising jump and its inversion."""
    return _all_close("19.3")(answer)


@safe
def check_19_4(answer: Any) -> Result:
    """Two composed noising steps against the closed form."""
    return _all_close("19.4")(answer)


@safe
def check_19_5(answer: Any) -> Result:
    """Variance and mean coefficients of the forward posterior q(x_1 | x_2, x_0)."""
    return _all_close("19.5")(answer)


@safe
def check_19_6(answer: Any) -> Result:
    """One ancestral sampling step and the denoised estimate."""
    return _all_close("19.6")(answer)


@safe
def check_19_7(answer: Any) -> Result:
    """Marginal variance, score and optimal noise prediction for Gaussian data."""
    return _all_close("19.7")(answer)


@safe
def check_19_8(answer: Any) -> Result:
    """A function ancestral_step(x_t, eps, beta, alpha_bar, z)."""
    return function(answer, _ref("19.8"), PROBES["19.8"])


@safe
def check_19_9(answer: Any) -> Result:
    """alpha_bar_T of three short linear schedules."""
    return close(answer, _ref("19.9"), "answer", 1e-3, 1e-8)


@safe
def check_19_10(answer: Any) -> Result:
    """Parameters of the MLP denoiser."""
    return exact_parts({"n": _ref("19.10")})({"n": answer})


@safe
def check_19_11(answer: Any) -> Result:
    """Total-variation distance of a judge's label histogram from uniform."""
    return _all_close("19.11")(answer)


@safe
def check_19_12(answer: Any) -> Result:
    """What the ideal noise predictor is proportional to."""
    return choice(answer, _ref("19.12"))


@safe
def check_19_13(answer: Any) -> Result:
    """Sample statistics of the exact-denoiser chain and of one-shot denoising."""
    ref = _ref("19.13")
    return parts(
        answer,
        {
            "chain_mean": lambda v, n: close(v, DATA_MEAN, n, 0.0, 0.02),
            "chain_std": lambda v, n: close(v, DATA_STD, n, 0.0, 0.02),
            "one_shot_std": lambda v, n: close(v, ref["one_shot_std"], n, 0.0, 1e-3),
        },
    )


CHECKS: dict[str, Callable[[Any], Result]] = {
    f"19.{k}": globals()[f"check_19_{k}"] for k in range(1, 14)
}
