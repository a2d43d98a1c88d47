"""Execute notebooks top to bottom in the ``dlkit`` kernel and store their outputs.

Used by ``make notebooks``. Each notebook runs in a fresh kernel started in the
``notebooks/`` folder, so stored outputs are exactly what a student sees after
"Restart kernel and run all cells". Timing metadata is not recorded, so a re-run
that changes nothing leaves the file unchanged.

Usage:
    python tests/execute_notebooks.py notebooks/01_tensors.ipynb [...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "dlkit"


def execute(path: Path, timeout: int = 600) -> float:
    """Run one notebook in place; return its wall time in seconds."""
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata["kernelspec"] = {
        "name": KERNEL,
        "display_name": "Python (dlkit)",
        "language": "python",
    }
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(notebook, path)
    return elapsed


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        path = Path(name)
        if not path.is_file() or path.suffix != ".ipynb":
            print(f"not a notebook: {name}")
            return 2
        print(f"{path}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
