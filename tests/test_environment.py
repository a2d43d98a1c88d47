"""The pinned environment: requirements.txt, environment.yml and the installed packages agree."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;#]+)")


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _requirement_lines() -> list[str]:
    text = (ROOT / "requirements.txt").read_text()
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_every_requirement_is_an_exact_pin():
    loose = [line for line in _requirement_lines() if not PIN.match(line)]
    assert not loose, f"requirements.txt must pin with ==: {loose}"


def test_environment_yml_mirrors_requirements():
    required = _pins((ROOT / "requirements.txt").read_text())
    conda = _pins((ROOT / "environment.yml").read_text())
    missing = sorted(set(required) - set(conda))
    differ = {
        name: (required[name], conda[name])
        for name in required
        if name in conda and required[name] != conda[name]
    }
    assert not missing, f"environment.yml lacks pins from requirements.txt: {missing}"
    assert not differ, f"environment.yml pins other versions (requirements, conda): {differ}"
    assert "python=3.11" in (ROOT / "environment.yml").read_text()


@pytest.mark.parametrize(
    "name", ["tensorflow", "keras", "numpy", "nbval", "scikit-learn", "mlxtend"]
)
def test_installed_versions_match_pins(name):
    pins = _pins((ROOT / "requirements.txt").read_text())
    assert name in pins, f"{name} is not pinned in requirements.txt"
    assert metadata.version(name) == pins[name]


def test_keras_3_and_no_legacy_packages():
    import keras

    assert int(keras.__version__.split(".")[0]) == 3
    pins = _pins((ROOT / "requirements.txt").read_text())
    assert "tf-keras" not in pins and "tensorflow-addons" not in pins
