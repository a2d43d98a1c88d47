"""Chapter 01 exercises: what only this chapter has.

The tests every chapter gets (reference and wrong answers, fingerprint robustness,
export, malformed answers, no revealed values, the notebook) are in
``tests/test_exercises.py``; the ``dlkit.exercises`` building blocks are tested in
``tests/test_exercises_api.py``.
"""

from __future__ import annotations

from pathlib import Path

from test_exercises import is_function_answer, numeric_leaves, shape_leaves

from dlkit import exercises
from dlkit.exercises import check
from hidden_checks import ch01 as hidden

ROOT = Path(__file__).resolve().parents[1]
IDS = [exercise.id for exercise in exercises.chapter_exercises("01")]


def test_chapter_has_enough_graded_exercises_of_every_kind():
    assert len(IDS) >= 12
    kinds = {
        "function": [i for i in IDS if is_function_answer(hidden.REFERENCE[i])],
        "choice": [i for i in IDS if isinstance(hidden.REFERENCE[i], str)],
        "shape": [i for i in IDS if shape_leaves(hidden.REFERENCE[i])],
        "numeric": [i for i in IDS if numeric_leaves(hidden.REFERENCE[i])],
    }
    assert all(kinds.values()), kinds
    assert kinds["function"] == ["01.12", "01.16"]
    assert "error" in hidden.REFERENCE["01.14"].values()  # a broadcast that fails
    for exercise in exercises.chapter_exercises("01"):
        assert 1 <= exercise.points <= 3, exercise.id


def test_check_states_the_points_in_words(capsys):
    assert check("01.3", hidden.REFERENCE["01.3"]) is True
    assert "[01.3] passed (1 point)" in capsys.readouterr().out
    assert check("01.3", hidden.WRONG["01.3"]) is False
    assert "[01.3] not yet (1 point)" in capsys.readouterr().out
    assert check("01.7", ...) is False
    assert "not answered yet (3 points)" in capsys.readouterr().out


def test_dict_answer_with_a_malformed_part_names_that_part(capsys):
    answer = dict(hidden.REFERENCE["01.1"], abt="not an array")
    assert check("01.1", answer) is False
    assert "'abt'" in capsys.readouterr().out
    assert "'abt'" in hidden.CHECKS["01.1"](answer)[1]


def test_public_sources_hold_none_of_the_distinctive_numbers():
    source = (ROOT / "dlkit" / "checks" / "ch01.py").read_text()
    for distinctive in ("2887.6", "16777216", "23.66", "4.864", "0.0896", "0.728", "[[50"):
        assert distinctive not in source
    assert "16777216" not in (ROOT / "dlkit" / "exercises.py").read_text()
