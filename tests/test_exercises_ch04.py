"""Chapter 04 exercises: what only this chapter has.

The generic tests (reference and wrong answers, fingerprint robustness, export, malformed
answers, no revealed values, the notebook) are in ``tests/test_exercises.py``. Here: the mix of
exercise kinds, and the hidden references, which are computed by code, agree with the reference
answers of ``shared/curriculum/04-optimizers.md`` (where an exercise uses other numbers than the
curriculum, the helper that computes it is checked on the curriculum's numbers instead).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_exercises import is_function_answer, numeric_leaves

from dlkit import exercises
from hidden_checks import ch04 as hidden

IDS = [exercise.id for exercise in exercises.chapter_exercises("04")]


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 12
    kinds = {
        "function": [i for i in IDS if is_function_answer(hidden.REFERENCE[i])],
        "choice": [i for i in IDS if isinstance(hidden.REFERENCE[i], str)],
        "numeric": [i for i in IDS if numeric_leaves(hidden.REFERENCE[i])],
    }
    assert kinds["function"] == ["04.6", "04.13"]
    assert kinds["choice"] == ["04.9", "04.10"]
    assert len(kinds["numeric"]) >= 9


def test_references_agree_with_the_curriculum():
    ref = hidden.REFERENCE
    assert ref["04.1"] == pytest.approx({"max_lr": 0.02, "factor": 0.9, "steps": 132})
    np.testing.assert_allclose(ref["04.2"]["amplification"], [10.0, 100.0])
    one_step = {
        "sgd": 0.8,
        "sgd_second": 0.64,
        "momentum_first": 0.8,
        "momentum_second": 0.46,
        "nesterov": 0.62,
        "adagrad": 0.901227,
        "adagrad_textbook": 0.9,
        "rmsprop": 0.683772,
        "adam": 0.9,
    }
    for key, value in one_step.items():
        assert ref["04.3"][key] == pytest.approx(value, abs=1e-6), key
    np.testing.assert_allclose(ref["04.4"]["keras"], [0.999997, 0.996848, 0.240253], atol=1e-6)
    np.testing.assert_allclose(ref["04.4"]["paper"], [1.0, 0.999990, 0.990099], atol=1e-6)
    np.testing.assert_allclose(ref["04.5"]["first"], [10.0, 1.5353, 1.0000266], rtol=1e-4)
    np.testing.assert_allclose(ref["04.5"]["second"], [1000.0, 100.45, 10.503], rtol=1e-4)
    np.testing.assert_allclose(ref["04.7"]["adam_l2"], [0.90232, 0.90175, 0.90174], atol=1e-5)
    np.testing.assert_allclose(ref["04.7"]["adamw"], [0.999990, 0.999000, 0.904792], atol=1e-6)
    assert ref["04.8"]["l2_over_lambda"] * 1e-4 == pytest.approx(5e-5)  # l2(c) for λ = 1e-4
    assert ref["04.12"]["lr_epoch_25"] == pytest.approx(0.025)
    np.testing.assert_allclose(ref["04.14"]["clipnorm"], [0.6, 0.8, 1.0])
    np.testing.assert_allclose(
        ref["04.14"]["global_clipnorm"], [0.230769, 0.307692, 0.923077], atol=1e-6
    )
    np.testing.assert_allclose(ref["04.14"]["clipvalue"], [0.5, 0.5, 0.5])


def test_reference_helpers_on_the_curriculums_numbers():
    # Exercise 13 of the curriculum (04.2 here uses μ = 0.8, λ = 50): μ = 0.9, λ = 100, η = 0.019.
    assert hidden._spectral_radius(1.9, 0.9, nesterov=False) == pytest.approx(0.949, abs=1e-3)
    assert hidden._spectral_radius(1.9, 0.9, nesterov=True) == pytest.approx(2.10, abs=5e-3)
    # Exercise 6 of the curriculum (04.11 here uses η0 = 0.05, T = 2000).
    values = [hidden._cosine(t, 0.1, 1000) for t in (0, 250, 500, 1000)]
    np.testing.assert_allclose(values, [0.1, 0.0853553, 0.05, 0.0], atol=1e-7)
    assert hidden._cosine(500, 0.1, 1000, alpha=0.1) == pytest.approx(0.055)
    # The warm-up schedule joins continuously and ends at 0.
    assert hidden._warmup_cosine_reference(10, 0.5, 10, 90) == pytest.approx(0.5)
    assert hidden._warmup_cosine_reference(9.999, 0.5, 10, 90) == pytest.approx(0.5, rel=1e-3)
    assert hidden._warmup_cosine_reference(500, 0.5, 10, 90) == pytest.approx(0.0, abs=1e-12)


def test_adam_reference_matches_keras():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    theta_keras, optimizer = keras.Variable(0.5), keras.optimizers.Adam(learning_rate=0.01)
    theta, m, v = 0.5, 0.0, 0.0
    for t, g in enumerate([0.3, -1e-6, 2.0, 1e-5], start=1):
        optimizer.apply_gradients([(tf.constant(g), theta_keras)])
        theta, m, v = hidden._adam_step_reference(theta, m, v, g, t, 0.01)
        assert float(theta_keras.numpy()) == pytest.approx(theta, rel=1e-6)
