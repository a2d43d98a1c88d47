"""Chapter 18 exercises: what only this chapter has.

The tests every chapter gets (reference and wrong answers, fingerprint robustness, export,
malformed answers, no revealed values, the notebook) are in ``tests/test_exercises.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from test_exercises import is_function_answer

from dlkit import boxes, exercises
from dlkit.checks import ch18 as public
from hidden_checks import ch18 as hidden

ROOT = Path(__file__).resolve().parents[1]
IDS = [exercise.id for exercise in exercises.chapter_exercises("18")]


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 10
    functions = [i for i in IDS if is_function_answer(hidden.REFERENCE[i])]
    choices = [i for i in IDS if isinstance(hidden.REFERENCE[i], str)]
    assert functions == ["18.13", "18.14"]
    assert len({hidden.REFERENCE[i] for i in choices}) > 1


def test_reference_functions_agree_with_dlkit_boxes():
    for a, b in hidden.PROBES["18.13"] + public.IOU_INPUTS:
        np.testing.assert_allclose(
            hidden.REFERENCE["18.13"](a, b), boxes.box_iou(a[:, None], b[None]), atol=1e-12
        )
    for b, s, tau in hidden.PROBES["18.14"] + public.NMS_INPUTS:
        assert hidden.REFERENCE["18.14"](b, s, tau).tolist() == boxes.nms(b, s, tau).tolist()


def test_reference_nms_matches_tensorflow_on_the_probes():
    import tensorflow as tf

    for b, s, tau in hidden.PROBES["18.14"]:
        ref = tf.image.non_max_suppression(boxes.to_tf_order(b), s, len(b), iou_threshold=tau)
        assert hidden.REFERENCE["18.14"](b, s, tau).tolist() == ref.numpy().tolist()


def test_probes_expose_the_typical_mistakes():
    # a probe has boxes disjoint in x and y (the unclamped IoU is positive there) ...
    a, b = hidden.PROBES["18.13"][0]
    assert not np.allclose(hidden.WRONG["18.13"](a, b), hidden.REFERENCE["18.13"](a, b))
    # ... and unsorted scores (NMS in input order keeps other boxes)
    for args in hidden.PROBES["18.14"][:1]:
        assert hidden.WRONG["18.14"](*args).tolist() != hidden.REFERENCE["18.14"](*args).tolist()


def test_curriculum_values():
    ref = hidden.REFERENCE
    assert round(ref["18.1"]["a"], 6) == 0.142857
    assert round(ref["18.10"]["fl_hard"], 6) == 1.865094
    assert round(ref["18.11"]["eps0"], 6) == 0.210526
    assert round(float(ref["18.4"]["t"][2]), 6) == 0.405465


def test_public_sources_hold_none_of_the_distinctive_numbers():
    source = (ROOT / "dlkit" / "checks" / "ch18.py").read_text()
    for distinctive in ("1470", "8224", "18464", "9248", "0.6875", "0.4054", "1.8650", "0.9755"):
        assert distinctive not in source
