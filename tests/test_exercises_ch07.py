"""Chapter 07: the hidden references agree with the curriculum digest and with Keras.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch07.py`` recomputes with NumPy and SciPy, are
compared with the numbers printed in ``shared/curriculum/07-augmentation.md`` §4, with
simulations, and with the Keras layers the exercises ask about (rotation direction,
contrast clipping, the default flip, translations, MixUp). The mixup exercise has a
custom public check (its function returns a pair), so the generic "public inputs are not
the probes" test skips it; it is repeated here.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest

from dlkit import exercises
from dlkit.checks.ch07 import CUTOUT_INPUTS, MIXUP_INPUTS
from hidden_checks.ch07 import CHECKS, PROBES, RAMP, REFERENCE, WRONG

# The digest's answers, as printed there (rounded).
DIGEST = {
    "07.1": {
        "flip_lr": [[4, 3, 2, 1], [8, 7, 6, 5], [12, 11, 10, 9], [16, 15, 14, 13]],
        "rot90_cw": [[13, 9, 5, 1], [14, 10, 6, 2], [15, 11, 7, 3], [16, 12, 8, 4]],
    },
    "07.2": {"sigma_1": 1.0},
    "07.3": {"max_degrees": 18.0, "factor_15_degrees": 0.0416667, "max_shift_pixels": 2.8},
    "07.4": {
        "raw": [[-0.225, 0.075], [0.675, 1.275]],
        "clipped": [[0.0, 0.075], [0.675, 1.0]],
        "keras_default": [[0.0, 0.075], [0.675, 1.275]],
    },
    "07.5": {
        "x_mix": [0.7, 0.3, 0.5],
        "y_mix": [0.3, 0.0, 0.7],
        "ce_soft": 0.732504,
        "ce_two_losses": 0.732504,
    },
    "07.6": {
        "p_middle_alpha_0.2": 0.3266,
        "p_middle_alpha_1": 0.8,
        "mean_dominant_alpha_0.2": 0.8988,
    },
    "07.7": {"inside_fraction": 0.0816, "expected_area": 55.18, "expected_fraction": 0.0704},
    "07.8": {"mean_probabilities": [0.6, 0.4, 0.0], "tta_class": 0, "vote_class": 1},
    "07.9": {"flips_and_turns": 8, "flips_only": 4},
    "07.15": {"pasted_pixels": 49, "weight_j": 0.0625},
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(
            REFERENCE[exercise_id][key], printed, rtol=5e-4, atol=1e-4, err_msg=key
        )


def test_digest_answers_of_the_other_parts():
    mixed = REFERENCE["07.15"]["mixed_label"]
    assert mixed[3] == pytest.approx(0.9375) and mixed[8] == pytest.approx(0.0625)
    assert mixed.sum() == pytest.approx(1.0)
    labels = REFERENCE["07.10"]
    assert [k for k, keep in labels.items() if not keep] == [
        "horizontal_flip",
        "vertical_flip",
        "rotation_180",
    ]


def test_noise_and_beta_references_match_simulations():
    rng = np.random.default_rng(0)
    for key, sigma in [("sigma_1", 1.0), ("sigma_0.3", 0.3)]:
        noise = rng.normal(0.0, sigma, size=(100_000, 4, 4))
        assert np.mean(noise**2) == pytest.approx(REFERENCE["07.2"][key], rel=0.01)
    for alpha, key in [(0.2, "p_middle_alpha_0.2"), (1.0, "p_middle_alpha_1")]:
        draws = rng.beta(alpha, alpha, 400_000)
        middle = np.mean((draws > 0.1) & (draws < 0.9))
        assert middle == pytest.approx(REFERENCE["07.6"][key], abs=0.003)
    draws = rng.beta(0.2, 0.2, 400_000)
    assert np.maximum(draws, 1 - draws).mean() == pytest.approx(
        REFERENCE["07.6"]["mean_dominant_alpha_0.2"], abs=0.002
    )


def test_cutout_expected_area_by_enumeration():
    area = np.zeros((28, 28))
    for r, c in itertools.product(range(28), range(28)):
        mask = np.zeros((28, 28), dtype=bool)
        mask[max(r - 4, 0) : r + 4, max(c - 4, 0) : c + 4] = True
        area[r, c] = mask.sum()
    assert area.mean() == pytest.approx(REFERENCE["07.7"]["expected_area"], rel=1e-12)


def test_counts_of_flips_and_turns_and_keras_default_flip():
    image = np.random.default_rng(1).random((5, 5)).astype("float32")
    group = {np.rot90(f(image), k).tobytes() for f in (lambda a: a, np.fliplr) for k in range(4)}
    flips = {
        g(image).tobytes() for g in (lambda a: a, np.fliplr, np.flipud, lambda a: a[::-1, ::-1])
    }
    assert len(group) == REFERENCE["07.9"]["flips_and_turns"]
    assert len(flips) == REFERENCE["07.9"]["flips_only"]  # identity, lr, ud and lr+ud = rot180
    layer = keras.layers.RandomFlip(seed=3)
    out = np.asarray(layer(np.repeat(image[None, :, :, None], 200, axis=0), training=True))
    assert len({o.tobytes() for o in out}) == REFERENCE["07.9"]["keras_default_flip"]


def test_keras_layers_match_the_references():
    batch = RAMP.astype("float32")[None, :, :, None]  # (1, 4, 4, 1)
    turned = keras.layers.RandomRotation((0.25, 0.25), fill_mode="constant")(batch)
    np.testing.assert_allclose(
        np.asarray(turned)[0, :, :, 0], REFERENCE["07.1"]["keras_quarter_turn"], atol=1e-4
    )
    for mode in ("constant", "nearest"):
        layer = keras.layers.RandomTranslation((0.25, 0.25), (-0.25, -0.25), fill_mode=mode)
        np.testing.assert_allclose(
            np.asarray(layer(batch, training=True))[0, :, :, 0],
            REFERENCE["07.16"][mode],
            atol=1e-4,
        )
    contrast = keras.layers.RandomContrast(0.5)  # default value_range (0, 255)
    image = np.array([[0.0, 0.2], [0.6, 1.0]], "float32")[None, :, :, None]
    out = contrast.transform_images(image, {"contrast_factor": np.full((1, 1, 1, 1), 1.5, "f4")})
    np.testing.assert_allclose(
        np.asarray(out)[0, :, :, 0], REFERENCE["07.4"]["keras_default"], atol=1e-6
    )


def test_zoom_content_scale_matches_keras():
    # a centred 10-pixel-wide bar: zooming out by z = 0.25 scales its width by 1 / 1.25
    image = np.zeros((1, 40, 40, 1), "float32")
    image[:, :, 15:25] = 1.0  # width 10
    zoomed = keras.layers.RandomZoom((0.25, 0.25), fill_mode="constant")(image)
    width = np.asarray(zoomed)[0, 20, :, 0].sum()  # bilinear: the row sum is the width
    assert width / 10 == pytest.approx(REFERENCE["07.3"]["content_scale"], rel=0.03)


def test_mixup_reference_matches_keras_mixup():
    images = np.random.default_rng(2).random((6, 3, 3, 1)).astype("float32")
    labels = np.array([0, 2, 1, 1, 0, 2])
    drawn = keras.layers.MixUp(alpha=0.4, seed=5).get_random_transformation({"images": images})
    keras_out = keras.layers.MixUp(alpha=0.4, seed=5)(
        {"images": images, "labels": np.eye(3, dtype="float32")[labels]}, training=True
    )
    mixed_images, mixed_labels = REFERENCE["07.13"](
        images,
        labels,
        np.asarray(drawn["mix_weight"]),
        np.asarray(drawn["permutation_order"]),
        3,
    )
    np.testing.assert_allclose(mixed_images, keras_out["images"], atol=1e-6)
    np.testing.assert_allclose(mixed_labels, keras_out["labels"], atol=1e-6)


def test_cutout_reference_against_a_mask_definition():
    for image, row, col, size in list(PROBES["07.14"]) + list(CUTOUT_INPUTS):
        height, width = image.shape[:2]
        rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
        top, left = row - size // 2, col - size // 2
        mask = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)
        if image.ndim == 3:
            mask = mask[..., None]
        expected = np.where(mask, 0.0, image)
        np.testing.assert_array_equal(REFERENCE["07.14"](image, row, col, size), expected)
        assert not np.shares_memory(REFERENCE["07.14"](image, row, col, size), image)


def _same_args(a, b):
    return len(a) == len(b) and all(
        np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a, b)
    )


def test_mixup_probes_differ_from_public_inputs_and_catch_a_memorising_function():
    assert not any(_same_args(p, q) for p in MIXUP_INPUTS for q in PROBES["07.13"])
    table = [(args, REFERENCE["07.13"](*args)) for args in MIXUP_INPUTS]

    def right_on_public_inputs_only(*args):
        for known, output in table:
            if _same_args(known, args):
                return output
        return np.zeros(1), np.zeros(1)

    assert exercises.get("07.13").check(right_on_public_inputs_only)[0]
    assert not CHECKS["07.13"](right_on_public_inputs_only)[0]


def test_wrong_functions_differ_from_the_reference_on_the_probes():
    for args in PROBES["07.14"]:
        if not np.array_equal(WRONG["07.14"](*args), REFERENCE["07.14"](*args)):
            break
    else:
        pytest.fail("the unclipped cutout agrees with the reference on every probe")
    public = exercises.get("07.13").check
    assert not public(WRONG["07.13"])[0]
