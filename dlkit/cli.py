"""The ``dlkit`` command: ``dlkit release`` and ``dlkit grade`` for teachers.

Exit codes of ``dlkit grade``: 0 every exercise passed, 1 some did not, 2 bad
input (not a notebook, unreadable, no exercises, unknown chapter or exercise).
Errors are one line on stderr, never a Python traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_PASSED, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dlkit", description="Release and grade exercises.")
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="write student copies without solutions")
    release.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    release.add_argument("--out", required=True, type=Path, metavar="DIR")

    grade = commands.add_parser("grade", help="grade a submitted notebook in a sandboxed kernel")
    grade.add_argument("submission", type=Path, metavar="SUBMISSION.ipynb")
    grade.add_argument("--json", type=Path, metavar="REPORT.json", help="write the JSON report")
    grade.add_argument("--junit", type=Path, metavar="REPORT.xml", help="write a JUnit XML report")
    grade.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="time limit of one cell (default 60)",
    )
    grade.add_argument(
        "--total-timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="time limit of the whole submission (default 600)",
    )
    grade.add_argument(
        "--memory",
        type=int,
        default=4096,
        metavar="MB",
        help="memory limit of the kernel (default 4096)",
    )
    grade.add_argument(
        "--checks",
        type=Path,
        metavar="DIR",
        help="folder of hidden checks (default $DLKIT_HIDDEN_CHECKS or hidden_checks/)",
    )
    grade.add_argument("--quiet", action="store_true", help="print only the final score line")
    return parser


def _release(args) -> int:
    from dlkit.release import ReleaseError, release_notebook

    for notebook in args.notebooks:
        if not notebook.is_file() or notebook.suffix != ".ipynb":
            print(f"dlkit release: {notebook}: not a notebook file", file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            target = release_notebook(notebook, args.out)
        except (ReleaseError, OSError, ValueError) as error:
            print(f"dlkit release: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"released {notebook} -> {target}")
    return EXIT_PASSED


def _grade(args) -> int:
    from dlkit.grading import GradingError, grade, write_report

    for name in ("json", "junit"):
        path = getattr(args, name)
        if path is not None and path.resolve() == args.submission.resolve():
            print(f"dlkit grade: --{name} would overwrite the submission", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        report = grade(
            args.submission,
            checks_dir=args.checks,
            cell_timeout=args.timeout,
            total_timeout=args.total_timeout,
            memory_mb=args.memory,
        )
    except GradingError as error:
        print(f"dlkit grade: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_report(report, args.json, args.junit)
    print(report.summary().splitlines()[-1] if args.quiet else report.summary())
    return EXIT_PASSED if report.all_passed else EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = _parser().parse_args(argv)
    try:
        return _release(args) if args.command == "release" else _grade(args)
    except KeyboardInterrupt:
        print("dlkit: interrupted", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # no traceback for users; DLKIT_DEBUG=1 shows it
        if os.environ.get("DLKIT_DEBUG"):
            raise
        print(
            f"dlkit {args.command}: internal error: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
