"""Answers as data: how a graded answer leaves the student's kernel.

Inside the kernel, :func:`export_code` builds a snippet that writes the value of
one answer variable into a folder as plain data: a ``manifest.json`` holding
numbers, strings, lists and dicts, with arrays stored as ``.npy`` files (saved
with ``allow_pickle=False``) and Keras models as ``.keras`` files. A function
answer cannot travel as data, so it is called inside the kernel on the probe
inputs its hidden check declares and its *outputs* travel instead.

In the grader, :func:`load_answer` reads that folder back without executing
anything: JSON, ``np.load(..., allow_pickle=False)`` and
``keras.saving.load_model(..., safe_mode=True)``. A function answer comes back
as a :class:`RecordedFunction`, which replays the recorded outputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

MAX_ANSWER_BYTES = 256 * 1024**2  # an answer bigger than this is refused
MANIFEST = "manifest.json"


class AnswerError(ValueError):
    """The exported answer is missing, malformed or too large."""


class RecordedFunction:
    """A student's function, replayed from the outputs it gave on the probe inputs.

    Calling it with one of the probe inputs returns what the student's function
    returned (or raises the error it raised); any other input is an error, since
    the function itself never leaves the kernel.
    """

    def __init__(self, calls: list[tuple[Any, Any, str | None]]):
        self._calls = calls

    def __call__(self, *args: Any) -> Any:
        for probe, output, error in self._calls:
            if _same(probe, list(args)):
                if error is not None:
                    raise RuntimeError(f"the function raised {error}")
                return output
        raise AnswerError("the grader asked for an input that was not probed")

    def __repr__(self) -> str:
        return f"RecordedFunction({len(self._calls)} recorded calls)"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return np.array_equal(np.asarray(a), np.asarray(b))
    except (TypeError, ValueError):
        return a == b


def encode_probe(value: Any) -> Any:
    """Turn probe arguments into JSON (arrays keep their dtype)."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, (list, tuple)):
        return [encode_probe(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def decode_probe(value: Any) -> Any:
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    if isinstance(value, list):
        return [decode_probe(v) for v in value]
    return value


# The snippet runs in the student's kernel. It is self-contained (imports inside a
# function, nothing from dlkit), so a student who rebinds names or patches dlkit in
# their notebook cannot break the export of *other* answers; whatever it writes is
# only ever read back as data.
_EXPORT_SNIPPET = r"""
def __dlkit_export(__name, __folder, __probes_json):
    import json as _json, os as _os
    import numpy as _np
    _os.makedirs(__folder, exist_ok=True)
    _counter = [0]
    def _decode(v):
        if isinstance(v, dict) and "__array__" in v:
            return _np.asarray(v["__array__"], dtype=v["dtype"])
        if isinstance(v, list):
            return [_decode(x) for x in v]
        return v
    def _file(suffix):
        _counter[0] += 1
        return "part%d%s" % (_counter[0], suffix)
    def _enc(v, depth=0):
        if depth > 20:
            raise ValueError("answer nested too deeply")
        if v is None or isinstance(v, (bool, int, float, str)):
            if isinstance(v, float) and v != v:
                return {"__float__": "nan"}
            if isinstance(v, float) and v in (float("inf"), float("-inf")):
                return {"__float__": "inf" if v > 0 else "-inf"}
            return v
        if isinstance(v, _np.generic):
            return _enc(v.item(), depth + 1)
        try:
            import keras as _keras
            if isinstance(v, _keras.Model):
                name = _file(".keras")
                v.save(_os.path.join(__folder, name))
                return {"__keras__": name}
        except ImportError:
            pass
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise TypeError("dict answers need string keys")
            return {"__dict__": {k: _enc(x, depth + 1) for k, x in v.items()}}
        if isinstance(v, tuple):
            return {"__tuple__": [_enc(x, depth + 1) for x in v]}
        if isinstance(v, list) and not all(isinstance(x, (int, float, bool)) for x in v):
            return [_enc(x, depth + 1) for x in v]
        if callable(v) and not hasattr(v, "__array__") and not hasattr(v, "numpy"):
            if __probes_json is None:
                raise TypeError("a function is not an accepted answer here")
            calls = []
            for args in _decode(_json.loads(__probes_json)):
                try:
                    calls.append({"args": _enc(list(args), depth + 1),
                                  "out": _enc(v(*args), depth + 1), "error": None})
                except Exception as error:
                    calls.append({"args": _enc(list(args), depth + 1), "out": None,
                                  "error": type(error).__name__ + ": " + str(error)[:200]})
            return {"__calls__": calls}
        if hasattr(v, "numpy") and callable(v.numpy):
            v = v.numpy()
        array = _np.asarray(v)
        if array.dtype == object:
            raise TypeError("cannot export an answer of type " + type(v).__name__)
        name = _file(".npy")
        _np.save(_os.path.join(__folder, name), array, allow_pickle=False)
        return {"__ndarray__": name}
    _namespace = globals()
    if __name not in _namespace:
        manifest = {"status": "missing", "message": __name + " is not defined"}
    elif _namespace[__name] is Ellipsis:
        manifest = {"status": "missing", "message": "not answered yet (" + __name + " is ...)"}
    else:
        try:
            manifest = {"status": "ok", "value": _enc(_namespace[__name])}
        except Exception as error:
            manifest = {"status": "unexportable",
                        "message": type(error).__name__ + ": " + str(error)[:200]}
    with open(_os.path.join(__folder, "manifest.json"), "w") as handle:
        _json.dump(manifest, handle)
"""


def export_code(variable: str, folder: str, probes: list[tuple] | None = None) -> str:
    """The code that, run in the kernel, exports global ``variable`` into ``folder``."""
    if not variable.isidentifier():
        raise ValueError(f"not a Python name: {variable!r}")
    probes_json = None if probes is None else json.dumps(encode_probe([list(p) for p in probes]))
    return (
        _EXPORT_SNIPPET
        + f"\n__dlkit_export({variable!r}, {folder!r}, {probes_json!r})\ndel __dlkit_export\n"
    )


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def load_answer(folder: Path) -> Any:
    """Read an exported answer back as data (never executing anything).

    Raises:
        AnswerError: the folder holds no valid export, the variable was missing,
            the value could not be exported, or it is too large.
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file() or manifest_path.is_symlink():
        raise AnswerError("no answer was exported")
    if _folder_size(folder) > MAX_ANSWER_BYTES:
        raise AnswerError(f"the answer is larger than {MAX_ANSWER_BYTES // 1024**2} MB")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as error:
        raise AnswerError(f"the exported answer is unreadable ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("status") != "ok":
        message = manifest.get("message", "no answer") if isinstance(manifest, dict) else "bad"
        raise AnswerError(str(message))
    return _decode(manifest.get("value"), folder)


def _part(folder: Path, name: Any) -> Path:
    if not isinstance(name, str) or "/" in name or name.startswith("."):
        raise AnswerError(f"bad file reference {name!r} in the exported answer")
    path = folder / name
    if not path.is_file() or path.is_symlink():
        raise AnswerError(f"the exported answer lacks {name}")
    return path


def _decode(value: Any, folder: Path) -> Any:
    if isinstance(value, list):
        return [_decode(v, folder) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        return np.load(_part(folder, value["__ndarray__"]), allow_pickle=False)
    if "__float__" in value:
        return float(value["__float__"])
    if "__tuple__" in value:
        return tuple(_decode(v, folder) for v in value["__tuple__"])
    if "__dict__" in value:
        return {str(k): _decode(v, folder) for k, v in value["__dict__"].items()}
    if "__keras__" in value:
        import keras

        try:
            return keras.saving.load_model(_part(folder, value["__keras__"]), safe_mode=True)
        except Exception as error:  # a model that cannot load safely is a wrong answer
            raise AnswerError(f"the model could not be loaded safely ({error})") from error
    if "__calls__" in value:
        calls = [
            (_decode(c.get("args"), folder), _decode(c.get("out"), folder), c.get("error"))
            for c in value["__calls__"]
        ]
        return RecordedFunction(calls)
    raise AnswerError("the exported answer has an unknown format")
