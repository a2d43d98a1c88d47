"""Public checks of chapter 15 (tensor methods), used by ``dlkit.exercises.check("15.k", answer)``.

Exercises 15.1 to 15.13: unfoldings in the Kolda–Bader convention, a contraction that keeps
three indices, parameter counts of CP / Tucker / tensor-train models and of compressed
``Dense`` and ``Conv2D`` layers, the TT ranks of a sine, three functions (``unfold``,
``mode_n_product``, the error of a truncated HOSVD), the book's rank-1 example, and three
conceptual questions. Indices in the tasks are 1-based.

No reference value is written in this module: each check compares a *fingerprint* of the
answer (:func:`dlkit.exercises.fingerprint`) with the fingerprint of the reference answer.
Function answers are fingerprinted through their outputs on the public inputs below; the
teacher's hidden checks (``hidden_checks/ch15.py``, not shipped) call them on other inputs.
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

_CUBE = np.arange(24.0).reshape(2, 3, 4)
_T = np.fromfunction(lambda i, j, k: (i + 1) + (j + 1) - (k + 1), (2, 2, 2))
_P = np.array([[1.0, 2.0], [3.0, 4.0]])
_Q = np.array([[0.0, 5.0], [6.0, 7.0]])
_R = np.stack([_P, 2 * _P], axis=2)
_WAVE = np.sin(np.arange(60.0) ** 1.3).reshape(3, 4, 5)

UNFOLD_INPUTS = [(_T, 0), (_CUBE, 1), (_CUBE, 2)]
MODE_PRODUCT_INPUTS = [
    (_R, _Q, 1),
    (_CUBE, np.arange(8.0).reshape(2, 4) - 3.0, 2),
    (_CUBE, np.array([[1.0, 0.0], [2.0, 1.0], [0.0, -1.0]]), 0),
]
HOSVD_INPUTS = [(_WAVE, (2, 2, 2)), (_WAVE, (1, 3, 4)), (_CUBE**2, (1, 1, 1))]

register(
    Exercise(
        id="15.1",
        points=2,
        produce="a dict with keys 'mode1', 'mode2', 'mode3', each the first row (9 numbers) of "
        "that unfolding",
        hint="in the Kolda–Bader unfolding the earliest remaining mode varies fastest along a "
        "row: np.reshape(np.moveaxis(A, n, 0), (3, -1), order='F'); a C-order reshape is not it",
        check=expect_dict(
            {
                "mode1": expect_array((9,), "69d2330140d6dd8c"),
                "mode2": expect_array((9,), "2f8f95e0dc328f80"),
                "mode3": expect_array((9,), "d086d45c938d800a"),
            }
        ),
    )
)

register(
    Exercise(
        id="15.2",
        points=2,
        produce="a dict with keys 'shape' (a tuple of ints) and 'C' (the array C[i, j, l])",
        hint="only k is summed, so i, j and l all survive: np.einsum('ijk,kl->ijl', A, B); the "
        "summed index of B is its first one",
        check=expect_dict(
            {
                "shape": expect_shape("edc00de33fe3a631"),
                "C": expect_array((2, 2, 2), "45ec51b6c498f263"),
            }
        ),
    )
)

register(
    Exercise(
        id="15.3",
        points=2,
        produce="a dict with keys 'cp', 'tucker', 'tt' (parameter counts)",
        hint="CP: R·ΣI_n; Tucker: the core ΠR_n plus the factors ΣI_n·R_n; TT: Σ r_(n-1)·I_n·r_n",
        check=expect_dict(
            {
                "cp": expect_number("46e51c0e1d4cd4c3"),
                "tucker": expect_number("959c862f99a2b324"),
                "tt": expect_number("fca0c21a88e6d431"),
            }
        ),
    )
)

register(
    Exercise(
        id="15.4",
        points=2,
        produce="a dict with keys 'kernel', 'rank16', 'max_rank', 'rank1_error', "
        "'rank1_relative_error' (numbers)",
        hint="m·n weights become r·(m + n); saving needs r < mn/(m + n); the Eckart–Young error is "
        "the norm of *all* discarded singular values, sqrt(Σ_(i>r) σ_i²)",
        check=expect_dict(
            {
                "kernel": expect_number("7289c83293f89ff5"),
                "rank16": expect_number("004f64a1846cc64a"),
                "max_rank": expect_number("fe8bfd6ba4d1051e"),
                "rank1_error": expect_number("0ec287bedba2dbce"),
                "rank1_relative_error": expect_number("a7b51a2dc9e9602f"),
            }
        ),
    )
)

register(
    Exercise(
        id="15.5",
        points=2,
        produce="a dict with keys 'full', 'tucker2', 'cp' (weight counts, no biases)",
        hint="full: k²·C_in·C_out; Tucker-2: C_in·R1 + k²·R1·R2 + R2·C_out; CP: the two depthwise "
        "convs are k×1 and 1×k, so R·(C_in + 2k + C_out)",
        check=expect_dict(
            {
                "full": expect_number("ce7e84443039eb06"),
                "tucker2": expect_number("53c2228775e30751"),
                "cp": expect_number("999bab2712b0e42e"),
            }
        ),
    )
)

register(
    Exercise(
        id="15.6",
        points=2,
        produce="a dict with keys 'ranks' (a tuple of 11 ints, r_0 ... r_10) and 'params'",
        hint="every unfolding of the sampled sine has rank 2 (sin(a + b) = sin a cos b + "
        "cos a sin b); a core has r_(n-1)·2·r_n numbers; do not forget r_0 = r_10 = 1",
        check=expect_dict(
            {"ranks": expect_shape("5f48db5a9581f700"), "params": expect_number("152e30ef64eedef9")}
        ),
    )
)

register(
    Exercise(
        id="15.7",
        points=3,
        produce="a function unfold(x, n) returning the (x.shape[n], rest) Kolda–Bader unfolding",
        hint="C-order reshapes let the last axis vary fastest: transpose to mode n first and the "
        "remaining modes in *reverse* order, then reshape to (x.shape[n], -1)",
        check=expect_function(UNFOLD_INPUTS, "a71114aaa39a44ee"),
    )
)

register(
    Exercise(
        id="15.8",
        points=3,
        produce="a function mode_n_product(x, u, n) returning X ×_(n+1) U",
        hint="contract axis n of x with axis 1 of u (tensordot puts the new axis last), then move "
        "that axis back to position n",
        check=expect_function(MODE_PRODUCT_INPUTS, "5fadc864258bc8c8"),
    )
)

register(
    Exercise(
        id="15.9",
        points=3,
        produce="a function hosvd_error(x, ranks) returning the relative error (a number)",
        hint="U_n = leading ranks[n] left singular vectors of the mode-n unfolding; project every "
        "mode with U_n U_nᵀ; divide the Frobenius norm of the residual by the norm of x",
        check=expect_function(HOSVD_INPUTS, "c7593a5bd6e49c8c"),
    )
)

register(
    Exercise(
        id="15.10",
        points=2,
        produce="a dict with keys 'unfolding_ranks' (3 ints), 'proposed_error', 'best_lambda', "
        "'best_error'",
        hint="a rank-1 tensor has rank-1 unfoldings; errors are relative (divided by the norm "
        "of X); "
        "rank-1 ALS with unit-norm factors converges to the best λ within a few hundred sweeps",
        check=expect_dict(
            {
                "unfolding_ranks": expect_shape("edc00de33fe3a631"),
                "proposed_error": expect_number("446088936b715e87"),
                "best_lambda": expect_number("55aef3b98f9409da", decimals=2),
                "best_error": expect_number("63b28b8dc3ae130b", decimals=2),
            }
        ),
    )
)

register(
    Exercise(
        id="15.11",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="write the shapes of the cores of a train for a 2×3×4 tensor; the hierarchical "
        "tree belongs to another format",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="15.12",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="raw tf.linalg.svd returns the singular values first and V itself, not its transpose; "
        "try each option on a random matrix",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="15.13",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="a Keras Dense layer computes x @ kernel + bias with the kernel stored (in, out); "
        "x P has shape (batch, 16)",
        check=expect_choice(CHOICES, "18ac3e7343f01689"),
    )
)
