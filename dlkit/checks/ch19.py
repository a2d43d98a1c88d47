"""Public checks of chapter 19 (diffusion models, DDPM).

Used by ``dlkit.exercises.check("19.k", answer)``. Exercises 19.1 to 19.7 and 19.9 to 19.11
are numeric (schedules, noising jumps, the forward posterior, one sampling step, the score of
a Gaussian, short chains, a parameter count, a judge's histogram); 19.8 asks for a function
(one ancestral step); 19.12 is multiple choice; 19.13 runs a sampler with the exact denoiser.

No reference value is written here: each check compares a fingerprint
(:func:`dlkit.exercises.fingerprint`) of the answer with the reference's, pasted as a hex
string. The stricter comparisons are the teacher's hidden checks (``hidden_checks/ch19.py``).
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

# Public inputs of the function exercise 19.8 (the hidden checks use others).
STEP_INPUTS = [
    (np.array([0.9]), np.array([0.3]), 0.02, 0.5, np.array([-1.0])),
    (np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, -0.5]), 0.1, 0.8, np.array([0.3, 0.0, -0.7])),
]

register(
    Exercise(
        id="19.1",
        points=1,
        produce="a dict with 'alpha_bar' (array of shape (4,)) and 'first_t' (a number)",
        hint="alpha_bar = cumprod(1 - betas); step t is index t - 1 of a 0-based array; "
        "SNR = alpha_bar / (1 - alpha_bar); first_t is 1-based",
        check=expect_dict(
            {
                "alpha_bar": expect_array((4,), "9850edfcf43b7b9c", 4),
                "first_t": expect_number("1389c6e725817e5b", 4),
            }
        ),
    )
)

register(
    Exercise(
        id="19.2",
        points=2,
        produce="a dict with 'alpha_bar_250', 'alpha_bar_500', 'beta_1', 'beta_500', 'first_t'",
        hint="alpha_bar_t = f(t)/f(0) with f(t) = cos^2((t/T + s)/(1 + s) pi/2) on t = 0..T; "
        "beta_t = min(1 - alpha_bar_t / alpha_bar_{t-1}, 0.999)",
        check=expect_dict(
            {
                "alpha_bar_250": expect_number("bc94060184576a23", 4),
                "alpha_bar_500": expect_number("16354e58b61ec943", 4),
                "beta_1": expect_number("e38273e5e4dc9ada", 5),
                "beta_500": expect_number("ad46baeee3055445", 4),
                "first_t": expect_number("242dd9c99fce4a90", 4),
            }
        ),
    )
)

register(
    Exercise(
        id="19.3",
        points=1,
        produce="a dict with 'x_t' and 'x0' (arrays of shape (2,))",
        hint="x_t = sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) eps; invert it for x0",
        check=expect_dict(
            {
                "x_t": expect_array((2,), "45da0601f7593d3e"),
                "x0": expect_array((2,), "08f4c5a1814f9e34"),
            }
        ),
    )
)

register(
    Exercise(
        id="19.4",
        points=1,
        produce="a dict with 'var_composed', 'var_closed' and 'mean_factor' (numbers)",
        hint="one step scales the previous variance by (1 - beta) and adds beta",
        check=expect_dict(
            {
                "var_composed": expect_number("52c4f432ba03af79", 4),
                "var_closed": expect_number("52c4f432ba03af79", 4),
                "mean_factor": expect_number("4574cba52c914f40", 4),
            }
        ),
    )
)

register(
    Exercise(
        id="19.5",
        points=2,
        produce="a dict with 'beta_tilde', 'coef_x0' and 'coef_xt' (numbers)",
        hint="alpha_bar_1 = 1 - beta_1, alpha_bar_2 = (1 - beta_1)(1 - beta_2); the x0 "
        "coefficient carries sqrt(alpha_bar_{t-1}) beta_t, the x_t one sqrt(alpha_t)(1 - "
        "alpha_bar_{t-1})",
        check=expect_dict(
            {
                "beta_tilde": expect_number("8bc6cb94ae5b803d", 4),
                "coef_x0": expect_number("dbdee378fc5ce327", 4),
                "coef_xt": expect_number("770252e2ae97718a", 4),
            }
        ),
    )
)

register(
    Exercise(
        id="19.6",
        points=1,
        produce="a dict with 'x_prev' and 'x0_hat' (numbers)",
        hint="sigma_t = sqrt(beta_t); the mean divides by sqrt(alpha_t) = sqrt(1 - beta_t)",
        check=expect_dict(
            {
                "x_prev": expect_number("f5dded73849cac57", 4),
                "x0_hat": expect_number("2bf9f43c21102794", 4),
            }
        ),
    )
)

register(
    Exercise(
        id="19.7",
        points=2,
        produce="a dict with 'variance', 'score' and 'eps_star' (numbers)",
        hint="x_t = sqrt(a) x0 + sqrt(1 - a) eps with x0 ~ N(2, 0.5^2) is Gaussian; its score "
        "is -(x - mean) / variance; eps* = -sqrt(1 - a) times the score",
        check=expect_dict(
            {
                "variance": expect_number("862dc52e23f2ad44", 4),
                "score": expect_number("114181692d18b1ec", 4),
                "eps_star": expect_number("e7111c039beb6d34", 4),
            }
        ),
    )
)

register(
    Exercise(
        id="19.8",
        points=2,
        produce="a function ancestral_step(x_t, eps, beta, alpha_bar, z) returning x_{t-1} "
        "(an array shaped like x_t)",
        hint="(x_t - beta / sqrt(1 - alpha_bar) * eps) / sqrt(1 - beta) + sqrt(beta) * z",
        check=expect_function(STEP_INPUTS, "2ceb4e5dfb082e04", 4),
    )
)

register(
    Exercise(
        id="19.9",
        points=1,
        produce="an array of shape (3,): alpha_bar_T for beta_max = 0.02, 0.05, 0.1",
        hint="np.linspace(1e-4, beta_max, 200), then the product of (1 - beta)",
        check=expect_array((3,), "f6d9baeb285a2f4e", 5),
    )
)

register(
    Exercise(
        id="19.10",
        points=1,
        produce="an integer, the number of trainable parameters",
        hint="each Dense layer has inputs * units weights plus units biases; the first layer "
        "sees 2 + 16 inputs",
        check=expect_number("041fb484ed299cbf", 0),
    )
)

register(
    Exercise(
        id="19.11",
        points=1,
        produce="a dict with 'tv' (a number) and 'under_class' (the class index)",
        hint="TV = 1/2 sum |p_k - 1/10| with p_k the shares of the 1,000 samples",
        check=expect_dict(
            {
                "tv": expect_number("60cb741f43c9ec28"),
                "under_class": expect_number("40a8063ffa22f77d"),
            }
        ),
    )
)

register(
    Exercise(
        id="19.12",
        points=1,
        produce="one letter",
        hint="the noise added to x0 points along the score of q(x_t | x0), with a minus sign",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="19.13",
        points=3,
        produce="a dict with 'chain_mean', 'chain_std' and 'one_shot_std' (numbers)",
        hint="fresh z at every step and none at the last; one-shot is x_T - eps*(x_T, T) "
        "with the last step's alpha_bar",
        check=expect_dict(
            {
                "chain_mean": expect_number("ce9bef7646f4676b", 1),
                "chain_std": expect_number("d8efa676038717c5", 1),
                "one_shot_std": expect_number("19860ca65bab10e7", 3),
            }
        ),
    )
)
