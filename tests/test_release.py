"""dlkit release: solution regions become stubs and nothing of a solution is left."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from dlkit.cli import main
from dlkit.release import ReleaseError, release_notebook, strip_solutions


def test_top_level_region_becomes_an_answer_stub():
    source = (
        "A = [1, 2]\n### BEGIN SOLUTION\nanswer_01_1 = sum(A) * 3\n### END SOLUTION\nprint('done')"
    )
    new, removed = strip_solutions(source, "code", "01.1")
    assert new.splitlines() == [
        "A = [1, 2]",
        "# YOUR ANSWER HERE",
        "answer_01_1 = ...",
        "print('done')",
    ]
    assert removed == ["answer_01_1 = sum(A) * 3"]


def test_indented_region_raises_not_implemented():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x ** 2\n    ### END SOLUTION\n"
    new, _ = strip_solutions(source, "code", "01.2")
    assert new.splitlines() == [
        "def f(x):",
        '    raise NotImplementedError("write your solution here")',
    ]
    namespace = {}
    exec(new, namespace)  # the stub is valid Python
    with pytest.raises(NotImplementedError):
        namespace["f"](3)


@pytest.mark.parametrize(
    "source, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "without a matching '### END"),
        ("x = 1\n### END SOLUTION\n", "without a matching BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
    ],
)
def test_malformed_markers_are_errors(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source)


def _solution_notebook(path):
    solution = new_code_cell(
        "M = 3\n### BEGIN SOLUTION\nanswer_01_1 = M * 14  # the secret trick\n### END SOLUTION",
        metadata={
            "dlkit": {"exercise": "01.1", "points": 1},
            "tags": ["solution"],
            "collapsed": True,
        },
        execution_count=4,
        outputs=[new_output("stream", name="stdout", text="secret output 42\n")],
    )
    markdown = new_markdown_cell(
        "Explain:\n### BEGIN SOLUTION\nBecause the kernel is linear.\n### END SOLUTION"
    )
    markdown["attachments"] = {"x.png": {"image/png": "c2VjcmV0"}}
    only = new_code_cell(
        "assert answer_01_1 == 42  # solution-only check", metadata={"tags": ["solution-only"]}
    )
    notebook = new_notebook(cells=[markdown, solution, only])
    notebook.metadata["kernelspec"] = {
        "name": "dlkit",
        "display_name": "Python (dlkit)",
        "language": "python",
    }
    notebook.metadata["grader_notes"] = {"answer": 42}
    nbformat.write(notebook, path)
    return path


def test_release_leaves_no_solution_anywhere(tmp_path):
    source = _solution_notebook(tmp_path / "ex.ipynb")
    before = source.read_bytes()
    target = release_notebook(source, tmp_path / "out")
    assert source.read_bytes() == before  # the solution notebook is untouched
    text = target.read_text()
    for secret in (
        "M * 14",
        "secret trick",
        "secret output",
        "kernel is linear",
        "c2VjcmV0",
        "solution-only",
        "grader_notes",
        "collapsed",
    ):
        assert secret not in text, secret
    released = nbformat.read(target, as_version=4)
    nbformat.validate(released)
    assert [c.cell_type for c in released.cells] == ["markdown", "code"]
    code = released.cells[1]
    assert code.outputs == [] and code.execution_count is None
    assert code.metadata == {"dlkit": {"exercise": "01.1", "points": 1}}
    assert "answer_01_1 = ..." in code.source and "M = 3" in code.source
    assert released.metadata["kernelspec"]["name"] == "dlkit"


def test_release_refuses_to_overwrite_the_source(tmp_path):
    source = _solution_notebook(tmp_path / "ex.ipynb")
    with pytest.raises(ReleaseError, match="refusing to overwrite"):
        release_notebook(source, tmp_path)


def test_leak_detector_catches_a_copied_solution_line(tmp_path):
    notebook = new_notebook(
        cells=[
            new_code_cell(
                "### BEGIN SOLUTION\nanswer_01_1 = compute_the_secret(7)\n### END SOLUTION",
                metadata={"dlkit": {"exercise": "01.1"}},
            ),
            new_markdown_cell("Hint: try `answer_01_1 = compute_the_secret(7)`"),
        ]
    )
    path = tmp_path / "leaky.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(ReleaseError, match="solution text would remain"):
        release_notebook(path, tmp_path / "out")


def test_cli_release(tmp_path, capsys):
    source = _solution_notebook(tmp_path / "ex.ipynb")
    assert main(["release", str(source), "--out", str(tmp_path / "student")]) == 0
    assert (tmp_path / "student" / "ex.ipynb").is_file()
    assert "released" in capsys.readouterr().out


def test_cli_release_bad_input(tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    assert main(["release", str(bad), "--out", str(tmp_path / "o")]) == 2
    broken = tmp_path / "broken.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1")]), broken)
    assert main(["release", str(broken), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "without a matching" in err
    json.loads(broken.read_text())  # untouched and still valid
