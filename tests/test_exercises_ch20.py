"""Chapter 20 exercises: what only this chapter has.

The tests every chapter gets (reference and wrong answers, fingerprint robustness, export,
malformed answers, no revealed values, the notebook) are in ``tests/test_exercises.py``.
"""

from __future__ import annotations

import numpy as np
from test_exercises import is_function_answer, numeric_leaves

from dlkit import exercises, runtime
from dlkit.checks import ch20 as public
from hidden_checks import ch20 as hidden

runtime.import_tensorflow_quietly()
import keras  # noqa: E402

from dlkit import attribution, robustness  # noqa: E402

IDS = [exercise.id for exercise in exercises.chapter_exercises("20")]


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 10
    kinds = {
        "function": [i for i in IDS if is_function_answer(hidden.REFERENCE[i])],
        "choice": [i for i in IDS if isinstance(hidden.REFERENCE[i], str)],
        "numeric": [i for i in IDS if numeric_leaves(hidden.REFERENCE[i])],
    }
    assert all(kinds.values()), kinds
    assert kinds["function"] == ["20.5", "20.9"]
    assert len({hidden.REFERENCE[i] for i in kinds["choice"]}) > 1


def test_reference_values_match_the_curriculum_digest():
    ref = hidden.REFERENCE
    np.testing.assert_allclose(ref["20.1"]["grad"], [0.209987, -0.104994, 0.052497], atol=1e-6)
    assert round(ref["20.2"], 6) == 0.001341
    np.testing.assert_allclose(ref["20.7"]["x_adv"], [0.4, 0.6, 0.0])
    assert np.isclose(ref["20.7"]["logit_adv"], -0.3) and np.isclose(ref["20.7"]["p_adv"], 0.425557)
    np.testing.assert_allclose(ref["20.10"]["before_relu"], [[0.25, -0.45], [0.35, 0.25]])
    w, x = np.array([2.0, -1.0, 0.5]), np.array([1.0, 1.0, 2.0])
    target = 1 / (1 + np.exp(-2.0)) - 0.5
    gaps = [abs(ref["20.5"](w, x, m).sum() - target) for m in (5, 20, 100)]
    np.testing.assert_allclose(gaps, [5.3e-4, 3.3e-5, 1.3e-6], rtol=0.03)
    np.testing.assert_allclose(
        ref["20.9"](*public.PGD_INPUTS[0]), [0.30, 0.40, 1.00, 0.00], atol=1e-12
    )


def test_reference_ig_agrees_with_dlkit_attribution_on_a_keras_logistic_model():
    for w, x, m in hidden.PROBES["20.5"] + public.IG_INPUTS:
        d = len(w)
        inputs = keras.Input((d, 1, 1))
        z = keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(inputs))
        model = keras.Model(inputs, keras.layers.Activation("sigmoid")(z))
        model.layers[2].kernel.assign(np.asarray(w, dtype="float32")[:, None])
        ig = attribution.integrated_gradients(
            model, np.asarray(x, dtype="float32").reshape(1, d, 1, 1), [0], steps=m
        )
        np.testing.assert_allclose(ig.ravel(), hidden.REFERENCE["20.5"](w, x, m), atol=2e-6)


def test_reference_pgd_step_agrees_with_one_step_of_dlkit_pgd():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4, 5)).astype("float32")
    x_k = np.clip(x + rng.uniform(-0.1, 0.1, size=x.shape), 0, 1).astype("float32")
    y = np.array([0, 1, 2, 1])
    # one step from x_k, projected around x: run PGD from x_k with a zero-width start
    step = robustness.pgd(model, x_k, y, 0.1, steps=1, step_size=0.03, random_start=False)
    grad = (step.numpy() - x_k) / 0.03  # the sign, where no clipping happened
    mine = hidden.REFERENCE["20.9"](x_k, x_k, np.sign(grad), 0.03, 0.1)
    np.testing.assert_allclose(step.numpy(), mine, atol=1e-6)


def test_pgd_step_that_forgets_the_ball_is_caught_only_by_probes_that_leave_it():
    wrong = hidden.WRONG["20.9"]
    for args in hidden.PROBES["20.9"][:1] + public.PGD_INPUTS[:1]:
        assert not np.allclose(wrong(*args), hidden.REFERENCE["20.9"](*args))
