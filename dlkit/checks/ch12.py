"""Public checks of chapter 12 (generative adversarial networks).

Used by ``dlkit.exercises.check("12.k", answer)``. Exercises 12.1 to 12.12 are numeric
(optimal discriminators and the Jensen-Shannon identity, saturating and non-saturating
gradients, a tiny GAN's forward pass, losses and gradients, label smoothing, Wasserstein
distances, the gradient penalty, the Inception Score, DCGAN shapes and parameter counts),
12.13 asks for a function (a numerically stable one-sided discriminator loss) and 12.14 to
12.16 are conceptual multiple-choice questions.

No reference value is written in this module. Each check compares a *fingerprint* of the
answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices and shapes
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference answer.
The function answer is fingerprinted through its outputs on the public inputs below. The
exact reference values and stricter comparisons (other inputs, including logits of +-50)
are the teacher's hidden checks (``hidden_checks/ch12.py``, not shipped).
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
    expect_shape,
    register,
)

CHOICES = ("a", "b", "c", "d")

# Public inputs of the function exercise 12.13 (the hidden check uses others).
DISCRIMINATOR_LOSS_INPUTS = [
    (np.array([2.0, -0.5, 1.0]), np.array([-1.0, 0.3]), 0.9),
    (np.array([0.0, 1.0]), np.array([0.5, -2.0, 1.5]), 1.0),
    (np.array([3.0, -1.0, 0.2, 0.0]), np.array([1.0, -3.0]), 0.8),
]

register(
    Exercise(
        id="12.1",
        points=1,
        produce="a dict with keys 'heads' and 'tails' (numbers)",
        hint="D*(x) = p_data(x) / (p_data(x) + p_g(x)), one outcome at a time",
        check=expect_dict(
            {"heads": expect_number("484eb62b933124ce"), "tails": expect_number("75637cd6dae4b3cf")}
        ),
    )
)

register(
    Exercise(
        id="12.2",
        points=2,
        produce="a dict with keys 'value', 'jsd', 'identity' and 'value_at_optimum'",
        hint=(
            "use natural logarithms; JSD = (KL(p||m) + KL(q||m)) / 2 with m the average "
            "of the two distributions; at the optimum D* = 1/2 everywhere"
        ),
        check=expect_dict(
            {
                "value": expect_number("851da25c5812f5d5"),
                "jsd": expect_number("bfe09b855759199f"),
                "identity": expect_number("851da25c5812f5d5"),
                "value_at_optimum": expect_number("c59ac28cc607aa61"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.3",
        points=2,
        produce="a dict with keys 'logit', 'saturating', 'non_saturating' and 'ratio'",
        hint=(
            "d/da log(1 - sigmoid(a)) = -sigmoid(a) and d/da (-log sigmoid(a)) = -(1 - "
            "sigmoid(a)); report magnitudes, ratio non-saturating over saturating"
        ),
        check=expect_dict(
            {
                "logit": expect_number("43eb05328211bc32"),
                "saturating": expect_number("0082b269120af80f"),
                "non_saturating": expect_number("6250032c53295d72"),
                "ratio": expect_number("74dac5a78afd19e1"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.4",
        points=1,
        produce="a dict with keys 'x_fake' (an array of 3) and 'd_fake' (a number)",
        hint=(
            "x_fake = W_G z is a matrix-vector product; D applies the sigmoid to the logit W_D . x"
        ),
        check=expect_dict(
            {
                "x_fake": expect_array((3,), "1e05614b99b8099f"),
                "d_fake": expect_number("565d9e090d234195"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.5",
        points=2,
        produce="a dict with keys 'd_real', 'loss_d', 'loss_g' and 'saturating'",
        hint=(
            "L_D adds the BCE of the real sample (label 1) and of the fake one (label 0);"
            " the non-saturating L_G is -log D(x_fake)"
        ),
        check=expect_dict(
            {
                "d_real": expect_number("1ef6173db19154dd"),
                "loss_d": expect_number("a5c53f57d218e1af"),
                "loss_g": expect_number("8aa53406ca1f259b"),
                "saturating": expect_number("725e6fe1b53dd829"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.6",
        points=2,
        produce="a dict with keys 'grad_w_d' (3 numbers) and 'grad_w_g' (a 3×2 array)",
        hint=(
            "dL_D/dW_D = -(1 - D_real) x_real + D_fake x_fake; for W_G chain through "
            "x_fake = W_G z: an outer product of a 3-vector and z"
        ),
        check=expect_dict(
            {
                "grad_w_d": expect_array((3,), "48072deac7a0a0a1"),
                "grad_w_g": expect_array((3, 2), "aab39a2aa94328a7"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.7",
        points=2,
        produce=(
            "a dict with keys 'one_sided' and 'two_sided' (arrays [heads, tails]) and "
            "'no_data' (a number)"
        ),
        hint=(
            "one-sided: real target 0.9, fake target 0; two-sided: fake target 0.1 as "
            "well; where p_data = 0 only the fake term remains"
        ),
        check=expect_dict(
            {
                "one_sided": expect_array((2,), "bc5db5cea2ff5fdf", decimals=4),
                "two_sided": expect_array((2,), "8876a7ffb3c90786"),
                "no_data": expect_number("da7f86be05317be6"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.8",
        points=2,
        produce="a dict with keys 'gaussians', 'bernoulli', 'points' and 'jsd_points'",
        hint=(
            "W1 is the integral of |F_1 - F_2|; the JSD of distributions with disjoint "
            "supports does not depend on how far apart they are"
        ),
        check=expect_dict(
            {
                "gaussians": expect_number("5ac91d6d0ab76470"),
                "bernoulli": expect_number("41868f2397baed75"),
                "points": expect_number("50fa41ac389b7586"),
                "jsd_points": expect_number("0b97019342d98f21"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.9",
        points=2,
        produce="a dict with keys 'x_hat' (2 numbers), 'grad_norm' and 'penalty'",
        hint=(
            "x_hat = eps x_real + (1 - eps) x_fake; the gradient of w . x is w; penalty ="
            " lambda (||grad|| - 1)^2"
        ),
        check=expect_dict(
            {
                "x_hat": expect_array((2,), "7f8cb5fb85699568"),
                "grad_norm": expect_number("8c6191392f0539b4"),
                "penalty": expect_number("5eeb16287d638f9f"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.10",
        points=2,
        produce=("a dict with keys 'diverse', 'collapsed', 'wrong_diverse' and 'wrong_collapsed'"),
        hint=(
            "p(y) is the mean of the rows of the set being scored; IS = exp(mean over "
            "samples of KL(p(y|x) || p(y)))"
        ),
        check=expect_dict(
            {
                "diverse": expect_number("43c481ea005a6a1f"),
                "collapsed": expect_number("40a8063ffa22f77d"),
                "wrong_diverse": expect_number("3245697734307af8"),
                "wrong_collapsed": expect_number("3efa3d9c9169af56"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.11",
        points=2,
        produce=(
            "a dict with keys 'generator', 'trainable', 'discriminator' (integers), "
            "'sizes' (a tuple of 2 ints) and 'valid_size' (an int)"
        ),
        hint=(
            "count_params() includes BatchNorm's moving mean and variance, "
            "trainable_weights does not; 'same' with stride 2 doubles the size, 'valid' "
            "gives (n - 1) s + k"
        ),
        check=expect_dict(
            {
                "generator": expect_number("838ffe26b96e95ba"),
                "trainable": expect_number("fed382d97d862dad"),
                "discriminator": expect_number("df3d7e82459cf36b"),
                "sizes": expect_shape("6b0277a4e3c90780"),
                "valid_size": expect_number("4955e4226f8cf4b2"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.12",
        points=1,
        produce="a dict with keys 'generator_input', 'channels' and 'embedding'",
        hint=(
            "the one-hot label adds one width per class to z; do not forget the image's "
            "own channel; an Embedding has one vector per class"
        ),
        check=expect_dict(
            {
                "generator_input": expect_number("230e391a10cf0937"),
                "channels": expect_number("2127b76261c818d9"),
                "embedding": expect_number("4930aa8a14805d61"),
            }
        ),
    )
)

register(
    Exercise(
        id="12.13",
        points=3,
        produce=(
            "a function (real_logits, fake_logits, real_target) -> the one-sided "
            "discriminator loss as a float"
        ),
        hint=(
            "-log sigmoid(a) = log(1 + exp(-a)) = np.logaddexp(0, -a) and -log(1 - "
            "sigmoid(a)) = np.logaddexp(0, a); average each half over its own batch; fake"
            " targets stay 0"
        ),
        check=expect_function(DISCRIMINATOR_LOSS_INPUTS, "388c9aabbd28dd3c"),
    )
)

register(
    Exercise(
        id="12.14",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint=(
            "which statement describes samples that pile up on a few modes and move between them?"
        ),
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="12.15",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint=(
            "one-sided means only the real target changes; Keras' label_smoothing "
            "argument moves both targets toward 0.5"
        ),
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="12.16",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint=(
            "the critic wants high scores on real samples and low scores on fakes; the "
            "penalty is per sample"
        ),
        check=expect_choice(CHOICES, "ca978112ca1bbdca"),
    )
)
