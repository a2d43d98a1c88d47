"""Chapter 16 exercises: what only this chapter has.

The tests every chapter gets (reference and wrong answers, fingerprint robustness, export,
malformed answers, no revealed values, the notebook) are in ``tests/test_exercises.py``.
Here: the references agree with the curriculum digest's printed answers, the reference
functions agree with Keras (loss-scale schedule) and with the bound of quantisation, and
the public function inputs differ from the hidden probes.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_exercises import is_function_answer, numeric_leaves

from dlkit import exercises
from dlkit.checks import ch16 as public
from hidden_checks import ch16 as hidden

IDS = [exercise.id for exercise in exercises.chapter_exercises("16")]
REFERENCE = hidden.REFERENCE

# The answers as printed in shared/curriculum/16-performance-and-scale.md §4.
DIGEST = {
    "16.2": {"threshold": 1.999, "scale_after": 2**14},
    "16.3": {"max": 65504, "rounded_sum": 2048},
    "16.4": {"weights_and_moments_mib": 114.4, "with_gradients_mb": 160},
    "16.5": {"effective_batch": 256, "batches": 79, "last_batch": 8},
    "16.6": {"per_replica_mean_ratio": 2.0, "global_batch_ratio": 1.0},
    # the digest prints 0.5625 s (N/k calls); with ceil(1000/32) = 32 calls it is 0.564 s
    "16.8": {"time_1": 2.5, "time_32": 0.564, "speedup": 4.43},
    "16.9": {"sequential": 8.0, "prefetched": 5.03, "speedup": 1.59},
    "16.10": {"amdahl_speedup": 1.818, "learning_rate": 0.4},
    "16.12": {
        "bottleneck_weights": 69_632,
        "conv_weights": 589_824,
        "bottleneck_mmacs": 218.365952,
        "conv_mmacs": 1849.688064,
        "separable_weights": 2_336,
        "standard_weights": 18_432,
        "five_by_five_weights": 102_400,
        "two_3x3_weights": 73_728,
        "receptive_field": 7,
    },
}


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 10
    kinds = {
        "function": [i for i in IDS if is_function_answer(REFERENCE[i])],
        "choice": [i for i in IDS if isinstance(REFERENCE[i], str)],
        "numeric": [i for i in IDS if numeric_leaves(REFERENCE[i])],
    }
    assert all(kinds.values()), kinds
    assert kinds["function"] == ["16.11", "16.16"]
    assert len({REFERENCE[i] for i in kinds["choice"]}) > 1
    for exercise in exercises.chapter_exercises("16"):
        assert 1 <= exercise.points <= 3, exercise.id


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(
            REFERENCE[exercise_id][key], printed, rtol=2e-3, atol=1e-6, err_msg=key
        )


def test_float16_casts_agree_with_the_digest():
    grads = hidden.GRADS.astype(np.float64)
    plain = REFERENCE["16.1"]["plain"] * grads
    unscaled = REFERENCE["16.1"]["unscaled"] * grads
    np.testing.assert_allclose(plain[:2], [1.0004e-3, 1.0133e-6], rtol=1e-4)
    assert plain[2] == 0.0
    np.testing.assert_allclose(unscaled, [1.0004e-3, 1.00024e-6, 9.997e-9], rtol=1e-4)


def test_quantisation_reference_matches_the_digest_and_its_error_bound():
    w = np.array([-1.0, -0.5, 0.0, 0.25, 1.0])
    dequantised = REFERENCE["16.11"](w, 8)
    np.testing.assert_allclose(dequantised, [-1, -0.49804, 0.00392, 0.24706, 1], atol=1e-5)
    np.testing.assert_allclose((dequantised + 1) / (2 / 255), [0, 64, 128, 159, 255])
    for w, bits in hidden.PROBES["16.11"] + public.QUANTIZE_INPUTS:
        delta = (w.max() - w.min()) / (2**bits - 1)
        assert np.abs(REFERENCE["16.11"](w, bits) - w).max() <= delta / 2 + 1e-12


def test_loss_scale_schedule_follows_keras_loss_scale_optimizer():
    import keras
    import tensorflow as tf

    for finite, initial, interval in hidden.PROBES["16.16"] + public.SCHEDULE_INPUTS:
        weight = keras.Variable([1.0])
        optimizer = keras.optimizers.LossScaleOptimizer(
            keras.optimizers.SGD(0.0), initial_scale=initial, dynamic_growth_steps=interval
        )
        optimizer.build([weight])
        scales = []
        for ok in finite:
            optimizer.apply([tf.constant([1.0 if ok else np.inf])], [weight])
            scales.append(float(optimizer.dynamic_scale.numpy()))
        np.testing.assert_allclose(REFERENCE["16.16"](finite, initial, interval), scales)


def test_public_inputs_differ_from_hidden_probes():
    assert len(hidden.PROBES["16.11"]) >= 3 and len(hidden.PROBES["16.16"]) >= 3
    public_sets = {repr(args) for args in public.QUANTIZE_INPUTS + public.SCHEDULE_INPUTS}
    for args in hidden.PROBES["16.11"] + hidden.PROBES["16.16"]:
        assert repr(args) not in public_sets
