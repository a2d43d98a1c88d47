"""Public checks of chapter 14 (self-supervised learning).

Used by ``dlkit.exercises.check("14.k", answer)``. Exercises 14.1 to 14.9 are numeric
(NT-Xent by hand, the BYOL loss, InfoNCE and its mutual-information bound, the collapse
value, temperature and hard negatives, the MoCo loss, EMA arithmetic, counting), 14.10
and 14.11 are conceptual multiple-choice questions, 14.12 asks for a function (NT-Xent from
scratch) and 14.13 for an EMA update between two Keras models.

No reference value is written in this module. Each check compares a *fingerprint* of the
answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference answer.
The function answer is fingerprinted through its outputs on the public inputs below. The
exact reference values and stricter comparisons (other inputs) are the teacher's hidden
checks (``hidden_checks/ch14.py``, not shipped).
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

_H = np.array([[0.1, 0.3, 0.7], [0.4, 0.6, 0.8], [0.5, 0.9, 0.2], [0.7, 0.5, 0.4]])

# Public inputs of the function exercise 14.12 (the hidden check uses others): the views
# of Exercise 14.1 at two temperatures, and a collapsed batch of N = 4.
NT_XENT_INPUTS = [
    (_H[[0, 2]], _H[[1, 3]], 1.0),
    (_H[[0, 2]], _H[[1, 3]], 0.5),
    (np.ones((4, 3)), np.ones((4, 3)), 0.2),
]

register(
    Exercise(
        id="14.1",
        points=2,
        produce=(
            "a dict with keys 'normalised' (4×3), 'cosine' (4×4), 'loss_tau_1' and "
            "'loss_tau_05' (numbers)"
        ),
        hint=(
            "divide each row by its norm; cosines are the normalised rows times their "
            "transpose; per anchor, the denominator sums over every other view, the "
            "positive included, and only k = i is left out"
        ),
        check=expect_dict(
            {
                "normalised": expect_array((4, 3), "b37b07c67ac26eaf"),
                "cosine": expect_array((4, 4), "90a61650c72e4397"),
                "loss_tau_1": expect_number("934f1614fa85c1ff"),
                "loss_tau_05": expect_number("257cc2ee33f85b5d"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.2",
        points=1,
        produce=("a dict with keys 'cosines' (3 numbers), 'losses' (3 numbers), 'mean' and 'mse'"),
        hint=(
            "BYOL regresses normalised vectors: loss = 2 - 2 cos per row; 'mse' is the mean "
            "over rows of the squared distance of the raw vectors"
        ),
        check=expect_dict(
            {
                "cosines": expect_array((3,), "3c587bb9b4e2dbca"),
                "losses": expect_array((3,), "ae32cae204b4d0e7"),
                "mean": expect_number("a99b3fa8004cf822"),
                "mse": expect_number("04acf7e5086dafa6"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.3",
        points=1,
        produce="a dict with keys 'logits' (3×3), 'losses' (3 numbers) and 'mean'",
        hint=(
            "row i of Q K^T holds query i against every key; the positive is on the "
            "diagonal and stays in the softmax denominator"
        ),
        check=expect_dict(
            {
                "logits": expect_array((3, 3), "5ae2b179786139a0"),
                "losses": expect_array((3,), "80efb4138ad8d7ca", decimals=4),
                "mean": expect_number("a530dd8a438a6972"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.4",
        points=2,
        produce="a dict with keys 'loss_tau_1', 'bound_tau_1', 'loss_tau_01', 'bound_tau_01'",
        hint=(
            "cosine similarities of every row of Z1 with every row of Z2, divided by tau; "
            "the bound is log K - L with K = 3 candidates and natural logarithms"
        ),
        check=expect_dict(
            {
                "loss_tau_1": expect_number("a530dd8a438a6972"),
                "bound_tau_1": expect_number("b8d1b81f53845351"),
                "loss_tau_01": expect_number("ae0c8a743bceb9cf"),
                "bound_tau_01": expect_number("e6b9aecc45901c0e"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.5",
        points=1,
        produce="a dict with keys 'small_batch' (N = 4) and 'large_batch' (the larger N)",
        hint=(
            "when every similarity is 1, each of the 2N - 1 terms of the denominator is the "
            "same, the numerator being one of them"
        ),
        check=expect_dict(
            {
                "small_batch": expect_number("7bde84e825628ab3"),
                "large_batch": expect_number("5364c6bec74c08da"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.6",
        points=2,
        produce="a dict with keys 'losses' and 'shares' (arrays of 3, for tau = 1, 0.5, 0.1)",
        hint=(
            "the loss is -log of the positive's softmax probability; the share is the "
            "hardest negative's exp(s/tau) over the sum of the negatives' exp(s/tau)"
        ),
        check=expect_dict(
            {
                "losses": expect_array((3,), "52794a47f523e7ff"),
                "shares": expect_array((3,), "d0ffc08c44de2219"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.7",
        points=1,
        produce="a dict with keys 'tau_007_times_1e5' and 'tau_1' (numbers)",
        hint=(
            "the temperature divides the similarity inside the exponential; the positive "
            "is in the denominator with the queue"
        ),
        check=expect_dict(
            {
                "tau_007_times_1e5": expect_number("9294dbc5b387efd0"),
                "tau_1": expect_number("fa658d64c3505121"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.8",
        points=1,
        produce="a dict with keys 'steps' (3 integers) and 'half_life' (a number)",
        hint=(
            "after k steps the gap is m^k times the first one: find the smallest k with "
            "m^k below one per cent; the half-life solves m^k = 1/2 (not rounded)"
        ),
        check=expect_dict(
            {
                "steps": expect_array((3,), "2ac298610f965fa1"),
                "half_life": expect_number("17947844505ced2e"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.9",
        points=2,
        produce=(
            "a dict with keys 'negatives', 'queue_steps_4096', 'queue_steps_65536', "
            "'probe_params' and 'rotation_size' (integers)"
        ),
        hint=(
            "of the 2N - 1 other views one is the positive; a key leaves the queue after "
            "K / B steps; a probe is one Dense layer with bias; four rotations per image"
        ),
        check=expect_dict(
            {
                "negatives": expect_number("6ccc3e13b42ca67d"),
                "queue_steps_4096": expect_number("4955e4226f8cf4b2"),
                "queue_steps_65536": expect_number("6bb309ebc9edea0c"),
                "probe_params": expect_number("86670e03b44a3afa"),
                "rotation_size": expect_number("fe80b306e34470ac"),
            }
        ),
    )
)

register(
    Exercise(
        id="14.10",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint="what would a network need to know to tell which way is up?",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="14.11",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint="which positions does the loss look at, and what is the target there?",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="14.12",
        points=3,
        produce="a function nt_xent(z1, z2, tau) -> the mean NT-Xent loss as a float",
        hint=(
            "normalise the 2N rows, logits = Z Z^T / tau with the diagonal at -1e9, target "
            "of row i is (i + N) mod 2N, then the mean softmax cross-entropy"
        ),
        check=expect_function(NT_XENT_INPUTS, "df5739912c3b5586"),
    )
)

register(
    Exercise(
        id="14.13",
        points=2,
        produce="a dict with keys 'after_one', 'after_ten' (numbers) and 'shared_raises' (0 or 1)",
        hint=(
            "t <- m t + (1 - m) o on every weight; the target starts at 0 and the online "
            "weights stay at 1; shared variables are the same objects"
        ),
        check=expect_dict(
            {
                "after_one": expect_number("0082b269120af80f"),
                "after_ten": expect_number("a4598ecf06b97927"),
                "shared_raises": expect_number("40a8063ffa22f77d"),
            }
        ),
    )
)
