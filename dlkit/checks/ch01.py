"""Public checks of chapter 01 (tensors), used by ``dlkit.exercises.check("01.k", answer)``.

Exercises 01.1 to 01.15 follow the curriculum's exercises 1 to 15 (01.10 asks for
the multilinear rank that a HOSVD reveals); 01.16 (second derivative with nested
tapes), 01.17 (linear versus affine) and 01.18 (porting weights to a Dense kernel)
complete the chapter. Indices in the tasks are 1-based, as in the curriculum.

No reference value is written in this module. Each check compares a
*fingerprint* of the answer, a short hash of its values rounded to a few
decimals (:func:`dlkit.exercises.fingerprint`), or of its normalised text for
shapes and choices (:func:`dlkit.exercises.text_fingerprint`), with the
fingerprint of the reference answer, computed once by the teacher and pasted
here as a hex string. Function answers are fingerprinted through their outputs
on a few public inputs. The exact reference values and stricter comparisons are
the teacher's hidden checks (``hidden_checks/ch01.py``, not shipped).
"""

from __future__ import annotations

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

register(
    Exercise(
        id="01.1",
        points=1,
        produce="a dict with keys 'sum', 'hadamard', 'abt', each a 2-D array (A + B, A ⊙ B, A Bᵀ)",
        hint="in NumPy and TF `*` is elementwise and `@` is the matrix product; A Bᵀ multiplies a "
        "(2, 3) by a (3, 2) matrix",
        check=expect_dict(
            {
                "sum": expect_array((2, 3), "108114977b86d2b5"),
                "hadamard": expect_array((2, 3), "3b5712277c4bb50c"),
                "abt": expect_array((2, 2), "226ff3f22afc46a3"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.2",
        points=2,
        produce="a dict with keys 'size', 'reshape_value', 'transpose_value' (numbers) and "
        "'transpose_shape' (a tuple of ints)",
        hint="reshape keeps the sequence 0, 1, ..., 23 in C order and only regroups it; "
        "transpose(1, 2, 0) moves axes, so its element [i, j, k] is C[k, i, j]",
        check=expect_dict(
            {
                "size": expect_number("d89e69b512ccc5a1"),
                "reshape_value": expect_number("6ac7f43f306b8256"),
                "transpose_value": expect_number("4955e4226f8cf4b2"),
                "transpose_shape": expect_shape("bf4a61c2b06b4d01"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.3",
        points=1,
        produce="a single number, c = A_ij B_ji",
        hint="the indices run over 1, 2, 3 (np.arange(1, 4)), not 0, 1, 2; a repeated index is "
        "summed, as in np.einsum('ij,ji->', A, B)",
        check=expect_number("44966160451073f3"),
    )
)

register(
    Exercise(
        id="01.4",
        points=2,
        produce="a dict with keys 'D' (a 2×2 array) and 'total' (a number)",
        hint="index values are 1 and 2; the repeated i contracts modes 1 and 3 together "
        "(np.einsum('ijil->jl', C)), it does not sum i and k separately",
        check=expect_dict(
            {
                "D": expect_array((2, 2), "a49b6c3d0effa0a2"),
                "total": expect_number("64f13053774a9228"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.5",
        points=1,
        produce="a 4×4 array, the Kronecker product D ⊗ E",
        hint="block (i, j) of D ⊗ E is D[i, j] * E; the order of the factors matters (np.kron)",
        check=expect_array((4, 4), "250661e1497ebd8b"),
    )
)

register(
    Exercise(
        id="01.6",
        points=2,
        produce="a dict with keys 'sum' (2×2 array), 'outer_shape' (tuple of ints), "
        "'outer_sum' (number) and 'contraction' (2×2 array)",
        hint="the outer product of two matrices keeps all four indices; 'contraction' sums the "
        "first index of both, np.einsum('ij,ik->jk', B, C), which is not B @ C",
        check=expect_dict(
            {
                "sum": expect_array((2, 2), "1734619d396ff4a7"),
                "outer_shape": expect_shape("92a91257a2beb329"),
                "outer_sum": expect_number("e5dc3302a061e556"),
                "contraction": expect_array((2, 2), "be3f67d91b235ff6"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.7",
        points=3,
        produce="a dict with keys 'shape' (tuple of ints), 'g11' (2 numbers), 'norm' (number) "
        "and 'H' (3×2 array)",
        hint="j appears in both inputs and in the output, so it is a batch index: "
        "np.einsum('ijk,jkl->ijl', E, F); build E and F on 1-based index grids; "
        "'g11' is G[0, 0, :] in Python",
        check=expect_dict(
            {
                "shape": expect_shape("bf4a61c2b06b4d01"),
                "g11": expect_array((2,), "cbee0ffbd2184636"),
                "norm": expect_number("a4122de633f629cb", decimals=2),
                "H": expect_array((3, 2), "e5fe77bbca1c5e16"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.8",
        points=3,
        produce="a dict with keys 'kron' (4×4 array) and 'S' (2×2×2 array, S[:, :, k] the "
        "frontal slices)",
        hint="the mode-2 product sums the tensor's second index against the columns of Q: "
        "np.einsum('ijk,mj->imk', R, Q); a square Q keeps the shape",
        check=expect_dict(
            {
                "kron": expect_array((4, 4), "10750f4ea96feff3"),
                "S": expect_array((2, 2, 2), "8c573aafacbfe40e"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.9",
        points=2,
        produce="a dict with keys 'unfold' (2×4 array), 'singular_values' and 'eigenvalues' "
        "(2 numbers each, in descending order)",
        hint="Kolda–Bader order lets the earliest remaining mode vary fastest: "
        "np.reshape(np.moveaxis(T, n, 0), (T.shape[n], -1), order='F'); "
        "np.linalg.eigvalsh sorts ascending",
        check=expect_dict(
            {
                "unfold": expect_array((2, 4), "15420545356d10e2"),
                "singular_values": expect_array((2,), "894dbfb6d9f91709"),
                "eigenvalues": expect_array((2,), "b1866794e984defd"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.10",
        points=2,
        produce="a dict with keys 'H' and 'K', each a multilinear rank: a tuple of 3 ints",
        hint="entry n of the multilinear rank is the rank of the mode-n unfolding (the number "
        "of nonzero singular values the HOSVD finds there), not the size of mode n",
        check=expect_dict(
            {"H": expect_shape("028ab3525e29917f"), "K": expect_shape("635bca6aa5e4c0ad")}
        ),
    )
)

register(
    Exercise(
        id="01.11",
        points=3,
        produce="a dict with keys 'loss' (number) and 'dL_dW' (2×2 array)",
        hint="Y = X ×₂ W is 2×2×2 like X; keep the factor 1/2 in L; make W a tf.Variable, "
        "compute Y with einsum inside the tape and call tape.gradient(L, W)",
        check=expect_dict(
            {
                "loss": expect_number("6c5dee15d6151615"),
                "dL_dW": expect_array((2, 2), "153c49b2572139a4"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.12",
        points=2,
        produce="a function grads(a, b) that takes two floats and returns the pair (de/da, de/db)",
        hint="make a and b tf.Variables (or tape.watch constants), compute e inside "
        "`with tf.GradientTape() as tape:` and call tape.gradient(e, [a, b]); "
        "the product rule applies to b",
        check=expect_function([(2.0, 1.0), (0.5, -3.0), (-1.5, 2.25)], "271db11851b9376f"),
    )
)

register(
    Exercise(
        id="01.13",
        points=2,
        produce="a dict with keys 'f32_sum', 'f16_product', 'eps32_exponent', 'eps16_exponent', "
        "each a number",
        hint="compute in the stated dtype (tf.constant(..., dtype=tf.float32) or np.float32); "
        "NumPy's default float64 gives other answers; np.finfo(dtype).eps, then log2",
        check=expect_dict(
            {
                "f32_sum": expect_number("28e7331bb1005200", decimals=0),
                "f16_product": expect_number("7de00fa4dfb5c4ca"),
                "eps32_exponent": expect_number("163bb75b810de9da"),
                "eps16_exponent": expect_number("35560e3d5684e42e"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.14",
        points=2,
        produce="a dict with keys 'a' and 'b' (each a shape tuple, or the string 'error') and "
        "'fix' (a shape tuple)",
        hint="align shapes from the right; each pair of sizes must be equal or contain a 1; "
        "np.broadcast_shapes raises ValueError when they do not combine",
        check=expect_dict(
            {
                "a": expect_shape("061a73c5c97b5de6", allow_error=True),
                "b": expect_shape("ca00fccfb408989e", allow_error=True),
                "fix": expect_shape("2039c2811a457633"),
            }
        ),
    )
)

register(
    Exercise(
        id="01.15",
        points=3,
        produce="a dict with keys 'proposed_error' and 'best_error', each a relative error "
        "(a number)",
        hint="divide ‖X − a∘b∘c‖_F by ‖X‖_F; in ALS update one factor at a time by least "
        "squares with the other two fixed, for a few dozen sweeps",
        check=expect_dict(
            {
                "proposed_error": expect_number("446088936b715e87"),
                "best_error": expect_number("63b28b8dc3ae130b", decimals=2),
            }
        ),
    )
)

register(
    Exercise(
        id="01.16",
        points=2,
        produce="a function second_derivative(x) that takes a float and returns d²/dx² x³ at x "
        "(a number)",
        hint="nest two tapes: compute the first derivative with the inner tape inside the "
        "outer tape's `with` block, then differentiate it with the outer tape",
        check=expect_function([(2.0,), (-1.5,), (0.25,)], "b70166b57b3dd463"),
    )
)

register(
    Exercise(
        id="01.17",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="a linear map satisfies f(αx + βy) = αf(x) + βf(y), in particular f(0) = 0; "
        "test each map on random inputs",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="01.18",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="a Dense kernel has shape (in, out) and computes x @ kernel; a reshape keeps the "
        "order of the entries, a transpose swaps rows and columns",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)
