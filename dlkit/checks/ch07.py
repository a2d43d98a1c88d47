"""Public checks of chapter 07 (data augmentation).

Used by ``dlkit.exercises.check("07.k", answer)``. Exercises 07.1 to 07.10 and 07.15,
07.16 are numeric (flips and quarter turns, noise, the Keras factors, contrast, mixup
numbers, the Beta distribution, cutout areas, TTA, counting flips and turns, which
transformations preserve a digit, CutMix with clipping, a Keras translation); 07.11 and
07.12 are multiple choice; 07.13 and 07.14 ask for functions (mixup with integer labels,
cutout with clipping).

No reference value is written in this module. Each check compares a *fingerprint* of
the answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference
answer, computed once by the teacher and pasted here as a hex string. Function answers
are fingerprinted through their outputs on the public inputs below. The exact reference
values and stricter comparisons are the teacher's hidden checks
(``hidden_checks/ch07.py``, not shipped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dlkit.exercises import (
    CheckFn,
    Exercise,
    as_float_array,
    expect_array,
    expect_choice,
    expect_dict,
    expect_function,
    expect_number,
    fingerprint,
    register,
)

CHOICES = ("a", "b", "c", "d")


def _image(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.1, 1.0, size=shape).round(3)


# Public inputs of the function exercises (the hidden checks use others).
MIXUP_INPUTS = [
    (
        _image((3, 2, 2, 1), 1),
        np.array([2, 0, 1]),
        np.random.default_rng(2).uniform(0.0, 1.0, 3).round(3),
        np.array([1, 2, 0]),
        3,
    ),
    (
        _image((4, 3), 3),
        np.array([0, 3, 3, 1]),
        np.random.default_rng(4).uniform(0.0, 1.0, 4).round(3),
        np.array([3, 0, 1, 2]),
        4,
    ),
]
CUTOUT_INPUTS = [
    (_image((6, 6), 5), 3, 3, 2),
    (_image((6, 7), 6), 1, 1, 4),  # sticks out at the top and the left
    (_image((5, 6, 3), 7), 4, 5, 3),  # bottom-right corner, three channels
]


def expect_pair_function(inputs: Sequence[tuple], digest: str, decimals: int = 3) -> CheckFn:
    """A public check for a function returning a pair of arrays (fingerprint of both)."""

    def run(answer: Any) -> tuple[bool, str]:
        if not callable(answer):
            return False, f"expected a function, got {type(answer).__name__}"
        flat = []
        for args in inputs:
            output = answer(*args)
            if not isinstance(output, tuple | list) or len(output) != 2:
                return False, "the function must return a pair (mixed_images, mixed_labels)"
            flat += [np.ravel(as_float_array(part, "the function's output")) for part in output]
        if fingerprint(np.concatenate(flat), decimals) != digest:
            return False, "the function runs, but its outputs on the test inputs are not right yet"
        return True, f"correct on {len(inputs)} test inputs"

    return run


register(
    Exercise(
        id="07.1",
        points=2,
        produce="a dict with keys 'flip_lr', 'rot90_cw' and 'keras_quarter_turn', each a (4, 4) "
        "array",
        hint="a left-right flip reverses the columns; np.rot90(I, k=1) turns counter-clockwise, "
        "k=-1 clockwise; Keras' RandomRotation turns counter-clockwise for positive factors",
        check=expect_dict(
            {
                "flip_lr": expect_array((4, 4), "e15ed069b24dc5f8"),
                "rot90_cw": expect_array((4, 4), "8ac3c261c19c16d2"),
                "keras_quarter_turn": expect_array((4, 4), "24e245f61e0b0cd7"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.2",
        points=1,
        produce="a dict with keys 'sigma_1' and 'sigma_0.3', each a number",
        hint="the difference between the noisy and the clean image is the noise itself; the "
        "mean of its square is a variance, not a standard deviation",
        check=expect_dict(
            {
                "sigma_1": expect_number("40a8063ffa22f77d"),
                "sigma_0.3": expect_number("8ab3574b2ea01af4"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.3",
        points=2,
        produce="a dict with keys 'max_degrees', 'factor_15_degrees', 'max_shift_pixels' and "
        "'content_scale', each a number",
        hint="RandomRotation's factor is a fraction of a full turn (360 degrees); "
        "RandomTranslation's is a fraction of the image size; RandomZoom scales the sampling "
        "grid by 1 + z, so a positive z zooms out and the content shrinks",
        check=expect_dict(
            {
                "max_degrees": expect_number("b89035b392958d98"),
                "factor_15_degrees": expect_number("3a86b2e59c2f6925"),
                "max_shift_pixels": expect_number("937a5664702ab08d"),
                "content_scale": expect_number("2cde778cb815d2e3"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.4",
        points=2,
        produce="a dict with keys 'raw', 'clipped' and 'keras_default', each a (2, 2) array",
        hint="the contrast is changed about the mean of the image (not about the middle of the "
        "range); the default value_range (0, 255) only clips values below 0 for this image",
        check=expect_dict(
            {
                "raw": expect_array((2, 2), "97242f79517c78f5"),
                "clipped": expect_array((2, 2), "34352bce01176b6f"),
                "keras_default": expect_array((2, 2), "22021df0dacac219"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.5",
        points=2,
        produce="a dict with keys 'x_mix' and 'y_mix' (arrays of shape (3,)), 'ce_soft' and "
        "'ce_two_losses' (numbers)",
        hint="inputs and labels are mixed with the same lambda, lambda on the first example; "
        "CE(p, y) = -sum y log p with the natural logarithm",
        check=expect_dict(
            {
                "x_mix": expect_array((3,), "9f9e98d39fd5dc14"),
                "y_mix": expect_array((3,), "5921cee141df785f"),
                "ce_soft": expect_number("e109fd739e8affb0"),
                "ce_two_losses": expect_number("e109fd739e8affb0"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.6",
        points=2,
        produce="a dict with keys 'p_middle_alpha_0.2', 'p_middle_alpha_1' and "
        "'mean_dominant_alpha_0.2', each a number",
        hint="P(a < lambda < b) = cdf(b) - cdf(a) with scipy.stats.beta(alpha, alpha); the "
        "density is symmetric about 1/2, so E[max(l, 1 - l)] = 2 * integral from 1/2 to 1 of "
        "l f(l) dl (a simulation is a good check)",
        check=expect_dict(
            {
                "p_middle_alpha_0.2": expect_number("911b08606233d81c"),
                "p_middle_alpha_1": expect_number("2cde778cb815d2e3"),
                "mean_dominant_alpha_0.2": expect_number("456b12a57ce4b6fe"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.7",
        points=2,
        produce="a dict with keys 'inside_fraction', 'expected_area' and 'expected_fraction', "
        "each a number",
        hint="near a border the square is clipped; average the clipped side length over the 28 "
        "possible centres of one axis, then use the independence of the two axes (or average "
        "the area over all 784 centres)",
        check=expect_dict(
            {
                "inside_fraction": expect_number("303f7ab501d8583a"),
                "expected_area": expect_number("c812028168e46759"),
                "expected_fraction": expect_number("7dc616196f69f45d"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.8",
        points=1,
        produce="a dict with keys 'mean_probabilities' (an array of shape (3,)), 'tta_class' "
        "and 'vote_class' (integers, 0-based classes)",
        hint="TTA averages the probability vectors and then takes the argmax; a vote counts "
        "the argmax of every view",
        check=expect_dict(
            {
                "mean_probabilities": expect_array((3,), "aaf1484a1fe6f4dd"),
                "tta_class": expect_number("19860ca65bab10e7"),
                "vote_class": expect_number("40a8063ffa22f77d"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.9",
        points=1,
        produce="a dict with keys 'flips_and_turns', 'flips_only' and 'keras_default_flip', "
        "each an integer",
        hint="count distinct resulting arrays, not sequences of operations (flipping twice "
        "gives the original back); RandomFlip() draws one coin per image for both axes",
        check=expect_dict(
            {
                "flips_and_turns": expect_number("4f871da1260d5eaf"),
                "flips_only": expect_number("98a0d8efb57eb053"),
                "keras_default_flip": expect_number("5ac91d6d0ab76470"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.10",
        points=2,
        produce="a dict with the keys 'small_rotation', 'shift', 'zoom', 'horizontal_flip', "
        "'vertical_flip', 'rotation_180', 'contrast' and 'cutout_8x8', each True or False",
        hint="draw a 2, a 7 and a 6 and apply each transformation in your head (or with NumPy "
        "on MNIST digits): is the result still the same digit?",
        check=expect_dict(
            {
                "small_rotation": expect_number("40a8063ffa22f77d"),
                "shift": expect_number("40a8063ffa22f77d"),
                "zoom": expect_number("40a8063ffa22f77d"),
                "horizontal_flip": expect_number("19860ca65bab10e7"),
                "vertical_flip": expect_number("19860ca65bab10e7"),
                "rotation_180": expect_number("19860ca65bab10e7"),
                "contrast": expect_number("40a8063ffa22f77d"),
                "cutout_8x8": expect_number("40a8063ffa22f77d"),
            }
        ),
    )
)

register(
    Exercise(
        id="07.11",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="call the model twice in each way (fit aside) on the same batch and compare the "
        "outputs: model(x), model(x, training=False), model.predict(x)",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="07.12",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="a layer inside a model only receives the model's inputs; a tf.data map runs "
        "again in every epoch unless you cache its output",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="07.13",
        points=3,
        produce="a function mixup(images, labels, lam, partner, num_classes) returning the pair "
        "(mixed_images, mixed_labels), shapes (batch, ...) and (batch, num_classes)",
        hint="one-hot encode the labels (np.eye(num_classes)[labels]); reshape lam so that it "
        "broadcasts over all the feature axes of the images; lam weighs example k, 1 - lam its "
        "partner, for the images and the labels alike",
        check=expect_pair_function(MIXUP_INPUTS, "e9d1d3d6d68c0e27"),
    )
)

register(
    Exercise(
        id="07.14",
        points=3,
        produce="a function cutout(image, row, col, size) returning a copy of the image with "
        "the clipped square set to 0",
        hint="clip the start of each range at 0 and the end at the image size before slicing; "
        "a negative start in a Python slice counts from the end of the array",
        check=expect_function(CUTOUT_INPUTS, "4eab6ef883f4decf"),
    )
)

register(
    Exercise(
        id="07.15",
        points=2,
        produce="a dict with keys 'pasted_pixels', 'weight_j' (numbers) and 'mixed_label' (an "
        "array of shape (10,))",
        hint="rows 2 - 5 ... 2 + 4 clipped to the image start at row 0; the label weight of "
        "image j is the pasted fraction of the image, counted after clipping",
        check=expect_dict(
            {
                "pasted_pixels": expect_number("a97f6ee9a7ccec42"),
                "weight_j": expect_number("d2639a977973ae45", decimals=4),
                "mixed_label": expect_array((10,), "2eb37b97472f895d", decimals=4),
            }
        ),
    )
)

register(
    Exercise(
        id="07.16",
        points=2,
        produce="a dict with keys 'constant' and 'nearest', each a (4, 4) array",
        hint="the factors are fractions of the image size: 0.25 of 4 pixels is one pixel; "
        "output[r, c] reads the input one row up and one column to the right; outside the "
        "image 'constant' reads 0 and 'nearest' the closest edge pixel",
        check=expect_dict(
            {
                "constant": expect_array((4, 4), "c1eb124827764e92"),
                "nearest": expect_array((4, 4), "e89bedab8abc5139"),
            }
        ),
    )
)
