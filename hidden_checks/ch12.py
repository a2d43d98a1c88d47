"""Hidden checks of chapter 12 (generative adversarial networks).

Every check takes the student's answer and returns ``(passed, message)``; messages say
what is wrong, never what is expected. Numbers are compared with ``np.allclose``
(``rtol=1e-5``), counts and sizes exactly (absolute tolerance 0.25), shapes as tuples.

The reference values are recomputed below with NumPy from the tasks' inputs, by the
formulas of the lesson; ``tests/test_exercises_ch12.py`` compares them with the numbers in
``shared/curriculum/12-gans.md`` §4, with finite differences (12.6), with Keras (12.11) and
with ``dlkit.training.discriminator_loss`` (12.13).

* 12.13 is a function answer: the grader calls the student's function inside the student's
  kernel on ``PROBES`` (other inputs than the public check's: smoothed and unsmoothed real
  targets, batches of different sizes, and logits of ±50 where a naive
  ``log(sigmoid(...))`` overflows) and hands the check a recorded function that replays
  the outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, exact, parts, safe, shape

# ---------------------------------------------------------------------------
# Exercise data (the same numbers the exercises notebook gives the student).
# ---------------------------------------------------------------------------

P_DATA = np.array([0.3, 0.7])  # 12.1, 12.2, 12.7: P(heads), P(tails)
P_G = np.array([0.5, 0.5])
Z = np.array([0.1, 0.2])  # 12.4 - 12.6
W_G = np.array([[0.5, 0.6], [0.7, 0.8], [0.9, 1.0]])
W_D = np.array([0.2, 0.4, 0.6])
X_REAL = np.array([1.0, 1.5, 2.0])
CRITIC_W = np.array([3.0, 4.0])  # 12.9
GP_REAL, GP_FAKE, GP_EPS, GP_LAMBDA = np.array([1.0, 2.0]), np.array([3.0, 0.0]), 0.3, 10.0
DIVERSE = np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]])  # 12.10
COLLAPSED = np.array([[0.9, 0.05, 0.05]] * 3)
P_TEST = np.array([0.2, 0.3, 0.5])


def _sigmoid(a: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(a, dtype=float)))


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(p * np.log(p / q)))


def _jsd(p: np.ndarray, q: np.ndarray) -> float:
    m = 0.5 * (p + q)
    return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)


def _inception_score(probs: np.ndarray, marginal: np.ndarray | None = None) -> float:
    marginal = probs.mean(axis=0) if marginal is None else marginal
    return float(np.exp(np.mean(np.sum(probs * np.log(probs / marginal), axis=1))))


def discriminator_loss_reference(real_logits: Any, fake_logits: Any, real_target: float) -> float:
    """Stable BCE on logits: real target ``real_target``, fake target 0 (one-sided)."""
    r = np.asarray(real_logits, dtype=float).ravel()
    f = np.asarray(fake_logits, dtype=float).ravel()
    real = -np.mean(
        real_target * -np.logaddexp(0.0, -r) + (1 - real_target) * -np.logaddexp(0.0, r)
    )
    return float(real + np.mean(np.logaddexp(0.0, f)))


def _tiny_gan() -> dict[str, Any]:
    x_fake = W_G @ Z
    d_real, d_fake = float(_sigmoid(W_D @ X_REAL)), float(_sigmoid(W_D @ x_fake))
    return {"x_fake": x_fake, "d_real": d_real, "d_fake": d_fake}


_T = _tiny_gan()
_D_STAR = P_DATA / (P_DATA + P_G)
_VALUE = float(np.sum(P_DATA * np.log(_D_STAR)) + np.sum(P_G * np.log(1 - _D_STAR)))

REFERENCE: dict[str, Any] = {
    "12.1": {"heads": _D_STAR[0], "tails": _D_STAR[1]},
    "12.2": {
        "value": _VALUE,
        "jsd": _jsd(P_DATA, P_G),
        "identity": -np.log(4) + 2 * _jsd(P_DATA, P_G),
        "value_at_optimum": -np.log(4),
    },
    "12.3": {
        "logit": float(np.log(0.01 / 0.99)),
        "saturating": 0.01,
        "non_saturating": 0.99,
        "ratio": 99.0,
    },
    "12.4": {"x_fake": _T["x_fake"], "d_fake": _T["d_fake"]},
    "12.5": {
        "d_real": _T["d_real"],
        "loss_d": -np.log(_T["d_real"]) - np.log(1 - _T["d_fake"]),
        "loss_g": -np.log(_T["d_fake"]),
        "saturating": np.log(1 - _T["d_fake"]),
    },
    "12.6": {
        "grad_w_d": -(1 - _T["d_real"]) * X_REAL + _T["d_fake"] * _T["x_fake"],
        "grad_w_g": -(1 - _T["d_fake"]) * np.outer(W_D, Z),
    },
    "12.7": {
        "one_sided": 0.9 * P_DATA / (P_DATA + P_G),
        "two_sided": (0.9 * P_DATA + 0.1 * P_G) / (P_DATA + P_G),
        "no_data": 0.1,
    },
    "12.8": {"gaussians": 2.0, "bernoulli": 0.2, "points": 3.0, "jsd_points": float(np.log(2))},
    "12.9": {
        "x_hat": GP_EPS * GP_REAL + (1 - GP_EPS) * GP_FAKE,
        "grad_norm": 5.0,
        "penalty": GP_LAMBDA * (5.0 - 1.0) ** 2,
    },
    "12.10": {
        "diverse": _inception_score(DIVERSE),
        "collapsed": _inception_score(COLLAPSED),
        "wrong_diverse": _inception_score(DIVERSE, P_TEST),
        "wrong_collapsed": _inception_score(COLLAPSED, P_TEST),
    },
    "12.11": {
        "generator": 246_657,  # checked against Keras in tests/test_exercises_ch12.py
        "trainable": 240_321,
        "discriminator": 36_513,
        "sizes": (14, 28),
        "valid_size": 16,
    },
    "12.12": {"generator_input": 74, "channels": 11, "embedding": 31_360},
    "12.13": discriminator_loss_reference,
    # "Mode collapse: the generator hops between a few modes; count modes, use WGAN-GP."
    "12.14": "b",
    # "Real targets 0.9, fake targets 0."
    "12.15": "b",
    # "The critic minimises E[C(G(z))] - E[C(x)] + GP, no sigmoid, no BatchNorm."
    "12.16": "a",
}

_WRONG_D_STAR = P_G / (P_DATA + P_G)


def _two_sided_loss(real_logits: Any, fake_logits: Any, real_target: float) -> float:
    """The wrong answer of 12.13: the fake target smoothed to ``1 - real_target`` as well."""
    r = np.asarray(real_logits, dtype=float).ravel()
    f = np.asarray(fake_logits, dtype=float).ravel()
    fake_target = 1 - real_target
    real = np.mean(real_target * np.logaddexp(0, -r) + (1 - real_target) * np.logaddexp(0, r))
    fake = np.mean(fake_target * np.logaddexp(0, -f) + (1 - fake_target) * np.logaddexp(0, f))
    return float(real + fake)


WRONG: dict[str, Any] = {
    # D* with the two densities swapped in the numerator.
    "12.1": {"heads": _WRONG_D_STAR[0], "tails": _WRONG_D_STAR[1]},
    # JSD in bits (log base 2) and "the value is 0 at the optimum".
    "12.2": {
        "value": _VALUE,
        "jsd": _jsd(P_DATA, P_G) / np.log(2),
        "identity": -np.log(4) + 2 * _jsd(P_DATA, P_G) / np.log(2),
        "value_at_optimum": 0.0,
    },
    # The ratio inverted: saturating over non-saturating.
    "12.3": {
        "logit": float(np.log(0.01 / 0.99)),
        "saturating": 0.01,
        "non_saturating": 0.99,
        "ratio": 1 / 99,
    },
    # The logit reported as D (sigmoid forgotten).
    "12.4": {"x_fake": _T["x_fake"], "d_fake": float(W_D @ _T["x_fake"])},
    # The saturating objective given as the non-saturating loss.
    "12.5": {
        "d_real": _T["d_real"],
        "loss_d": -np.log(_T["d_real"]) - np.log(1 - _T["d_fake"]),
        "loss_g": np.log(1 - _T["d_fake"]),
        "saturating": np.log(1 - _T["d_fake"]),
    },
    # Gradient ascent direction: both signs flipped.
    "12.6": {
        "grad_w_d": (1 - _T["d_real"]) * X_REAL - _T["d_fake"] * _T["x_fake"],
        "grad_w_g": (1 - _T["d_fake"]) * np.outer(W_D, Z),
    },
    # Keras' two-sided smoothing (targets 0.95 and 0.05) taken for "two-sided".
    "12.7": {
        "one_sided": 0.9 * P_DATA / (P_DATA + P_G),
        "two_sided": (0.95 * P_DATA + 0.05 * P_G) / (P_DATA + P_G),
        "no_data": 0.05,
    },
    # JSD of disjoint point masses taken to grow with the distance, like W1.
    "12.8": {"gaussians": 2.0, "bernoulli": 0.2, "points": 3.0, "jsd_points": 3.0},
    # epsilon applied to the fake sample instead of the real one.
    "12.9": {
        "x_hat": GP_EPS * GP_FAKE + (1 - GP_EPS) * GP_REAL,
        "grad_norm": 5.0,
        "penalty": GP_LAMBDA * (5.0 - 1.0) ** 2,
    },
    # Test-set marginal used everywhere.
    "12.10": {
        "diverse": _inception_score(DIVERSE, P_TEST),
        "collapsed": _inception_score(COLLAPSED, P_TEST),
        "wrong_diverse": _inception_score(DIVERSE, P_TEST),
        "wrong_collapsed": _inception_score(COLLAPSED, P_TEST),
    },
    # BatchNorm's moving statistics left out of the generator's total.
    "12.11": {
        "generator": 240_321,
        "trainable": 240_321,
        "discriminator": 36_513,
        "sizes": (14, 28),
        "valid_size": 16,
    },
    # The image channel forgotten.
    "12.12": {"generator_input": 74, "channels": 10, "embedding": 31_360},
    # Both labels smoothed: the fake target becomes 1 - real_target.
    "12.13": _two_sided_loss,
    # "The generator has reached the equilibrium."
    "12.14": "a",
    # Keras' label_smoothing argument, which smooths both targets toward 0.5.
    "12.15": "a",
    # "The critic maximises E[C(G(z))] - E[C(x)]."
    "12.16": "b",
}

# The non-literal wrong answers as code a student could type.
WRONG_SOURCE: dict[str, str] = {
    "12.13": (
        "def answer_12_13(real_logits, fake_logits, real_target):\n"
        "    r = np.asarray(real_logits, dtype=float).ravel()\n"
        "    f = np.asarray(fake_logits, dtype=float).ravel()\n"
        "    fake_target = 1 - real_target  # smooths the fake label too\n"
        "    real = np.mean(real_target * np.logaddexp(0, -r)"
        " + (1 - real_target) * np.logaddexp(0, r))\n"
        "    fake = np.mean(fake_target * np.logaddexp(0, -f)"
        " + (1 - fake_target) * np.logaddexp(0, f))\n"
        "    return float(real + fake)\n"
    ),
}


def _probe(seed: int, n_real: int, n_fake: int, target: float, big: bool = False):
    rng = np.random.default_rng(seed)
    real = rng.normal(0.0, 2.0, size=n_real).round(3)
    fake = rng.normal(0.0, 2.0, size=n_fake).round(3)
    if big:  # logits where sigmoid rounds to exactly 0 or 1 in float64
        real[:2], fake[:2] = (50.0, -50.0), (50.0, -50.0)
    return (real, fake, target)


# Arguments the hidden check of 12.13 calls the function with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "12.13": [
        _probe(121, 8, 8, 1.0),
        _probe(122, 5, 7, 0.9),
        _probe(123, 16, 16, 0.8),
        _probe(124, 6, 6, 0.9, big=True),
        _probe(125, 4, 9, 1.0, big=True),
    ],
}


def _ref(exercise_id: str) -> Any:
    return REFERENCE[exercise_id]


def _compare_parts(exercise_id: str, exact_keys: tuple[str, ...] = ()) -> Callable[[Any], Result]:
    """A dict check: shapes as tuples, ``exact_keys`` exactly, the rest with allclose."""

    def check(answer: Any) -> Result:
        checks = {}
        for key, expected in _ref(exercise_id).items():
            if isinstance(expected, tuple):
                checks[key] = lambda v, n, e=expected: shape(v, e, n)
            elif key in exact_keys:
                checks[key] = lambda v, n, e=expected: exact(v, e, n)
            else:
                checks[key] = lambda v, n, e=expected: close(v, e, n)
        return parts(answer, checks)

    return check


def _make(exercise_id: str, doc: str, exact_keys: tuple[str, ...] = ()) -> Callable[[Any], Result]:
    inner = _compare_parts(exercise_id, exact_keys)

    def check(answer: Any) -> Result:
        return inner(answer)

    check.__doc__ = doc
    return safe(check)


@safe
def check_12_13(answer: Any) -> Result:
    """A stable one-sided discriminator loss on logits, on the hidden probes."""
    if not callable(answer):
        return False, f"expected a function, got {type(answer).__name__}"
    probes = PROBES["12.13"]
    failed = 0
    for args in probes:
        ok, _ = close(answer(*args), discriminator_loss_reference(*args), rtol=1e-5, atol=1e-6)
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
    "12.1": _make("12.1", "Optimal discriminator of the coin."),
    "12.2": _make("12.2", "V(D*, G), JSD and the identity."),
    "12.3": _make("12.3", "Saturating and non-saturating gradients at D = 0.01."),
    "12.4": _make("12.4", "Forward pass of the tiny GAN."),
    "12.5": _make("12.5", "Losses of the tiny GAN."),
    "12.6": _make("12.6", "Gradients of the tiny GAN."),
    "12.7": _make("12.7", "One- and two-sided label smoothing."),
    "12.8": _make("12.8", "W1 versus JSD."),
    "12.9": _make("12.9", "Gradient penalty of a linear critic."),
    "12.10": _make("12.10", "Inception Score, right and wrong."),
    "12.11": _make(
        "12.11",
        "DCGAN parameter counts and sizes.",
        ("generator", "trainable", "discriminator", "valid_size"),
    ),
    "12.12": _make(
        "12.12", "Conditional DCGAN widths.", ("generator_input", "channels", "embedding")
    ),
    "12.13": check_12_13,
    "12.14": _choice_check("12.14", "Mode collapse."),
    "12.15": _choice_check("12.15", "One-sided label smoothing in Keras."),
    "12.16": _choice_check("12.16", "The WGAN-GP critic."),
}
