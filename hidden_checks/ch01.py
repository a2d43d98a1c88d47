"""Hidden checks of chapter 01 (tensors): exact reference values and strict comparisons.

Every check takes the student's answer and returns ``(passed, message)``. Answers
may be lists, NumPy arrays or TensorFlow tensors; they are converted with
:func:`dlkit.exercises.as_float_array`. Numbers are compared with ``np.allclose``
at a tolerance stated per part (exact integers get an absolute tolerance below
0.5 and no relative one, so that ``2**24 + 1`` is not mistaken for ``2**24``).
Messages say what is wrong, never what is expected.

Function answers (01.12, 01.16) are called on the argument tuples in ``PROBES``,
which differ from the inputs of the public checks. The grader never calls student
code in its own process: it calls the function inside the student's kernel on
``PROBES`` and hands the check a :class:`dlkit.answers.RecordedFunction` that
replays those outputs; a plain Python function works the same way.

Indices in the tasks are 1-based, as in the curriculum.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, exact, function, parts, safe, shape

# ---------------------------------------------------------------------------
# Reference answers (recomputed with NumPy, see shared/curriculum/01-tensors.md §4).
# ---------------------------------------------------------------------------


def _grads_reference(a: float, b: float) -> tuple[float, float]:
    """(de/da, de/db) for e = (a + b)(b + 1)."""
    return b + 1.0, a + 2.0 * b + 1.0


def _second_derivative_reference(x: float) -> float:
    """d²/dx² x³."""
    return 6.0 * x


REFERENCE: dict[str, Any] = {
    "01.1": {
        "sum": np.array([[8.0, 10.0, 12.0], [14.0, 16.0, 18.0]]),
        "hadamard": np.array([[7.0, 16.0, 27.0], [40.0, 55.0, 72.0]]),
        "abt": np.array([[50.0, 68.0], [122.0, 167.0]]),
    },
    "01.2": {
        "size": 24.0,
        "reshape_value": 9.0,
        "transpose_value": 16.0,
        "transpose_shape": (3, 4, 2),
    },
    "01.3": 168.0,
    "01.4": {"D": np.array([[10.0, 12.0], [12.0, 14.0]]), "total": 48.0},
    "01.5": np.array(
        [
            [0.0, 0.0, 4.0, 5.0],
            [0.0, 0.0, 6.0, 7.0],
            [8.0, 10.0, 12.0, 15.0],
            [12.0, 14.0, 18.0, 21.0],
        ]
    ),
    "01.6": {
        "sum": np.array([[6.0, 8.0], [10.0, 12.0]]),
        "outer_shape": (2, 2, 2, 2),
        "outer_sum": 260.0,
        "contraction": np.array([[26.0, 30.0], [38.0, 44.0]]),
    },
    "01.7": {
        "shape": (3, 4, 2),
        "g11": np.array([85.0, 170.0]),
        "norm": 2887.6461001999537,
        "H": np.array([[1150.0, 2300.0], [1300.0, 2600.0], [1450.0, 2900.0]]),
    },
    "01.8": {
        "kron": np.array(
            [
                [0.0, 5.0, 0.0, 10.0],
                [6.0, 7.0, 12.0, 14.0],
                [0.0, 15.0, 0.0, 20.0],
                [18.0, 21.0, 24.0, 28.0],
            ]
        ),
        # S[i, j, k] with frontal slices S[:, :, k] = (k + 1) P Qᵀ (0-based k).
        "S": np.stack(
            [np.array([[10.0, 20.0], [20.0, 46.0]]), np.array([[20.0, 40.0], [40.0, 92.0]])],
            axis=2,
        ),
    },
    "01.9": {
        "unfold": np.array([[1.0, 2.0, 0.0, 1.0], [2.0, 3.0, 1.0, 2.0]]),
        "singular_values": np.array([4.864350294714661, 0.5814604116441624]),
        "eigenvalues": np.array([23.661903789690598, 0.3380962103093994]),
    },
    "01.10": {"H": (1, 1, 1), "K": (1, 2, 2)},
    "01.11": {"loss": 338.0, "dL_dW": np.array([[266.0, 330.0], [330.0, 410.0]])},
    "01.12": _grads_reference,
    "01.13": {
        "f32_sum": 16777216.0,
        "f16_product": np.inf,
        "eps32_exponent": -23.0,
        "eps16_exponent": -10.0,
    },
    "01.14": {"a": (8, 7, 6, 5), "b": "error", "fix": (3, 1)},
    "01.15": {"proposed_error": 0.7276068751089989, "best_error": 0.0896014022158134},
    "01.16": _second_derivative_reference,
    "01.17": "c",
    "01.18": "b",
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # ABᵀ computed as BAᵀ (the transpose of the right answer).
    "01.1": {**REFERENCE["01.1"], "abt": np.array([[50.0, 122.0], [68.0, 167.0]])},
    # Treats transpose(1, 2, 0) as if it were reshape(3, 4, 2): same shape, same element.
    "01.2": {**REFERENCE["01.2"], "transpose_value": 9.0},
    # 0-based indices i, j in {0, 1, 2}.
    "01.3": 30.0,
    # Sums i and k independently (einsum "ijkl->jl") instead of the trace over i = k.
    "01.4": {"D": np.array([[20.0, 24.0], [24.0, 28.0]]), "total": 96.0},
    # Factors in the wrong order: E ⊗ D.
    "01.5": np.array(
        [
            [0.0, 4.0, 0.0, 5.0],
            [8.0, 12.0, 10.0, 15.0],
            [0.0, 6.0, 0.0, 7.0],
            [12.0, 18.0, 14.0, 21.0],
        ]
    ),
    # Contraction over the first mode confused with the matrix product BC.
    "01.6": {**REFERENCE["01.6"], "contraction": np.array([[19.0, 22.0], [43.0, 50.0]])},
    # Contracts only k (tensordot), so j is not shared: shape (3, 4, 4, 2).
    "01.7": {**REFERENCE["01.7"], "shape": (3, 4, 4, 2), "norm": 5271.385017241673},
    # Mode-2 product with Q instead of Qᵀ: slices k P Q.
    "01.8": {
        **REFERENCE["01.8"],
        "S": np.stack(
            [np.array([[12.0, 19.0], [24.0, 43.0]]), np.array([[24.0, 38.0], [48.0, 86.0]])],
            axis=2,
        ),
    },
    # C-order reshape instead of the Kolda–Bader unfolding (same singular values).
    "01.9": {**REFERENCE["01.9"], "unfold": np.array([[1.0, 0.0, 2.0, 1.0], [2.0, 1.0, 3.0, 2.0]])},
    # The dimensions of the tensors instead of the ranks of their unfoldings.
    "01.10": {"H": (2, 2, 2), "K": (2, 2, 2)},
    # L = Σ (Y − Ŷ)² without the factor 1/2.
    "01.11": {"loss": 676.0, "dL_dW": np.array([[532.0, 660.0], [660.0, 820.0]])},
    # Product rule forgotten: de/db = a + b (the (b + 1) term is lost).
    "01.12": lambda a, b: (b + 1.0, a + b),
    # Computed in NumPy's default float64 instead of float32 / float16.
    "01.13": {
        "f32_sum": 16777217.0,
        "f16_product": 131008.0,
        "eps32_exponent": -52.0,
        "eps16_exponent": -52.0,
    },
    # Aligns shapes from the left: (3, 4) + (3,) "works", fix (1, 3).
    "01.14": {"a": (8, 7, 6, 5), "b": (3, 4), "fix": (1, 3)},
    # Absolute errors ‖X − a∘b∘c‖_F, not divided by ‖X‖_F.
    "01.15": {"proposed_error": 10.392304845413264, "best_error": 1.2797640020426244},
    # The first derivative 3x² instead of the second.
    "01.16": lambda x: 3.0 * x**2,
    # Affine map taken for a linear one.
    "01.17": "a",
    # reshape instead of transpose.
    "01.18": "a",
}

# The wrong function answers as source a student could type (the grading round-trip
# test runs them in a kernel, where a lambda object cannot travel).
WRONG_SOURCE: dict[str, str] = {
    "01.12": "def answer_01_12(a, b):\n    return b + 1.0, a + b  # product rule forgotten",
    "01.16": "def answer_01_16(x):\n    return 3.0 * x**2  # the first derivative",
}

# Arguments the hidden checks call function answers with (read by the grader).
PROBES: dict[str, list[tuple[float, ...]]] = {
    "01.12": [(3.0, -2.0), (-0.75, 0.5), (1.25, 4.0), (0.0, 0.0)],
    "01.16": [(3.0,), (-0.5,), (1.25,), (0.0,)],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_01_1(answer: Any) -> Result:
    """A + B, A ⊙ B, A Bᵀ."""
    return parts(
        answer,
        {key: lambda v, n, key=key: close(v, _ref("01.1", key), n) for key in _ref("01.1")},
    )


@safe
def check_01_2(answer: Any) -> Result:
    """Reshape versus transpose of arange(24).reshape(2, 3, 4)."""
    return parts(
        answer,
        {
            "size": lambda v, n: exact(v, _ref("01.2", "size"), n),
            "reshape_value": lambda v, n: exact(v, _ref("01.2", "reshape_value"), n),
            "transpose_value": lambda v, n: exact(v, _ref("01.2", "transpose_value"), n),
            "transpose_shape": lambda v, n: shape(v, _ref("01.2", "transpose_shape"), n),
        },
    )


@safe
def check_01_3(answer: Any) -> Result:
    """A_ij B_ji for A_ij = i + j, B_ij = ij."""
    return exact(answer, _ref("01.3"))


@safe
def check_01_4(answer: Any) -> Result:
    """D_jl = Σ_i C_ijil and the sum of D."""
    return parts(
        answer,
        {
            "D": lambda v, n: close(v, _ref("01.4", "D"), n),
            "total": lambda v, n: exact(v, _ref("01.4", "total"), n),
        },
    )


@safe
def check_01_5(answer: Any) -> Result:
    """Kronecker product D ⊗ E."""
    return close(answer, _ref("01.5"))


@safe
def check_01_6(answer: Any) -> Result:
    """Sum, outer product and first-mode contraction of two 2×2 matrices."""
    return parts(
        answer,
        {
            "sum": lambda v, n: close(v, _ref("01.6", "sum"), n),
            "outer_shape": lambda v, n: shape(v, _ref("01.6", "outer_shape"), n),
            "outer_sum": lambda v, n: exact(v, _ref("01.6", "outer_sum"), n),
            "contraction": lambda v, n: close(v, _ref("01.6", "contraction"), n),
        },
    )


@safe
def check_01_7(answer: Any) -> Result:
    """Contraction with a shared batch index j."""
    return parts(
        answer,
        {
            "shape": lambda v, n: shape(v, _ref("01.7", "shape"), n),
            "g11": lambda v, n: close(v, _ref("01.7", "g11"), n),
            "norm": lambda v, n: close(v, _ref("01.7", "norm"), n, rtol=1e-6, atol=1e-3),
            "H": lambda v, n: close(v, _ref("01.7", "H"), n),
        },
    )


@safe
def check_01_8(answer: Any) -> Result:
    """P ⊗ Q and the mode-2 product R ×₂ Q."""
    return parts(
        answer,
        {
            "kron": lambda v, n: close(v, _ref("01.8", "kron"), n),
            "S": lambda v, n: close(v, _ref("01.8", "S"), n),
        },
    )


@safe
def check_01_9(answer: Any) -> Result:
    """Kolda–Bader mode-1 unfolding, its singular values, eigenvalues of X₍₁₎X₍₁₎ᵀ."""
    return parts(
        answer,
        {
            "unfold": lambda v, n: close(v, _ref("01.9", "unfold"), n),
            "singular_values": lambda v, n: close(v, _ref("01.9", "singular_values"), n, atol=1e-5),
            "eigenvalues": lambda v, n: close(v, _ref("01.9", "eigenvalues"), n, atol=1e-4),
        },
    )


@safe
def check_01_10(answer: Any) -> Result:
    """Multilinear ranks (from the HOSVD) of two 2×2×2 tensors."""
    return parts(
        answer,
        {key: lambda v, n, key=key: shape(v, _ref("01.10", key), n) for key in _ref("01.10")},
    )


@safe
def check_01_11(answer: Any) -> Result:
    """Loss and gradient of a mode-2 product with respect to W."""
    return parts(
        answer,
        {
            "loss": lambda v, n: close(v, _ref("01.11", "loss"), n, rtol=1e-6, atol=1e-3),
            "dL_dW": lambda v, n: close(v, _ref("01.11", "dL_dW"), n, rtol=1e-6, atol=1e-3),
        },
    )


@safe
def check_01_12(answer: Any) -> Result:
    """A function grads(a, b) -> (de/da, de/db) for e = (a + b)(b + 1)."""
    return function(answer, _ref("01.12"), PROBES["01.12"])


@safe
def check_01_13(answer: Any) -> Result:
    """float32 / float16 facts."""
    return parts(
        answer,
        {key: lambda v, n, key=key: exact(v, _ref("01.13", key), n) for key in _ref("01.13")},
    )


@safe
def check_01_14(answer: Any) -> Result:
    """Broadcast shapes, or "error"."""
    return parts(
        answer,
        {key: lambda v, n, key=key: shape(v, _ref("01.14", key), n) for key in _ref("01.14")},
    )


@safe
def check_01_15(answer: Any) -> Result:
    """Relative errors of the proposed and the best rank-1 CP model."""
    return parts(
        answer,
        {
            "proposed_error": lambda v, n: close(
                v, _ref("01.15", "proposed_error"), n, rtol=0.0, atol=1e-5
            ),
            "best_error": lambda v, n: close(
                v, _ref("01.15", "best_error"), n, rtol=0.0, atol=1e-3
            ),
        },
    )


@safe
def check_01_16(answer: Any) -> Result:
    """A function second_derivative(x) = d²/dx² x³ computed with nested tapes."""
    return function(answer, _ref("01.16"), PROBES["01.16"])


@safe
def check_01_17(answer: Any) -> Result:
    """Which map is linear (not merely affine)?"""
    return choice(answer, _ref("01.17"))


@safe
def check_01_18(answer: Any) -> Result:
    """Porting an (out, in) weight matrix to a Keras Dense kernel."""
    return choice(answer, _ref("01.18"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    "01.1": check_01_1,
    "01.2": check_01_2,
    "01.3": check_01_3,
    "01.4": check_01_4,
    "01.5": check_01_5,
    "01.6": check_01_6,
    "01.7": check_01_7,
    "01.8": check_01_8,
    "01.9": check_01_9,
    "01.10": check_01_10,
    "01.11": check_01_11,
    "01.12": check_01_12,
    "01.13": check_01_13,
    "01.14": check_01_14,
    "01.15": check_01_15,
    "01.16": check_01_16,
    "01.17": check_01_17,
    "01.18": check_01_18,
}
