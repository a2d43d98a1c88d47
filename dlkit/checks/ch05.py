"""Public checks of chapter 05 (regularization and normalization).

Used by ``dlkit.exercises.check("05.k", answer)``. Exercises 05.1 to 05.11 follow the
curriculum's numeric exercises (initializer limits, batch / layer / group normalization
by hand, running statistics, parameter counts, L2 penalty, dropout conventions, early
stopping, gradient factors through deep stacks, a residual convolution); 05.12 and 05.13
ask for functions (a batch-norm forward pass and an early-stopping simulator); 05.14 and
05.15 are conceptual multiple-choice questions.

No reference value is written in this module. Each check compares a *fingerprint* of
the answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference
answer, computed once by the teacher and pasted here as a hex string. Function answers
are fingerprinted through their outputs on the public inputs below. The exact reference
values and stricter comparisons are the teacher's hidden checks
(``hidden_checks/ch05.py``, not shipped).
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

# Public inputs of the function exercises (the hidden checks use others).
BATCH_NORM_INPUTS = [
    (
        np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 1.0]]),
        np.array([2.0, 0.5]),
        np.array([1.0, -1.0]),
        1e-3,
    ),
    (np.array([[0.0], [1.0], [4.0], [7.0]]), np.array([1.0]), np.array([0.0]), 0.0),
]
EARLY_STOPPING_INPUTS = [
    ([0.9, 0.7, 0.62, 0.64, 0.61, 0.63, 0.65, 0.66, 0.6], 3),
    ([1.0, 0.8, 0.85, 0.9], 1),
    ([0.5, 0.4, 0.3], 5),
]

register(
    Exercise(
        id="05.1",
        points=2,
        produce="a dict with keys 'glorot_limit_dense', 'he_uniform_limit', 'he_normal_std', "
        "'conv_fan_in', 'conv_fan_out', 'conv_glorot_limit', 'conv_he_std', each a number",
        hint="Glorot uniform: a = sqrt(6 / (n_in + n_out)); He uniform: sqrt(6 / n_in); He "
        "normal: std sqrt(2 / n_in); for a conv kernel Keras multiplies the channel counts by "
        "the kernel area (height x width)",
        check=expect_dict(
            {
                "glorot_limit_dense": expect_number("41868f2397baed75"),
                "he_uniform_limit": expect_number("0cf83695f00cecb8"),
                "he_normal_std": expect_number("aaf57c7282966e33"),
                "conv_fan_in": expect_number("2cdac41f3c88fd44"),
                "conv_fan_out": expect_number("2a86a94ce056da5f"),
                "conv_glorot_limit": expect_number("4107f7b4d236ace2"),
                "conv_he_std": expect_number("4107f7b4d236ace2"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.2",
        points=2,
        produce="a dict with keys 'mean', 'variance' (numbers), 'x_hat' and 'x_hat_keras' "
        "(arrays of shape (4,))",
        hint="batch norm uses the population variance (divide by m, not m - 1: np.var's "
        "default); a value above the mean must come out positive; Keras adds epsilon = 1e-3 "
        "to the variance under the square root",
        check=expect_dict(
            {
                "mean": expect_number("7f6cbc77f9491a6a"),
                "variance": expect_number("4539977a65f849ce"),
                "x_hat": expect_array((4,), "47a8f41301fde15a"),
                "x_hat_keras": expect_array((4,), "ea4648211a1c78cc"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.3",
        points=1,
        produce="a dict with keys 'eps_0' and 'eps_keras', each an array of shape (4,)",
        hint="layer norm standardizes one example over its features with the population "
        "variance; Keras' LayerNormalization adds epsilon = 1e-3 to the variance",
        check=expect_dict(
            {
                "eps_0": expect_array((4,), "006bdbb1a5780e1e"),
                "eps_keras": expect_array((4,), "e306146adb940ff3"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.4",
        points=2,
        produce="a dict with keys 'group_means' and 'group_variances' (arrays of shape (2,), "
        "one entry per group) and 'normalized' (an array of shape (1, 3, 3, 4), channels last)",
        hint="each group holds two channels; its statistics run over both channels and all "
        "nine positions of one image (18 numbers); use the population variance",
        check=expect_dict(
            {
                "group_means": expect_array((2,), "e94d5ad961bd837d"),
                "group_variances": expect_array((2,), "a81fcac07b47b52c"),
                "normalized": expect_array((1, 3, 3, 4), "3eb360ad29b04dd0"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.5",
        points=2,
        produce="a dict with keys 'keras_after_100', 'torch_after_100' and 'steps_to_95', "
        "each a number",
        hint="Keras: mean <- momentum * mean + (1 - momentum) * batch_mean; PyTorch: mean <- "
        "(1 - momentum) * mean + momentum * batch_mean; after n steps from 0 the Keras mean is "
        "5 (1 - momentum^n)",
        check=expect_dict(
            {
                "keras_after_100": expect_number("2d183f104243e140"),
                "torch_after_100": expect_number("f5e00d5cf556a4e1", decimals=4),
                "steps_to_95": expect_number("3f969c9265b1a6ea"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.6",
        points=1,
        produce="a dict with keys 'total', 'trainable', 'non_trainable' and "
        "'torch_parameters', each an integer",
        hint="per channel Keras keeps gamma, beta, a moving mean and a moving variance; only "
        "gamma and beta receive gradients; PyTorch stores running statistics as buffers, "
        "which .parameters() does not list",
        check=expect_dict(
            {
                "total": expect_number("6bb309ebc9edea0c"),
                "trainable": expect_number("bde25f70388be6cf"),
                "non_trainable": expect_number("bde25f70388be6cf"),
                "torch_parameters": expect_number("bde25f70388be6cf"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.7",
        points=1,
        produce="a dict with keys 'penalty' (a number) and 'gradient' (an array of shape (3,))",
        hint="the penalty is lambda * sum(w^2) (no factor 1/2 here), so its gradient is "
        "2 * lambda * w",
        check=expect_dict(
            {
                "penalty": expect_number("d0f42f357fc10f9b", decimals=5),
                "gradient": expect_array((3,), "a515a72c88cf1d0c", decimals=5),
            }
        ),
    )
)

register(
    Exercise(
        id="05.8",
        points=2,
        produce="a dict with keys 'kept_value', 'all_dropped_one_in', 'non_inverted_expected' "
        "and 'test_factor', each a number",
        hint="the Keras argument is the drop rate p: survivors are divided by the keep "
        "probability 1 - p; ten independent drops multiply their probabilities; without "
        "inverted scaling the test-time factor is the keep probability",
        check=expect_dict(
            {
                "kept_value": expect_number("7a9cbea53fa59bce"),
                "all_dropped_one_in": expect_number("1dc6daaa17bcabfe", decimals=0),
                "non_inverted_expected": expect_number("b756ed1ce6d723e6"),
                "test_factor": expect_number("fd08a94db8d8ece9"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.9",
        points=2,
        produce="a dict with keys 'epochs_run', 'restored_epoch', 'epochs_run_patience_0' and "
        "'restored_epoch_patience_0', each an integer (epochs counted from 1)",
        hint="after each epoch the wait counter goes up by one and is reset to 0 on an "
        "improvement; training stops when the counter reaches patience; the restored weights "
        "are those of the best epoch seen so far",
        check=expect_dict(
            {
                "epochs_run": expect_number("4f871da1260d5eaf"),
                "restored_epoch": expect_number("8c6191392f0539b4"),
                "epochs_run_patience_0": expect_number("98a0d8efb57eb053"),
                "restored_epoch_patience_0": expect_number("50fa41ac389b7586"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.10",
        points=1,
        produce="a dict with keys 'plain_log10', 'residual_large_log10' and "
        "'residual_small_log10', each a number (log10 of the gradient factor)",
        hint="the chain rule multiplies the 20 local derivatives; a residual layer's local "
        "derivative is 1 + (branch derivative); log10 of a product is the sum of the log10s",
        check=expect_dict(
            {
                "plain_log10": expect_number("95bcaedf24968b49"),
                "residual_large_log10": expect_number("1977fa5fb6c9ba25"),
                "residual_small_log10": expect_number("ab8544f879642feb"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.11",
        points=2,
        produce="a dict with keys 'conv' and 'residual', each a 3×3 array",
        hint="'same' padding surrounds the image with zeros; at a corner only two "
        "neighbours exist; Conv2D computes a cross-correlation (this kernel is symmetric, "
        "so flipping does not matter)",
        check=expect_dict(
            {
                "conv": expect_array((3, 3), "88b535a76f11ebfc"),
                "residual": expect_array((3, 3), "5dde66839d6ac746"),
            }
        ),
    )
)

register(
    Exercise(
        id="05.12",
        points=3,
        produce="a function batch_norm_forward(x, gamma, beta, eps) that takes a (batch, "
        "features) array, two (features,) arrays and a float and returns the training-mode "
        "output, an array shaped like x",
        hint="statistics per feature over the batch axis (axis=0), population variance, "
        "epsilon inside the square root, then scale by gamma and shift by beta",
        check=expect_function(BATCH_NORM_INPUTS, "3686544197f320df"),
    )
)

register(
    Exercise(
        id="05.13",
        points=2,
        produce="a function early_stopping_epochs(val_losses, patience) that takes a list of "
        "floats and an int and returns the pair (epochs run, restored epoch), both counted "
        "from 1",
        hint="follow keras.callbacks.EarlyStopping: an improvement means strictly smaller "
        "than the best so far; stop at the epoch where the wait counter reaches patience; if "
        "it never does, all epochs run",
        check=expect_function(EARLY_STOPPING_INPUTS, "003f197a892c4cda"),
    )
)

register(
    Exercise(
        id="05.14",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="what does a ReLU do to E[x^2] of a symmetric, zero-mean pre-activation? "
        "simulate it with NumPy",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="05.15",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="build a BatchNormalization layer, set trainable = False, call it with "
        "training=True and compare the output and the moving statistics with those of an "
        "inference-mode call",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)
