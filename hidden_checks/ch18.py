"""Hidden checks of chapter 18 (detection and segmentation): exact references, strict checks.

Every check takes the student's answer and returns ``(passed, message)``; messages say what is
wrong, never what is expected. Function answers (18.13 pairwise IoU, 18.14 greedy NMS) are
called on the argument tuples in ``PROBES``, which differ from the public check's inputs.

Reference values were recomputed with NumPy in float64
(shared/curriculum/18-detection-segmentation.md §4). Boxes are corners (x1, y1, x2, y2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, function, parts, safe, shape

# ---------------------------------------------------------------------------
# Reference functions.
# ---------------------------------------------------------------------------


def _iou_matrix(a: Any, b: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)[:, None, :]
    b = np.asarray(b, dtype=np.float64)[None, :, :]
    iw = np.maximum(0.0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]))
    ih = np.maximum(0.0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]))
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / (area_a + area_b - inter)


def _nms(boxes: Any, scores: Any, iou_threshold: float) -> np.ndarray:
    boxes, scores = np.asarray(boxes, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        best = order.pop(0)
        keep.append(int(best))
        ious = _iou_matrix(boxes[best][None], boxes[order])[0] if order else []
        order = [i for i, v in zip(order, ious, strict=True) if v <= iou_threshold]
    return np.asarray(keep, dtype=np.float64)


def _ce(p: float) -> float:
    return float(-np.log(p))


REFERENCE: dict[str, Any] = {
    "18.1": {"a": 4.0 / 28.0, "b": 0.25, "c": 0.0},
    "18.2": {"tau05": np.array([0.0, 2.0]), "tau09": np.array([0.0, 1.0, 2.0, 3.0, 4.0])},
    "18.3": {
        "shape": (7, 7, 30),
        "size": 1470.0,
        "row": 1.0,
        "col": 4.0,
        "x_offset": 0.6875,
        "y_offset": 0.875,
        "anchors_single": 180.0,
        "anchors_fpn": 252.0,
    },
    "18.4": {
        "t": np.array([0.25, -0.125, float(np.log(1.5)), 0.0]),
        "decoded": np.array([55.0, 45.0, 30.0, 40.0]),
    },
    "18.5": {
        "k2_valid": 32.0,
        "k3_valid": 33.0,
        "k3_same": 32.0,
        "upsampling": 32.0,
        "overlap": np.array([1.0, 10.0, 102.0, 20.0, 200.0]),
    },
    "18.6": {
        "intersection": 12.0,
        "union": 24.0,
        "iou": 0.5,
        "dice": 2.0 / 3.0,
        "pixel_accuracy": 0.8125,
    },
    "18.7": {"pixel_accuracy": 1.0 - 100.0 / 4096.0, "iou": 0.0, "dice": 0.0},
    "18.8": "c",
    "18.9": {"transpose": 8224.0, "conv1": 18464.0, "conv2": 9248.0},
    "18.10": {
        "ce_easy": _ce(0.9),
        "fl_easy": 0.01 * _ce(0.9),
        "ce_hard": _ce(0.1),
        "fl_hard": 0.81 * _ce(0.1),
    },
    "18.11": {"eps0": 1.0 - 3.0 / 3.8, "eps1": 1.0 - 4.0 / 4.8},
    "18.12": "b",
    "18.13": _iou_matrix,
    "18.14": _nms,
}


def _iou_no_clamp(a: Any, b: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)[:, None, :]
    b = np.asarray(b, dtype=np.float64)[None, :, :]
    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / (area_a + area_b - inter)


def _nms_unsorted(boxes: Any, scores: Any, iou_threshold: float) -> np.ndarray:
    boxes = np.asarray(boxes, dtype=np.float64)
    order, keep = list(range(len(boxes))), []
    while order:
        best = order.pop(0)
        keep.append(best)
        ious = _iou_matrix(boxes[best][None], boxes[order])[0] if order else []
        order = [i for i, v in zip(order, ious, strict=True) if v <= iou_threshold]
    return np.asarray(keep, dtype=np.float64)


# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    "18.1": {"a": 4.0 / 16.0, "b": 0.25, "c": 0.0},  # intersection over the first box only
    "18.2": {"tau05": np.array([0.0, 4.0]), "tau09": np.array([0.0, 1.0, 2.0, 3.0, 4.0])},
    "18.3": {  # row and column swapped (x taken as the row)
        "shape": (7, 7, 30),
        "size": 1470.0,
        "row": 4.0,
        "col": 1.0,
        "x_offset": 0.6875,
        "y_offset": 0.875,
        "anchors_single": 180.0,
        "anchors_fpn": 252.0,
    },
    "18.4": {  # width/height ratios without the logarithm
        "t": np.array([0.25, -0.125, 1.5, 1.0]),
        "decoded": np.array([55.0, 45.0, 30.0, 40.0]),
    },
    "18.5": {  # "same" treated like PyTorch's unpadded k=3, s=2; overlaps not added
        "k2_valid": 32.0,
        "k3_valid": 33.0,
        "k3_same": 33.0,
        "upsampling": 32.0,
        "overlap": np.array([1.0, 10.0, 100.0, 20.0, 200.0]),
    },
    "18.6": {  # Dice taken equal to IoU
        "intersection": 12.0,
        "union": 24.0,
        "iou": 0.5,
        "dice": 0.5,
        "pixel_accuracy": 0.8125,
    },
    "18.7": {"pixel_accuracy": 100.0 / 4096.0, "iou": 0.0, "dice": 0.0},
    "18.8": "b",  # the geometric mean
    "18.9": {"transpose": 8224.0, "conv1": 9248.0, "conv2": 9248.0},  # skip channels forgotten
    "18.10": {  # modulating factor p_t^gamma instead of (1 - p_t)^gamma
        "ce_easy": _ce(0.9),
        "fl_easy": 0.81 * _ce(0.9),
        "ce_hard": _ce(0.1),
        "fl_hard": 0.01 * _ce(0.1),
    },
    "18.11": {"eps0": 1.0 - 3.0 / 3.8, "eps1": 1.0 - 3.0 / 3.8},  # epsilon ignored
    "18.12": "a",
    "18.13": _iou_no_clamp,
    "18.14": _nms_unsorted,
}

WRONG_SOURCE: dict[str, str] = {
    "18.13": (
        "def answer_18_13(a, b):\n"
        "    a = np.asarray(a, dtype=float)[:, None]\n"
        "    b = np.asarray(b, dtype=float)[None]\n"
        "    # no clamp at zero: two negative overlaps multiply to a positive area\n"
        "    iw = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])\n"
        "    ih = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])\n"
        "    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])\n"
        "    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])\n"
        "    return iw * ih / (area_a + area_b - iw * ih)\n"
    ),
    "18.14": (
        "def answer_18_14(boxes, scores, iou_threshold):\n"
        "    # boxes visited in input order, not by decreasing score\n"
        "    boxes = np.asarray(boxes, dtype=float)\n"
        "    order, keep = list(range(len(boxes))), []\n"
        "    while order:\n"
        "        best = order.pop(0)\n"
        "        keep.append(best)\n"
        "        rest = []\n"
        "        for i in order:\n"
        "            x1 = max(boxes[best, 0], boxes[i, 0]); y1 = max(boxes[best, 1], boxes[i, 1])\n"
        "            x2 = min(boxes[best, 2], boxes[i, 2]); y2 = min(boxes[best, 3], boxes[i, 3])\n"
        "            inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)\n"
        "            a = (boxes[best, 2] - boxes[best, 0]) * (boxes[best, 3] - boxes[best, 1])\n"
        "            b = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])\n"
        "            if inter / (a + b - inter) <= iou_threshold:\n"
        "                rest.append(i)\n"
        "        order = rest\n"
        "    return keep\n"
    ),
}


def _random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = np.round(rng.uniform(0, 60, size=(n, 2)), 1)
    wh = np.round(rng.uniform(4, 30, size=(n, 2)), 1)
    return np.concatenate([xy, xy + wh], axis=1)


_RNG = np.random.default_rng(1818)
_CLUSTER = np.array(
    [[10, 10, 40, 40], [12, 11, 41, 42], [30, 30, 60, 60], [31, 29, 62, 61], [0, 50, 9, 60]],
    dtype=np.float64,
)
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "18.13": [
        (np.array([[0.0, 0.0, 4.0, 4.0]]), np.array([[6.0, 6.0, 9.0, 9.0], [1.0, 1.0, 3.0, 5.0]])),
        (_random_boxes(_RNG, 6), _random_boxes(_RNG, 4)),
        (_CLUSTER, _CLUSTER[::-1]),
    ],
    "18.14": [
        (_CLUSTER, np.array([0.3, 0.9, 0.5, 0.8, 0.1]), 0.5),
        (_CLUSTER, np.array([0.3, 0.9, 0.5, 0.8, 0.1]), 0.95),
        (_random_boxes(_RNG, 30), np.round(_RNG.permutation(30) / 30.0, 4), 0.3),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _close_parts(exercise_id: str) -> Callable[[Any], Result]:
    reference = _ref(exercise_id)
    return lambda answer: parts(
        answer, {key: lambda v, n, key=key: close(v, reference[key], n) for key in reference}
    )


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_18_1(answer: Any) -> Result:
    """IoU of three box pairs (overlap, containment, touching edges)."""
    return _close_parts("18.1")(answer)


@safe
def check_18_2(answer: Any) -> Result:
    """Indices kept by greedy NMS at 0.5 and 0.9."""
    return _close_parts("18.2")(answer)


@safe
def check_18_3(answer: Any) -> Result:
    """YOLO v1 output shape, responsible cell, offsets and anchor counts."""
    reference = _ref("18.3")
    return parts(
        answer,
        {
            key: (
                (lambda v, n: shape(v, reference["shape"], n))
                if key == "shape"
                else (lambda v, n, key=key: close(v, reference[key], n))
            )
            for key in reference
        },
    )


@safe
def check_18_4(answer: Any) -> Result:
    """Anchor offsets and their decoding."""
    return _close_parts("18.4")(answer)


@safe
def check_18_5(answer: Any) -> Result:
    """Transposed-convolution output sizes and a 1-D example."""
    return _close_parts("18.5")(answer)


@safe
def check_18_6(answer: Any) -> Result:
    """Mask intersection, union, IoU, Dice and pixel accuracy."""
    return _close_parts("18.6")(answer)


@safe
def check_18_7(answer: Any) -> Result:
    """The all-background prediction."""
    return _close_parts("18.7")(answer)


@safe
def check_18_8(answer: Any) -> Result:
    """F1 / Dice is the harmonic mean."""
    return choice(answer, _ref("18.8"))


@safe
def check_18_9(answer: Any) -> Result:
    """Parameters of a U-Net decoder level."""
    return _close_parts("18.9")(answer)


@safe
def check_18_10(answer: Any) -> Result:
    """Focal loss against cross-entropy."""
    return _close_parts("18.10")(answer)


@safe
def check_18_11(answer: Any) -> Result:
    """Soft Dice loss with and without smoothing."""
    return _close_parts("18.11")(answer)


@safe
def check_18_12(answer: Any) -> Result:
    """Why one-stage detectors need NMS."""
    return choice(answer, _ref("18.12"))


@safe
def check_18_13(answer: Any) -> Result:
    """A function iou_matrix(a, b): pairwise IoU of corner boxes."""
    return function(answer, _ref("18.13"), PROBES["18.13"])


@safe
def check_18_14(answer: Any) -> Result:
    """A function nms(boxes, scores, iou_threshold): kept indices, best first."""
    return function(answer, _ref("18.14"), PROBES["18.14"])


CHECKS: dict[str, Callable[[Any], Result]] = {
    f"18.{k}": globals()[f"check_18_{k}"] for k in range(1, 15)
}
