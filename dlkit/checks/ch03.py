"""Public checks of chapter 03 (activations), used by ``dlkit.exercises.check("03.k", answer)``.

Exercises 03.1 to 03.5 and 03.7 to 03.10 follow the curriculum's exercises 1 to 9 and 11;
03.6 (a stable log-softmax), 03.11 (the gradient through a chain of sigmoids), 03.12 (which
deep network's gradient vanishes, measured), 03.13 (three ways to clip a gradient) and
03.14 (choosing output activations and losses; what tanh does and does not fix) complete
the chapter.

No reference value is written in this module. Each check compares a *fingerprint* of the
answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference answer,
computed once by the teacher and pasted here as a hex string. Function answers are
fingerprinted through their outputs on a few public inputs. The exact reference values and
stricter comparisons are the teacher's hidden checks (``hidden_checks/ch03.py``, not shipped).
"""

from __future__ import annotations

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

register(
    Exercise(
        id="03.1",
        points=1,
        produce="an array of 3 numbers, σ(z) for z = -1, 0, 1",
        hint="σ(z) = 1 / (1 + exp(-z)); mind the minus sign in the exponent",
        check=expect_array((3,), "44a60760663a7c69"),
    )
)

register(
    Exercise(
        id="03.2",
        points=1,
        produce="an array of 3 numbers, tanh'(z) for z = -1, 0, 1",
        hint="differentiate tanh = sinh / cosh with the quotient rule, or check your formula "
        "with tf.GradientTape; the result is written with tanh itself, not with σ's pattern",
        check=expect_array((3,), "85827d93cd05ed12"),
    )
)

register(
    Exercise(
        id="03.3",
        points=2,
        produce="a dict with keys 'relu', 'leaky', 'elu', 'keras_layer_default', each an "
        "array of 3 numbers (the values at z = -1, 0, 1)",
        hint="Leaky ReLU multiplies negative inputs by its slope; ELU gives α(e^z - 1) for "
        "z ≤ 0; for the last part call keras.layers.LeakyReLU() without arguments, whose "
        "default slope is not the one of keras.activations.leaky_relu",
        check=expect_dict(
            {
                "relu": expect_array((3,), "b62e85ddb2d4323a"),
                "leaky": expect_array((3,), "ae2adaeaba4f58fa"),
                "elu": expect_array((3,), "03de47e41a1f5dda"),
                "keras_layer_default": expect_array((3,), "516c2998a08b6447"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.4",
        points=2,
        produce="a dict with keys 'exact' and 'approx' (2 numbers each: the values at x = -1 "
        "and x = 1) and 'grad0', 'grad1' (numbers)",
        hint="GELU(x) = x Φ(x); its derivative needs the product rule, Φ(x) + x φ(x); "
        "keras.activations.gelu(x, approximate=...) computes both versions",
        check=expect_dict(
            {
                "exact": expect_array((2,), "7054077b623dedb3", decimals=4),
                "approx": expect_array((2,), "768117dc289e0f60", decimals=4),
                "grad0": expect_number("1516d73f5050f68a"),
                "grad1": expect_number("dfc82de6ea4f4d4d"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.5",
        points=2,
        produce="a dict with keys 'p' (3 numbers), 'jacobian' (a 3×3 array) and 'p_shifted' "
        "(3 numbers)",
        hint="J[i, k] = p_i (δ_ik - p_k), i.e. diag(p) - p pᵀ, including the off-diagonal "
        "entries; subtract the largest logit before exponentiating",
        check=expect_dict(
            {
                "p": expect_array((3,), "176a2d441fc59a26"),
                "jacobian": expect_array((3, 3), "72117826010f1180"),
                "p_shifted": expect_array((3,), "176a2d441fc59a26"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.6",
        points=3,
        produce="a function log_softmax(z) that takes a 1-D list or array of logits and "
        "returns the array of log-probabilities",
        hint="never exponentiate a large logit: with m = max(z), log p_i = z_i - m - "
        "log Σ_j exp(z_j - m)",
        check=expect_function(
            [([1000.0, 1001.0, 1002.0],), ([-1000.0, 0.0, 1000.0],), ([0.5, -1.5, 2.0, 0.0],)],
            "f00738d4193b5f46",
        ),
    )
)

register(
    Exercise(
        id="03.7",
        points=2,
        produce="a dict with keys 'correct' and 'book', each 2 numbers: Mish'(z) at z = -1 "
        "and z = 2",
        hint="Mish(z) = z tanh(sp(z)); the correct derivative has tanh(sp(z)) where the book "
        "writes Mish(z); check the correct one with a GradientTape or finite differences",
        check=expect_dict(
            {
                "correct": expect_array((2,), "41c62d38f6e3971b"),
                "book": expect_array((2,), "8e12322198ce2580"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.8",
        points=2,
        produce="a dict with keys 'sigmoid_log10' and 'tanh3_log10', each a number (a base-10 "
        "logarithm)",
        hint="the sigmoid's largest slope is σ'(0), not σ(0); tanh'(3) = 1 - tanh(3)²; "
        "log10 of a 10-fold product is 10 times log10 of the factor",
        check=expect_dict(
            {
                "sigmoid_log10": expect_number("95bcaedf24968b49"),
                "tanh3_log10": expect_number("66b1b5ee7828cabd"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.9",
        points=2,
        produce="a dict with keys 'elu_grad', 'swish_grad0', 'swish_min_x' and 'swish_min', "
        "each a number",
        hint="for x ≤ 0 ELU's derivative is α e^x = f(x) + α, not f(x); Swish's minimum is "
        "where its derivative σ(x)(1 + x(1 - σ(x))) vanishes: search a fine grid on [-3, 0] "
        "or use scipy.optimize",
        check=expect_dict(
            {
                "elu_grad": expect_number("9d11e7116c4adcc9"),
                "swish_grad0": expect_number("1516d73f5050f68a"),
                "swish_min_x": expect_number("2f3b1807d9b812cc", decimals=2),
                "swish_min": expect_number("6aa7ad85d04a5020"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.10",
        points=2,
        produce="a dict with keys 'inactive_b1' (a probability) and 'active_per_million_b5' "
        "(an expected count), each a number",
        hint="the unit is inactive when its pre-activation z ≤ 0; for z ~ N(b, 1) that is "
        "P(Z ≤ -b) with Z standard normal (scipy.stats.norm.cdf / norm.sf, or math.erf)",
        check=expect_dict(
            {
                "inactive_b1": expect_number("8cff1feaf3f5f902"),
                "active_per_million_b5": expect_number("032ea966bb03a835"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.11",
        points=3,
        produce="a function sigmoid_chain_grad(x, depth) that takes a float and an int >= 1 "
        "and returns d/dx σ(σ(…σ(x)…)) (σ applied depth times), a number",
        hint="apply σ depth times inside a GradientTape and differentiate, or multiply the "
        "factors σ'(a_k) at the intermediate values a_k; 1/4 per layer is only an upper bound",
        check=expect_function([(0.25, 2), (1.0, 3), (-2.0, 1)], "0452467e0d02336f", decimals=4),
    )
)

register(
    Exercise(
        id="03.12",
        points=2,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="compute r = ‖dL/dW1‖ / ‖dL/dW10‖ for each network with "
        "dlkit.diagnostics.gradient_norms_by_layer rather than guessing; small weights shrink "
        "the forward signal and the backward signal alike",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="03.13",
        points=2,
        produce="a dict with keys 'value_kernel', 'norm_kernel', 'global_kernel' (2×2 "
        "arrays), 'value_bias', 'norm_bias', 'global_bias' (2 numbers each) and "
        "'global_norm' (a number)",
        hint="clipnorm rescales each tensor by its own norm; global clipping rescales both by "
        "one common factor min(1, c / ‖g‖_global), with ‖g‖_global² the sum of the squared "
        "norms (tf.clip_by_global_norm)",
        check=expect_dict(
            {
                "value_kernel": expect_array((2, 2), "6580ddf8ecb1e591"),
                "value_bias": expect_array((2,), "eb0566c0aec492b8"),
                "norm_kernel": expect_array((2, 2), "5cdcf349eb2b7f88"),
                "norm_bias": expect_array((2,), "3f8a07f3d0c5a7e7"),
                "global_kernel": expect_array((2, 2), "ad936cff30812a90"),
                "global_bias": expect_array((2,), "57d5f0bb1927d851"),
                "global_norm": expect_number("da743239031e117a"),
            }
        ),
    )
)

register(
    Exercise(
        id="03.14",
        points=2,
        produce="a dict with keys 'ten_class' and 'tanh', each one letter: 'a', 'b', 'c' or 'd'",
        hint="from_logits=True means the loss applies the softmax itself, so the layer must "
        "not; tanh outputs lie in (-1, 1) and tanh saturates for large |x| just like σ",
        check=expect_dict(
            {
                "ten_class": expect_choice(CHOICES, "3e23e8160039594a"),
                "tanh": expect_choice(CHOICES, "2e7d2c03a9507ae2"),
            }
        ),
    )
)
