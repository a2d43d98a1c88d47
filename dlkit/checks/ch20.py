"""Public checks of chapter 20 (interpretability and adversarial robustness).

Exercises 20.1 to 20.13: input gradients of a logistic model and why probabilities saturate,
Integrated Gradients by hand and as a function, SmoothGrad of a cubic, FGSM on a logistic model,
the linear view of adversarial examples, one projected PGD step (a function), Grad-CAM by hand,
costs of occlusion and adversarial training, and two conceptual questions.

No reference value is written in this module: each check compares a *fingerprint* of the
answer (:func:`dlkit.exercises.fingerprint`) with the fingerprint of the reference answer.
Function answers are fingerprinted through their outputs on the public inputs below; the
teacher's hidden checks (``hidden_checks/ch20.py``, not shipped) call them on other inputs.
Written by a generator from the hidden references.
"""

from __future__ import annotations

import numpy as np

from dlkit.exercises import (
    Exercise,
    expect_array,
    expect_choice,
    expect_dict,
    expect_function,
    expect_number,
    register,
)

CHOICES = ("a", "b", "c", "d")

IG_INPUTS = [
    (np.array([2.0, -1.0, 0.5]), np.array([1.0, 1.0, 2.0]), 5),
    (np.array([2.0, -1.0, 0.5]), np.array([1.0, 1.0, 2.0]), 100),
    (np.array([-1.0, 3.0]), np.array([0.5, 1.0]), 10),
]
PGD_INPUTS = [
    (
        np.array([0.2, 0.5, 0.95, 0.0]),
        np.array([0.28, 0.45, 0.99, 0.04]),
        np.array([1.0, -1.0, 1.0, -1.0]),
        0.06,
        0.1,
    ),
    (
        np.array([0.6, 0.4, 0.02]),
        np.array([0.55, 0.5, 0.0]),
        np.array([-0.3, 0.7, -2.0]),
        0.1,
        0.12,
    ),
]

register(
    Exercise(
        id="20.1",
        points=2,
        produce=("a dict with keys 'logit', 'p' (numbers) and 'grad' (3 numbers, ∂p/∂x)"),
        hint=("chain rule: ∂p/∂x = σ(z)(1 − σ(z)) w; the gradient of the logit alone is w"),
        check=expect_dict(
            {
                "logit": expect_number("5ac91d6d0ab76470"),
                "p": expect_number("1ef6173db19154dd"),
                "grad": expect_array((3,), "25774beef0364f1e"),
            }
        ),
    )
)

register(
    Exercise(
        id="20.2",
        points=1,
        produce=("one number, σ'(8)/σ'(0)"),
        hint=("σ'(z) = σ(z)(1 − σ(z)) and σ'(0) = 1/4; give at least five decimals"),
        check=expect_number("9fb5b3dadc4773c7", decimals=5),
    )
)

register(
    Exercise(
        id="20.3",
        points=2,
        produce=("a dict with keys 'ig' (2 numbers), 'ig_sum', 'gxi' (2 numbers), 'gxi_sum'"),
        hint=(
            "along the straight path x' + α(x − x') the gradient of x1·x2 is α·(3, "
            "2); integrate over α and multiply elementwise by (x − x')"
        ),
        check=expect_dict(
            {
                "ig": expect_array((2,), "c0adb81496eb7b26"),
                "ig_sum": expect_number("d42dd22a806fdb3a"),
                "gxi": expect_array((2,), "6b217d7d216bb134"),
                "gxi_sum": expect_number("062820f391e82668"),
            }
        ),
    )
)

register(
    Exercise(
        id="20.4",
        points=2,
        produce=(
            "a dict with keys 'exact' (2 numbers), 'm10' (2 numbers), 'm50_sum', 'gxi' (2 numbers)"
        ),
        hint=(
            "the unit is active on the path for α > 1/3; the midpoint rule "
            "evaluates the gradient at α_k = (k − 1/2)/m and counts how many of "
            "them are active"
        ),
        check=expect_dict(
            {
                "exact": expect_array((2,), "4f09e9ee68c26afd"),
                "m10": expect_array((2,), "6f0c42cafba3b5f7"),
                "m50_sum": expect_number("24cba4374b51783e"),
                "gxi": expect_array((2,), "b84441a13f9c5254"),
            }
        ),
    )
)

register(
    Exercise(
        id="20.5",
        points=3,
        produce=(
            "a function ig_logistic(w, x, m) returning the IG vector of σ(w·x) (black baseline)"
        ),
        hint=(
            "midpoint rule: α_k = (k − 1/2)/m; the gradient of σ(α w·x) w.r.t. its "
            "input is σ'(α w·x) w; multiply the mean gradient elementwise by x − 0"
        ),
        check=expect_function(IG_INPUTS, "3451c0cd2ec9db99"),
    )
)

register(
    Exercise(
        id="20.6",
        points=1,
        produce=("a dict with keys 'smoothgrad' and 'gradient' (numbers)"),
        hint=("E[3(x + η)²] = 3(x² + σ²) for η ~ N(0, σ²)"),
        check=expect_dict(
            {
                "smoothgrad": expect_number("35a47e3fa61c2e97"),
                "gradient": expect_number("50fa41ac389b7586"),
            }
        ),
    )
)

register(
    Exercise(
        id="20.7",
        points=2,
        produce=("a dict with keys 'grad' (3 numbers), 'x_adv' (3 numbers), 'logit_adv', 'p_adv'"),
        hint=(
            "for BCE with y = 1 the input gradient is (p − 1)w; FGSM steps *up* the "
            "loss by ε·sign(gradient) and clips to [0, 1]"
        ),
        check=expect_dict(
            {
                "grad": expect_array((3,), "be058b37ad2a1f67"),
                "x_adv": expect_array((3,), "6b3c88568fba3b72"),
                "logit_adv": expect_number("190ed37bf7fb4cf2"),
                "p_adv": expect_number("0621e9e0fac94a0e"),
            }
        ),
    )
)

register(
    Exercise(
        id="20.8",
        points=1,
        produce=("one number, the largest change of the logit"),
        hint=("choose δ_i = ε·sign(w_i) for every pixel: the change is ε‖w‖₁"),
        check=expect_number("fceadc2627880683"),
    )
)

register(
    Exercise(
        id="20.9",
        points=3,
        produce=(
            "a function pgd_step(x, x_k, grad, alpha, epsilon) returning the projected next iterate"
        ),
        hint=("take x_k + α·sign(grad), clip to [x − ε, x + ε] and then to [0, 1]"),
        check=expect_function(PGD_INPUTS, "b433edac6401674d"),
    )
)

register(
    Exercise(
        id="20.10",
        points=2,
        produce=(
            "a dict with keys 'weights' (2 numbers), 'before_relu' and 'after_relu' (2×2 arrays)"
        ),
        hint=(
            "α_k is the spatial mean of ∂f/∂A^k; the ReLU is applied to the "
            "weighted sum of the maps"
        ),
        check=expect_dict(
            {
                "weights": expect_array((2,), "f07dfda60798c94c"),
                "before_relu": expect_array((2, 2), "b0a89966d9bd63e4"),
                "after_relu": expect_array((2, 2), "4a2052ecfbfcbfb0"),
            }
        ),
    )
)

register(
    Exercise(
        id="20.11",
        points=2,
        produce=(
            "a dict with keys 'occlusion_stride2', 'occlusion_stride1', "
            "'pgd7_gradients', 'standard_gradients', 'importance'"
        ),
        hint=(
            "((28 − k)/s + 1)² patch positions; PGD-k needs k input gradients plus "
            "one weight gradient; importance = shuffled loss − original loss"
        ),
        check=expect_dict(
            {
                "occlusion_stride2": expect_number("b6f86baafde67435"),
                "occlusion_stride1": expect_number("dbf192ec68130049"),
                "pgd7_gradients": expect_number("4f871da1260d5eaf"),
                "standard_gradients": expect_number("40a8063ffa22f77d"),
                "importance": expect_number("c6ca7c43d74ae125"),
            }
        ),
    )
)

register(
    Exercise(
        id="20.12",
        points=1,
        produce=("one letter: 'a', 'b', 'c' or 'd'"),
        hint=(
            "a map that does not change when the weights are replaced by random "
            "ones cannot be telling you what the weights learned"
        ),
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="20.13",
        points=1,
        produce=("one letter: 'a', 'b', 'c' or 'd'"),
        hint=(
            "a multi-step attack that starts like FGSM should never be weaker than "
            "FGSM; at very large ε any honest attack wins"
        ),
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)
