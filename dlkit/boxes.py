"""Boxes and masks for detection and segmentation (chapter 18).

Box formats, stated everywhere: *corners* ``(x1, y1, x2, y2)`` with ``x2 > x1`` and
``y2 > y1`` in continuous pixel coordinates; *center* ``(cx, cy, w, h)``. TensorFlow's
``tf.image`` ops use ``(y1, x1, y2, x2)`` instead: see :func:`to_tf_order`.

Example:
    >>> float(box_iou([0, 0, 2, 2], [1, 1, 3, 3]))
    0.14285714285714285
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "box_iou",
    "center_to_corners",
    "corners_to_center",
    "decode_grid",
    "dice",
    "encode_grid",
    "nms",
    "per_class_iou",
    "pixel_accuracy",
    "synthetic_shapes",
    "to_tf_order",
]


def corners_to_center(boxes: Any) -> np.ndarray:
    """``(x1, y1, x2, y2)`` → ``(cx, cy, w, h)`` along the last axis."""
    b = np.asarray(boxes, dtype=np.float64)
    return np.stack(
        [(b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2, b[..., 2] - b[..., 0],
         b[..., 3] - b[..., 1]],
        axis=-1,
    )  # fmt: skip


def center_to_corners(boxes: Any) -> np.ndarray:
    """``(cx, cy, w, h)`` → ``(x1, y1, x2, y2)`` along the last axis."""
    b = np.asarray(boxes, dtype=np.float64)
    half_w, half_h = b[..., 2] / 2, b[..., 3] / 2
    return np.stack(
        [b[..., 0] - half_w, b[..., 1] - half_h, b[..., 0] + half_w, b[..., 1] + half_h], axis=-1
    )


def to_tf_order(boxes: Any) -> np.ndarray:
    """Corners ``(x1, y1, x2, y2)`` → TensorFlow's ``(y1, x1, y2, x2)``, and back."""
    return np.asarray(boxes)[..., [1, 0, 3, 2]]


def box_iou(a: Any, b: Any, fmt: str = "corners") -> np.ndarray:
    """IoU of boxes ``a`` and ``b`` with broadcasting over leading axes.

    ``box_iou(a[:, None], b[None])`` gives the ``(N, M)`` pairwise matrix. ``fmt`` is
    ``"corners"`` or ``"center"``. Disjoint and edge-touching boxes give 0.
    """
    if fmt == "center":
        a, b = center_to_corners(a), center_to_corners(b)
    elif fmt != "corners":
        raise ValueError(f"fmt must be 'corners' or 'center', got {fmt!r}")
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    iw = np.maximum(0.0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]))
    ih = np.maximum(0.0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]))
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def nms(boxes: Any, scores: Any, iou_threshold: float = 0.5, score_threshold: float = -np.inf):
    """Greedy non-maximum suppression; returns the kept indices, best score first.

    Boxes are corners. A box is removed when its IoU with a kept box is *greater than*
    ``iou_threshold`` (as in ``tf.image.non_max_suppression``).
    """
    boxes, scores = np.asarray(boxes, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > score_threshold]
    keep: list[int] = []
    while order:
        best = order.pop(0)
        keep.append(best)
        if order:
            ious = box_iou(boxes[best][None], boxes[order])
            order = [i for i, v in zip(order, ious, strict=True) if v <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def encode_grid(boxes: Any, grid: int, size: int) -> np.ndarray:
    """YOLO-v1-style target ``(grid, grid, 5)`` for one image: objectness, x/y offsets, w/h.

    ``boxes`` are corners in pixels on a ``size``×``size`` image. The cell holding a box
    centre is responsible for it; its channels are ``(1, cx/c - col, cy/c - row, w/size,
    h/size)`` with cell size ``c = size / grid``. Row = y, column = x.
    """
    target = np.zeros((grid, grid, 5))
    cell = size / grid
    for cx, cy, w, h in corners_to_center(np.reshape(boxes, (-1, 4))):
        col, row = min(int(cx // cell), grid - 1), min(int(cy // cell), grid - 1)
        target[row, col] = (1.0, cx / cell - col, cy / cell - row, w / size, h / size)
    return target


def decode_grid(output: Any, size: int, threshold: float = 0.5):
    """Invert :func:`encode_grid`: ``(boxes in corners, scores)`` of confident cells."""
    output = np.asarray(output, dtype=np.float64)
    grid = output.shape[0]
    cell = size / grid
    rows, cols = np.nonzero(output[..., 0] > threshold)
    o = output[rows, cols]
    centers = np.stack(
        [(cols + o[:, 1]) * cell, (rows + o[:, 2]) * cell, o[:, 3] * size, o[:, 4] * size], -1
    )
    return center_to_corners(centers).reshape(-1, 4), o[:, 0]


def pixel_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of pixels whose class id matches."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def per_class_iou(y_true: Any, y_pred: Any, num_classes: int) -> np.ndarray:
    """IoU of every class id (``nan`` for a class absent from both)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    out = np.full(num_classes, np.nan)
    for k in range(num_classes):
        t, p = y_true == k, y_pred == k
        union = np.sum(t | p)
        if union:
            out[k] = np.sum(t & p) / union
    return out


def dice(y_true: Any, y_pred: Any) -> float:
    """Dice ``2|P∩G| / (|P| + |G|)`` of two binary masks (1.0 when both are empty)."""
    t, p = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    total = t.sum() + p.sum()
    return 1.0 if total == 0 else float(2 * np.sum(t & p) / total)


def synthetic_shapes(
    n: int,
    size: int = 64,
    max_objects: int = 3,
    min_side: int = 8,
    max_side: int = 20,
    noise: float = 0.1,
    seed: int = 0,
):
    """Seeded canvases with non-overlapping squares (class 1) and discs (class 2).

    Returns ``(images (n, size, size, 1) float32, boxes, labels, masks (n, size, size) int)``
    where ``boxes[i]`` is a ``(k, 4)`` corner array (pixel edges: a square on rows/cols
    ``r0..r1-1`` has corners ``(c0, r0, c1, r1)``) and ``labels[i]`` the ``k`` class ids.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    images = np.zeros((n, size, size, 1), np.float32)
    masks = np.zeros((n, size, size), np.int64)
    all_boxes, all_labels = [], []
    for i in range(n):
        boxes, labels = [], []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            for _attempt in range(20):
                side = int(rng.integers(min_side, max_side + 1))
                x0, y0 = (int(v) for v in rng.integers(0, size - side + 1, size=2))
                box = np.array([x0, y0, x0 + side, y0 + side], np.float64)
                if not boxes or np.all(box_iou(box[None], np.array(boxes)) == 0):
                    break
            else:
                continue
            label = int(rng.integers(1, 3))
            if label == 1:
                region = (xx >= x0) & (xx < x0 + side) & (yy >= y0) & (yy < y0 + side)
            else:
                r = side / 2
                region = (xx + 0.5 - x0 - r) ** 2 + (yy + 0.5 - y0 - r) ** 2 <= r * r
            masks[i][region] = label
            boxes.append(box)
            labels.append(label)
        images[i, ..., 0] = (masks[i] > 0) * 0.8 + 0.1
        all_boxes.append(np.array(boxes).reshape(-1, 4))
        all_labels.append(np.array(labels, np.int64))
    images += rng.normal(0.0, noise, images.shape).astype(np.float32)
    return images, all_boxes, all_labels, masks
