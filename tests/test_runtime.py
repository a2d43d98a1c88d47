"""dlkit.runtime: scale switch, seeding, determinism and the banner."""

from __future__ import annotations

import random

import numpy as np
import pytest

import dlkit
from dlkit import runtime


def test_scale_defaults_to_fast(monkeypatch):
    monkeypatch.delenv("DLKIT_SCALE", raising=False)
    assert runtime.scale() == "fast"


@pytest.mark.parametrize(
    "value, expected", [("full", "full"), (" FULL ", "full"), ("fast", "fast")]
)
def test_scale_reads_environment(monkeypatch, value, expected):
    monkeypatch.setenv("DLKIT_SCALE", value)
    assert runtime.scale() == expected


def test_scale_rejects_unknown_value(monkeypatch):
    monkeypatch.setenv("DLKIT_SCALE", "huge")
    with pytest.raises(ValueError, match="DLKIT_SCALE.*'huge'"):
        runtime.scale()


def test_setup_seeds_every_generator(capsys):
    import tensorflow as tf

    def draw():
        return random.random(), np.random.rand(), float(tf.random.uniform(()))

    runtime.setup(seed=123)
    first = draw()
    runtime.setup(seed=123)
    assert draw() == first
    runtime.setup(seed=124)
    assert draw() != first
    from tensorflow.python.framework.config import is_op_determinism_enabled

    assert is_op_determinism_enabled()


def test_setup_prints_one_banner_line(capsys, monkeypatch):
    import keras
    import tensorflow as tf

    monkeypatch.setenv("DLKIT_SCALE", "full")
    runtime.setup(seed=0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    banner = lines[0]
    assert f"TensorFlow {tf.__version__}" in banner and f"Keras {keras.__version__}" in banner
    assert "scale: full" in banner and "policy: float32" in banner and "devices:" in banner


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"seed": -1}, ValueError),
        ({"seed": 1.5}, TypeError),
        ({"seed": True}, TypeError),
        ({"deterministic": "yes"}, TypeError),
    ],
)
def test_setup_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error, match="seed|deterministic"):
        runtime.setup(**kwargs)


def test_setup_checks_scale_before_anything(monkeypatch):
    monkeypatch.setenv("DLKIT_SCALE", "bogus")
    with pytest.raises(ValueError, match="DLKIT_SCALE"):
        runtime.setup()


def test_import_has_no_side_effects():
    """Importing dlkit prints nothing and does not touch the global random state."""
    import subprocess
    import sys

    code = (
        "import keras, tensorflow\n"  # TensorFlow's own import draws from random; settle it first
        "import random; random.seed(5); expected = random.random(); random.seed(5)\n"
        "import dlkit\n"
        "assert random.random() == expected, 'import dlkit reseeded random'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout == ""
    assert dlkit.__version__


def test_every_public_name_resolves_lazily():
    import subprocess
    import sys

    code = (
        "import dlkit\n"
        "for name in dlkit.__all__ + sorted(dlkit._LAZY_MODULES):\n"
        "    getattr(dlkit, name)\n"
        "import pkgutil\n"
        "modules = {m.name for m in pkgutil.iter_modules(dlkit.__path__)} - {'checks', 'cli'}\n"
        "missing = modules - dlkit._LAZY_MODULES - {'runtime'}\n"
        "assert not missing, f'not reachable as dlkit.<name>: {missing}'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
