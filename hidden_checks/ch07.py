"""Hidden checks of chapter 07 (data augmentation).

Every check takes the student's answer and returns ``(passed, message)``. Answers may
be lists, NumPy arrays or TensorFlow tensors; they are converted with
:func:`dlkit.exercises.as_float_array`. Numbers are compared with ``np.allclose`` at a
tolerance stated per part; integer results (pixel counts, classes, group sizes) use an
absolute tolerance below 0.5, and yes/no answers are compared as 1/0. Messages say what
is wrong, never what is expected.

The reference values are recomputed here with NumPy and SciPy from the tasks' inputs (they
agree with ``shared/curriculum/07-augmentation.md`` §4, which
``tests/test_exercises_ch07.py`` checks, together with the Keras layers the exercises ask
about). Function answers (07.13, 07.14) are called on the argument tuples in ``PROBES``,
which differ from the public check's inputs; the grader calls the student's function
inside the student's kernel and hands the check a :class:`dlkit.answers.RecordedFunction`
that replays those outputs. The mixup function of 07.13 returns a pair of arrays, so its
check compares both parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import integrate, stats

from dlkit.comparisons import (
    Result,
    choice,
    close,
    close_parts,
    exact,
    exact_parts,
    function,
    parts,
    safe,
)

# ---------------------------------------------------------------------------
# Inputs of the tasks (the same numbers as in the exercises notebook).
# ---------------------------------------------------------------------------

RAMP = np.arange(1.0, 17.0).reshape(4, 4)  # 07.1, 07.16: entries 1..16, row-major
CONTRAST_IMAGE, CONTRAST_FACTOR = np.array([[0.0, 0.2], [0.6, 1.0]]), 1.5  # 07.4
MIX_LAMBDA = 0.7  # 07.5
MIX_X1, MIX_X2 = np.array([1.0, 0.0, 0.5]), np.array([0.0, 1.0, 0.5])
MIX_Y1, MIX_Y2 = np.eye(3)[2], np.eye(3)[0]
MIX_P = np.array([0.2, 0.1, 0.7])
CUTOUT_SIZE, IMAGE_SIDE = 8, 28  # 07.7
TTA_VIEWS = np.array([[0.45, 0.55, 0.0], [0.45, 0.55, 0.0], [0.9, 0.1, 0.0]])  # 07.8
CUTMIX_BOX, CUTMIX_CENTRE = 10, (2, 2)  # 07.15
LABEL_PRESERVING = {  # 07.10, for handwritten digits
    "small_rotation": True,
    "shift": True,
    "zoom": True,
    "horizontal_flip": False,
    "vertical_flip": False,
    "rotation_180": False,
    "contrast": True,
    "cutout_8x8": True,
}


# ---------------------------------------------------------------------------
# Reference computations.
# ---------------------------------------------------------------------------


def _cross_entropy(target: np.ndarray, prediction: np.ndarray) -> float:
    return float(-np.sum(target * np.log(prediction)))


def _mixup_numbers(lam: float) -> dict[str, Any]:
    y_mix = lam * MIX_Y1 + (1 - lam) * MIX_Y2
    return {
        "x_mix": lam * MIX_X1 + (1 - lam) * MIX_X2,
        "y_mix": y_mix,
        "ce_soft": _cross_entropy(y_mix, MIX_P),
        "ce_two_losses": lam * _cross_entropy(MIX_Y1, MIX_P)
        + (1 - lam) * _cross_entropy(MIX_Y2, MIX_P),
    }


def _beta_numbers() -> dict[str, float]:
    def p_middle(alpha: float) -> float:
        return float(stats.beta.cdf(0.9, alpha, alpha) - stats.beta.cdf(0.1, alpha, alpha))

    dominant, _ = integrate.quad(lambda t: 2 * t * stats.beta.pdf(t, 0.2, 0.2), 0.5, 1.0)
    return {
        "p_middle_alpha_0.2": p_middle(0.2),
        "p_middle_alpha_1": p_middle(1.0),
        "mean_dominant_alpha_0.2": float(dominant),
    }


def _clipped_length(centre: int, size: int, side: int) -> int:
    start = centre - size // 2
    return min(start + size, side) - max(start, 0)


def _cutout_numbers(clip: bool) -> dict[str, float]:
    lengths = [
        _clipped_length(c, CUTOUT_SIZE, IMAGE_SIDE) if clip else CUTOUT_SIZE
        for c in range(IMAGE_SIDE)
    ]
    area = float(np.mean(lengths) ** 2)
    return {
        "inside_fraction": CUTOUT_SIZE**2 / IMAGE_SIDE**2,
        "expected_area": area,
        "expected_fraction": area / IMAGE_SIDE**2,
    }


def _cutmix_numbers(clip: bool) -> dict[str, Any]:
    side = [
        _clipped_length(c, CUTMIX_BOX, IMAGE_SIDE) if clip else CUTMIX_BOX for c in CUTMIX_CENTRE
    ]
    pasted = float(side[0] * side[1])
    weight = pasted / IMAGE_SIDE**2
    return {
        "pasted_pixels": pasted,
        "weight_j": weight,
        "mixed_label": (1 - weight) * np.eye(10)[3] + weight * np.eye(10)[8],
    }


def _translate(image: np.ndarray, down: int, right: int, mode: str) -> np.ndarray:
    """Shift the content by whole pixels; outside pixels are 0 ("constant") or the edge."""
    height, width = image.shape
    rows = np.arange(height)[:, None] - down  # source rows
    cols = np.arange(width)[None, :] - right
    if mode == "nearest":
        return image[np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)]
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    return np.where(inside, image[np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1)], 0.0)


def _mixup_reference(images: Any, labels: Any, lam: Any, partner: Any, num_classes: int):
    images = np.asarray(images, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    partner = np.asarray(partner)
    onehot = np.eye(num_classes)[np.asarray(labels)]
    lam_images = lam.reshape((-1,) + (1,) * (images.ndim - 1))
    return (
        lam_images * images + (1 - lam_images) * images[partner],
        lam[:, None] * onehot + (1 - lam[:, None]) * onehot[partner],
    )


def _mixup_swapped(images: Any, labels: Any, lam: Any, partner: Any, num_classes: int):
    """A typical mistake: the labels get the weights the other way round."""
    mixed_images, _ = _mixup_reference(images, labels, lam, partner, num_classes)
    _, swapped = _mixup_reference(images, labels, 1 - np.asarray(lam, float), partner, num_classes)
    return mixed_images, swapped


def _cutout_reference(image: Any, row: int, col: int, size: int) -> np.ndarray:
    out = np.array(image, dtype=np.float64, copy=True)
    height, width = out.shape[:2]
    top, left = row - size // 2, col - size // 2
    rows = slice(max(top, 0), max(min(top + size, height), 0))
    cols = slice(max(left, 0), max(min(left + size, width), 0))
    out[rows, cols] = 0.0
    return out


def _cutout_unclipped(image: Any, row: int, col: int, size: int) -> np.ndarray:
    """A typical mistake: plain slicing, where a negative start wraps around to the end."""
    out = np.array(image, dtype=np.float64, copy=True)
    top, left = row - size // 2, col - size // 2
    out[top : top + size, left : left + size] = 0.0
    return out


# ---------------------------------------------------------------------------
# Reference answers.
# ---------------------------------------------------------------------------

REFERENCE: dict[str, Any] = {
    "07.1": {
        "flip_lr": RAMP[:, ::-1],
        "rot90_cw": np.rot90(RAMP, k=-1),
        "keras_quarter_turn": np.rot90(RAMP, k=1),  # Keras: positive angles counter-clockwise
    },
    "07.2": {"sigma_1": 1.0, "sigma_0.3": 0.09},
    "07.3": {
        "max_degrees": 0.05 * 360,
        "factor_15_degrees": 15 / 360,
        "max_shift_pixels": 0.1 * 28,
        "content_scale": 1 / 1.25,
    },
    "07.4": {
        "raw": (CONTRAST_IMAGE - CONTRAST_IMAGE.mean()) * CONTRAST_FACTOR + CONTRAST_IMAGE.mean(),
        "clipped": np.clip(
            (CONTRAST_IMAGE - CONTRAST_IMAGE.mean()) * CONTRAST_FACTOR + CONTRAST_IMAGE.mean(), 0, 1
        ),
        "keras_default": np.clip(
            (CONTRAST_IMAGE - CONTRAST_IMAGE.mean()) * CONTRAST_FACTOR + CONTRAST_IMAGE.mean(),
            0,
            255,
        ),
    },
    "07.5": _mixup_numbers(MIX_LAMBDA),
    "07.6": _beta_numbers(),
    "07.7": _cutout_numbers(clip=True),
    "07.8": {
        "mean_probabilities": TTA_VIEWS.mean(axis=0),
        "tta_class": float(TTA_VIEWS.mean(axis=0).argmax()),
        "vote_class": float(np.bincount(TTA_VIEWS.argmax(axis=1)).argmax()),
    },
    "07.9": {"flips_and_turns": 8.0, "flips_only": 4.0, "keras_default_flip": 2.0},
    "07.10": dict(LABEL_PRESERVING),
    "07.11": "b",
    "07.12": "b",
    "07.13": _mixup_reference,
    "07.14": _cutout_reference,
    "07.15": _cutmix_numbers(clip=True),
    "07.16": {
        "constant": _translate(RAMP, down=1, right=-1, mode="constant"),
        "nearest": _translate(RAMP, down=1, right=-1, mode="nearest"),
    },
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # np.rot90's default direction (counter-clockwise) taken for clockwise, and an up-down flip.
    "07.1": {
        "flip_lr": RAMP[::-1, :],
        "rot90_cw": np.rot90(RAMP, k=1),
        "keras_quarter_turn": np.rot90(RAMP, k=-1),
    },
    # The standard deviation instead of the variance.
    "07.2": {"sigma_1": 1.0, "sigma_0.3": 0.3},
    # The factor read as a fraction of half a turn, and the zoom read as zooming in.
    "07.3": {
        "max_degrees": 0.05 * 180,
        "factor_15_degrees": 15 / 180,
        "max_shift_pixels": 0.1 * 28 / 2,
        "content_scale": 1.25,
    },
    # Contrast about the middle of the range (0.5) instead of the image mean.
    "07.4": {
        "raw": (CONTRAST_IMAGE - 0.5) * CONTRAST_FACTOR + 0.5,
        "clipped": np.clip((CONTRAST_IMAGE - 0.5) * CONTRAST_FACTOR + 0.5, 0, 1),
        "keras_default": np.clip((CONTRAST_IMAGE - 0.5) * CONTRAST_FACTOR + 0.5, 0, 1),
    },
    # Labels mixed with the weights the other way round (lambda on the second label).
    "07.5": {
        **_mixup_numbers(MIX_LAMBDA),
        "y_mix": (1 - MIX_LAMBDA) * MIX_Y1 + MIX_LAMBDA * MIX_Y2,
        "ce_soft": _cross_entropy((1 - MIX_LAMBDA) * MIX_Y1 + MIX_LAMBDA * MIX_Y2, MIX_P),
    },
    # P(lambda < 0.9) instead of P(0.1 < lambda < 0.9), and E[lambda] for the dominant weight.
    "07.6": {
        "p_middle_alpha_0.2": float(stats.beta.cdf(0.9, 0.2, 0.2)),
        "p_middle_alpha_1": 0.9,
        "mean_dominant_alpha_0.2": 0.5,
    },
    # The square never clipped at the border.
    "07.7": _cutout_numbers(clip=False),
    # Averaging and voting swapped.
    "07.8": {
        "mean_probabilities": TTA_VIEWS.mean(axis=0),
        "tta_class": 1.0,
        "vote_class": 0.0,
    },
    # Counting flip and turn sequences instead of distinct images.
    "07.9": {"flips_and_turns": 16.0, "flips_only": 4.0, "keras_default_flip": 4.0},
    # The photo recipe applied to digits: horizontal flips taken as label-preserving.
    "07.10": {**LABEL_PRESERVING, "horizontal_flip": True},
    # "Inside the model, predict applies it too."
    "07.11": "c",
    # "Mixup belongs inside the model."
    "07.12": "a",
    "07.13": _mixup_swapped,
    "07.14": _cutout_unclipped,
    # The unclipped box area.
    "07.15": _cutmix_numbers(clip=False),
    # The shift directions reversed (up and to the right).
    "07.16": {
        "constant": _translate(RAMP, down=-1, right=1, mode="constant"),
        "nearest": _translate(RAMP, down=-1, right=1, mode="nearest"),
    },
}

# The wrong function answers as source a student could type (the grading round-trip
# test runs them in a kernel, where a lambda object cannot travel).
WRONG_SOURCE: dict[str, str] = {
    "07.13": (
        "def answer_07_13(images, labels, lam, partner, num_classes):\n"
        "    images = np.asarray(images, dtype=float)\n"
        "    lam = np.asarray(lam, dtype=float)\n"
        "    onehot = np.eye(num_classes)[np.asarray(labels)]\n"
        "    lam_images = lam.reshape((-1,) + (1,) * (images.ndim - 1))\n"
        "    mixed_images = lam_images * images + (1 - lam_images) * images[partner]\n"
        "    # the label weights the wrong way round\n"
        "    mixed_labels = (1 - lam[:, None]) * onehot + lam[:, None] * onehot[partner]\n"
        "    return mixed_images, mixed_labels\n"
    ),
    "07.14": (
        "def answer_07_14(image, row, col, size):\n"
        "    out = np.array(image, dtype=float, copy=True)\n"
        "    top, left = row - size // 2, col - size // 2\n"
        "    out[top : top + size, left : left + size] = 0.0  # a negative start wraps\n"
        "    return out\n"
    ),
}


def _probe_image(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.1, 1.0, size=shape).round(3)


# Arguments the hidden checks call function answers with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "07.13": [
        (
            _probe_image((4, 3, 3, 1), 70),
            np.array([1, 0, 2, 1]),
            np.array([0.9, 0.25, 0.6, 1.0]),
            np.array([2, 3, 0, 1]),
            3,
        ),
        (
            _probe_image((3, 5), 71),
            np.array([4, 4, 0]),
            np.array([0.5, 0.05, 0.8]),
            np.array([1, 2, 0]),
            6,  # (the two outputs must differ in shape: a test helper stacks equal shapes)
        ),
        (
            _probe_image((2, 2, 2, 3), 72),
            np.array([0, 1]),
            np.array([0.3, 0.7]),
            np.array([0, 1]),  # each example its own partner: nothing changes
            2,
        ),
    ],
    "07.14": [
        (_probe_image((7, 9), 73), 3, 4, 3),
        (_probe_image((7, 9), 74), 0, 8, 4),  # top-right corner
        (_probe_image((6, 6, 2), 75), 5, 1, 4),  # bottom-left, two channels
        (_probe_image((5, 5), 76), 2, 2, 9),  # larger than the image
        (_probe_image((6, 5), 77), 1, 0, 5),  # sticks out at the top and the left
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _all_close(exercise_id: str, rtol: float = 1e-5, atol: float = 1e-6) -> Callable:
    """A check that compares every part of a dict answer with ``close``."""
    return close_parts(_ref(exercise_id), rtol, atol)


def _all_exact(exercise_id: str) -> Callable:
    return exact_parts(_ref(exercise_id))


def pair_function(answer: Any, reference: Callable[..., Any], inputs: list[tuple]) -> Result:
    """A function answer returning a pair of arrays, compared part by part on ``inputs``."""
    if not callable(answer):
        return False, f"expected a function, got {type(answer).__name__}"
    failed = 0
    for args in inputs:
        output = answer(*args)
        if not isinstance(output, tuple | list) or len(output) != 2:
            failed += 1
            continue
        expected = reference(*args)
        failed += not all(close(out, ref, rtol=1e-5)[0] for out, ref in zip(output, expected))
    if failed:
        return False, f"the function is wrong on {failed} of {len(inputs)} hidden test inputs"
    return True, f"correct on {len(inputs)} hidden test inputs"


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_07_1(answer: Any) -> Result:
    """Flip, clockwise quarter turn, and Keras' quarter turn of the 4x4 ramp."""
    return _all_close("07.1", rtol=0.0, atol=1e-3)(answer)


@safe
def check_07_2(answer: Any) -> Result:
    """Expected MSE of Gaussian noise: the variance."""
    return _all_close("07.2", rtol=1e-6)(answer)


@safe
def check_07_3(answer: Any) -> Result:
    """Degrees, factor, pixels and content scale of the Keras factors."""
    return _all_close("07.3", rtol=1e-5)(answer)


@safe
def check_07_4(answer: Any) -> Result:
    """Contrast 1.5 about the image mean; clipping to [0, 1] and to Keras' default range."""
    return _all_close("07.4", rtol=0.0, atol=1e-5)(answer)


@safe
def check_07_5(answer: Any) -> Result:
    """Mixup of two inputs and labels, and the cross-entropy it implies."""
    return _all_close("07.5", rtol=1e-5)(answer)


@safe
def check_07_6(answer: Any) -> Result:
    """Probabilities and an expectation under Beta(alpha, alpha)."""
    return _all_close("07.6", rtol=1e-4)(answer)


@safe
def check_07_7(answer: Any) -> Result:
    """Erased fraction of an 8x8 cutout, and its expected area with clipping."""
    return _all_close("07.7", rtol=1e-5)(answer)


@safe
def check_07_8(answer: Any) -> Result:
    """TTA by averaging probabilities versus a majority vote."""
    return parts(
        answer,
        {
            "mean_probabilities": lambda v, n: close(
                v, _ref("07.8", "mean_probabilities"), n, rtol=1e-6
            ),
            "tta_class": lambda v, n: exact(v, _ref("07.8", "tta_class"), n),
            "vote_class": lambda v, n: exact(v, _ref("07.8", "vote_class"), n),
        },
    )


@safe
def check_07_9(answer: Any) -> Result:
    """Distinct images from flips and quarter turns; Keras' default flip."""
    return _all_exact("07.9")(answer)


@safe
def check_07_10(answer: Any) -> Result:
    """Label-preserving augmentations for digits (True / False)."""
    return _all_exact("07.10")(answer)


@safe
def check_07_11(answer: Any) -> Result:
    """When in-model augmentation layers transform their input."""
    return choice(answer, _ref("07.11"))


@safe
def check_07_12(answer: Any) -> Result:
    """In-model versus tf.data placement."""
    return choice(answer, _ref("07.12"))


@safe
def check_07_13(answer: Any) -> Result:
    """A function mixup(images, labels, lam, partner, num_classes) -> (images, labels)."""
    return pair_function(answer, _ref("07.13"), PROBES["07.13"])


@safe
def check_07_14(answer: Any) -> Result:
    """A function cutout(image, row, col, size) with clipping."""
    return function(answer, _ref("07.14"), PROBES["07.14"])


@safe
def check_07_15(answer: Any) -> Result:
    """CutMix with a box clipped at the image corner."""
    return parts(
        answer,
        {
            "pasted_pixels": lambda v, n: exact(v, _ref("07.15", "pasted_pixels"), n),
            "weight_j": lambda v, n: close(v, _ref("07.15", "weight_j"), n, rtol=1e-6),
            "mixed_label": lambda v, n: close(v, _ref("07.15", "mixed_label"), n, rtol=1e-6),
        },
    )


@safe
def check_07_16(answer: Any) -> Result:
    """RandomTranslation by one row down and one column left, two fill modes."""
    return _all_close("07.16", rtol=0.0, atol=1e-3)(answer)


CHECKS: dict[str, Callable[[Any], Result]] = {
    "07.1": check_07_1,
    "07.2": check_07_2,
    "07.3": check_07_3,
    "07.4": check_07_4,
    "07.5": check_07_5,
    "07.6": check_07_6,
    "07.7": check_07_7,
    "07.8": check_07_8,
    "07.9": check_07_9,
    "07.10": check_07_10,
    "07.11": check_07_11,
    "07.12": check_07_12,
    "07.13": check_07_13,
    "07.14": check_07_14,
    "07.15": check_07_15,
    "07.16": check_07_16,
}
