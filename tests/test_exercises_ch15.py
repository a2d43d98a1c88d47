"""Chapter 15 exercises: what only this chapter has.

The tests every chapter gets (reference and wrong answers, fingerprint robustness, export,
malformed answers, no revealed values, the notebook) are in ``tests/test_exercises.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_exercises import is_function_answer, numeric_leaves, shape_leaves

from dlkit import exercises, tensors
from dlkit.checks import ch15 as public
from hidden_checks import ch15 as hidden

ROOT = Path(__file__).resolve().parents[1]
IDS = [exercise.id for exercise in exercises.chapter_exercises("15")]


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 10
    kinds = {
        "function": [i for i in IDS if is_function_answer(hidden.REFERENCE[i])],
        "choice": [i for i in IDS if isinstance(hidden.REFERENCE[i], str)],
        "shape": [i for i in IDS if shape_leaves(hidden.REFERENCE[i])],
        "numeric": [i for i in IDS if numeric_leaves(hidden.REFERENCE[i])],
    }
    assert all(kinds.values()), kinds
    assert kinds["function"] == ["15.7", "15.8", "15.9"]
    assert len({hidden.REFERENCE[i] for i in kinds["choice"]}) > 1  # not all the same letter


def test_reference_functions_agree_with_dlkit_tensors():
    for x, n in hidden.PROBES["15.7"] + public.UNFOLD_INPUTS:
        np.testing.assert_array_equal(hidden.REFERENCE["15.7"](x, n), tensors.unfold(x, n))
    for x, u, n in hidden.PROBES["15.8"] + public.MODE_PRODUCT_INPUTS:
        np.testing.assert_allclose(
            hidden.REFERENCE["15.8"](x, u, n), tensors.mode_n_product(x, u, n), atol=1e-12
        )
    for x, ranks in hidden.PROBES["15.9"] + public.HOSVD_INPUTS:
        core, factors = tensors.hosvd(x, ranks)
        error = tensors.relative_error(x, tensors.tucker_to_tensor(core, factors))
        assert np.isclose(hidden.REFERENCE["15.9"](x, ranks), error, rtol=1e-9, atol=1e-12)


def test_c_order_unfolding_is_caught_although_its_singular_values_are_right():
    x, n = public.UNFOLD_INPUTS[0]
    c_order = np.reshape(np.moveaxis(x, n, 0), (x.shape[n], -1))
    kolda = hidden.REFERENCE["15.7"](x, n)
    assert not np.array_equal(c_order, kolda)
    np.testing.assert_allclose(
        np.linalg.svd(c_order, compute_uv=False), np.linalg.svd(kolda, compute_uv=False)
    )
    assert not exercises.get("15.7").check(hidden.WRONG["15.7"])[0]


def test_best_rank_one_reference_matches_cp_als_and_the_curriculum():
    weights, _, errors = tensors.cp_als(hidden.BOOK_X, 1, n_iter=500)
    assert abs(float(weights[0]) - hidden.REFERENCE["15.10"]["best_lambda"]) < 1e-6
    assert abs(errors[-1] - hidden.REFERENCE["15.10"]["best_error"]) < 1e-6
    assert round(hidden.REFERENCE["15.10"]["best_lambda"], 4) == 14.2254


def test_function_probes_are_not_low_rank_shortcuts():
    # The wrong 15.9 (absolute error) must differ on every probe: no probe has zero error.
    assert all(hidden.REFERENCE["15.9"](*args) > 1e-3 for args in hidden.PROBES["15.9"])


def test_public_sources_hold_none_of_the_distinctive_numbers():
    source = (ROOT / "dlkit" / "checks" / "ch15.py").read_text()
    for distinctive in (
        "16384",
        "5120",
        "36864",
        "4352",
        "4288",
        "1920",
        "2048",
        "14.22",
        "0.7276",
    ):
        assert distinctive not in source
