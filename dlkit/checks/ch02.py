"""Public checks of chapter 02 (perceptrons, MLPs, losses, backpropagation).

Used by ``dlkit.exercises.check("02.k", answer)``. Exercises 02.1 to 02.11 and
02.13 follow the curriculum's exercises (02.1 joins its parameter counts 1 and 2,
02.11 asks for the backpropagation of exercise 12 as a function); 02.8 and 02.14
turn the XOR proof and the universal approximation theorem into multiple choice,
and 02.12 asks for a trained Keras model.

No reference value is written in this module. Numeric checks compare a
*fingerprint* of the answer (:func:`dlkit.exercises.fingerprint`, a hash of the
values rounded to a few decimals) with the fingerprint of the reference answer;
the function answer is fingerprinted through its outputs on the public inputs
below. The model answer (02.12) is judged by what it predicts on the four XOR
points, which is the task itself. Exact values and other inputs are in the
teacher's hidden checks (``hidden_checks/ch02.py``, not shipped).
"""

from __future__ import annotations

from typing import Any

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

# The XOR task of 02.12: inputs and targets (the problem statement, not an answer).
XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype="float32")
XOR_TARGETS = np.array([0.0, 1.0, 1.0, 0.0])
XOR_MAX_BCE = 0.05


def _backprop_inputs(seed: int, n: int, d: int, h: int) -> tuple[np.ndarray, ...]:
    """(X, y, W1, b1, W2, b2) with n examples, d inputs and h hidden units."""
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n, d)).round(2),
        rng.integers(0, 2, size=n).astype(np.float64),
        rng.normal(size=(d, h)).round(2),
        rng.normal(size=h).round(2),
        rng.normal(size=(h, 1)).round(2),
        rng.normal(size=1).round(2),
    )


def xor_model_verdict(answer: Any) -> tuple[bool, str]:
    """Judge 02.12: a Keras model that classifies the four XOR points with a low loss.

    The criterion is the task statement itself (every point right, BCE below
    ``XOR_MAX_BCE``), so the public check and the hidden check both use this.
    """
    import keras  # imported on use: importing this module stays light

    if not isinstance(answer, keras.Model):
        return False, f"expected a Keras model, got {type(answer).__name__}"
    outputs = np.asarray(answer(XOR_INPUTS), dtype=np.float64)
    if outputs.size != 4:
        return False, f"expected one probability per XOR point, got output shape {outputs.shape}"
    p = outputs.reshape(4)
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        return False, "the outputs are not probabilities in [0, 1] (end with a sigmoid)"
    misclassified = int(np.sum((p > 0.5) != (XOR_TARGETS == 1)))
    if misclassified:
        return False, f"not right: {misclassified} of the 4 XOR points are classified wrongly"
    p = np.clip(p, 1e-7, 1 - 1e-7)
    bce = -np.mean(XOR_TARGETS * np.log(p) + (1 - XOR_TARGETS) * np.log(1 - p))
    if not bce < XOR_MAX_BCE:
        return (
            False,
            f"not right yet: all 4 points are right, but the BCE is not below {XOR_MAX_BCE}",
        )
    return True, f"all 4 points right, BCE below {XOR_MAX_BCE}"


register(
    Exercise(
        id="02.1",
        points=2,
        produce="a dict with keys 'mlp' and 'closed_form', each a number of parameters",
        hint="a Dense layer from n_in to n_out units has n_in * n_out weights plus n_out biases; "
        "build the model and compare with model.count_params()",
        check=expect_dict(
            {
                "mlp": expect_number("1fcd1ef1fcfcc9d4"),
                "closed_form": expect_number("3dccaed534011d1d"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.2",
        points=2,
        produce="a dict with keys 'z1' (2 numbers), 'z2' (a number) and 'output' (a number)",
        hint="W1 is written (out, in), so z1 = W1 @ x (a Keras kernel would be W1.T); apply the "
        "ReLU to z1 before the second layer and the sigmoid only at the end",
        check=expect_dict(
            {
                "z1": expect_array((2,), "ef86b096c5fde474"),
                "z2": expect_number("e6cf855ad20708cf"),
                "output": expect_number("0cf75b1fb73d6cf9"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.3",
        points=3,
        produce="a dict with keys 'loss' (a number), 'dW2' (2 numbers) and 'dW1' (a 2×2 array)",
        hint="with a sigmoid output and BCE, dL/dz2 = p - y; the hidden error is "
        "(W2ᵀ δ2) ⊙ relu'(z1), and only then is x multiplied in: dW1 = outer(δ1, x)",
        check=expect_dict(
            {
                "loss": expect_number("b3ca5267974bf6bf"),
                "dW2": expect_array((2,), "6ebd905f07fa7e16"),
                "dW1": expect_array((2, 2), "2e5309b41b4de8d9"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.4",
        points=2,
        produce="a dict with keys 'z1' (4 numbers), 'h' (4 numbers), 'z2' (2 numbers) and "
        "'p' (2 numbers)",
        hint="the ReLU sets negative entries of z1 to zero before the second layer; softmax "
        "exponentiates z2 and divides by the sum",
        check=expect_dict(
            {
                "z1": expect_array((4,), "e3b91f7455a289cf"),
                "h": expect_array((4,), "7549d6de5b9a55ba"),
                "z2": expect_array((2,), "ab301352b14b7b4e"),
                "p": expect_array((2,), "d981645d98aa0c8d"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.5",
        points=2,
        produce="a dict with keys 'h' (3 numbers), 'p' (2 numbers) and 'ce' (a number)",
        hint="the hidden activation is ReLU, not sigmoid; the cross-entropy with the label (1, 0) "
        "is -log p[0]",
        check=expect_dict(
            {
                "h": expect_array((3,), "2579a058cc5b67bb"),
                "p": expect_array((2,), "ccd3337a7e0358fa"),
                "ce": expect_number("94ecb5984a8e3170"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.6",
        points=2,
        produce="a dict with keys 'one_hot' (a 5×4 array) and 'embeddings' (a 5×3 array)",
        hint="A, B, C, D are the indices 0, 1, 2, 3; one_hot @ E picks rows of E, and an "
        "Embedding layer must be given E with set_weights before it gives the same rows",
        check=expect_dict(
            {
                "one_hot": expect_array((5, 4), "380037b6c890fe08"),
                "embeddings": expect_array((5, 3), "e2dda4b193a7eaf1"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.7",
        points=3,
        produce="a dict with keys 'w' (2 numbers), 'b', 'updates' and 'first_clean_pass' (numbers)",
        hint="H(0) = 1: a score of exactly 0 predicts class 1; update only on a mistake; count "
        "passes from 1, and stop after the first pass with no mistake",
        check=expect_dict(
            {
                "w": expect_array((2,), "7aa93cf24c0a9cf3"),
                "b": expect_number("758cd233d402a160"),
                "updates": expect_number("2127b76261c818d9"),
                "first_clean_pass": expect_number("d42dd22a806fdb3a"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.8",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="a threshold or sigmoid unit draws one line; a composition of linear layers is still "
        "one linear map; XOR = OR and not AND",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="02.9",
        points=2,
        produce="a dict with keys 'p' (3 numbers), 'loss' (a number) and 'grad' (3 numbers)",
        hint="the gradient of softmax cross-entropy with respect to the logits is p - y "
        "(predicted minus true)",
        check=expect_dict(
            {
                "p": expect_array((3,), "964385237995429e"),
                "loss": expect_number("de8621af571c40e5"),
                "grad": expect_array((3,), "7c40d56b95d49152"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.10",
        points=2,
        produce="a dict with keys 'shallow_pieces', 'tent_pieces', 'tent_params', "
        "'shallow_units' and 'shallow_params' (numbers)",
        hint="each hidden ReLU unit of a 1-D shallow net adds at most one kink; each tent doubles "
        "the pieces; count the weights and biases of every layer (model.count_params())",
        check=expect_dict(
            {
                "shallow_pieces": expect_number("d42dd22a806fdb3a"),
                "tent_pieces": expect_number("4955e4226f8cf4b2"),
                "tent_params": expect_number("8986243153ddf04a"),
                "shallow_units": expect_number("d52d0e9aeaa67205"),
                "shallow_params": expect_number("c2547d4c245c973a"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.11",
        points=3,
        produce="a function first_layer_grad(X, y, W1, b1, W2, b2) returning dL/dW1, an array "
        "shaped like W1",
        hint="the loss is a mean over N examples, so dL/dz2 = (sigmoid(z2) - y) / N; propagate "
        "with dZ2 @ W2.T, multiply by 1 - tanh², then X.T @ ...; y arrives with shape (N,)",
        check=expect_function(
            [
                _backprop_inputs(59, 4, 2, 3),
                _backprop_inputs(26, 6, 3, 2),
                _backprop_inputs(9, 5, 2, 5),
            ],
            "6fdfbe792523f3de",
        ),
    )
)

register(
    Exercise(
        id="02.12",
        points=3,
        produce="a trained Keras model mapping (batch, 2) inputs to (batch, 1) probabilities",
        hint="a model without a hidden layer cannot separate XOR; use a hidden layer (e.g. 4 tanh "
        "units), a sigmoid output, binary cross-entropy and a few hundred full-batch Adam steps",
        check=xor_model_verdict,
    )
)

register(
    Exercise(
        id="02.13",
        points=2,
        produce="a dict with keys 'max_prob', 'min_loss' and 'min_loss_2_classes' (numbers)",
        hint="the loss sees probabilities in [0, 1] as logits; the best case is 1 for the true "
        "class and 0 for all others; apply softmax and -log to that vector",
        check=expect_dict(
            {
                "max_prob": expect_number("80c145281ca216ec"),
                "min_loss": expect_number("4bf8a62848f6c9a4"),
                "min_loss_2_classes": expect_number("c3cb5d5351498442"),
            }
        ),
    )
)

register(
    Exercise(
        id="02.14",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="the theorem needs a continuous target on a compact set, promises approximation to "
        "any tolerance, and says nothing about the width needed or about training",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)
