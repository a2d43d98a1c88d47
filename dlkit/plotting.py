"""Plotting helpers: each draws one thing on an optional ``ax`` and returns the ``ax``.

Example:
    >>> ax = learning_curves(history)  # doctest: +SKIP
    >>> ax.figure.savefig("curves.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes


def _axes(ax: Axes | None, figsize: tuple[float, float] = (6, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def learning_curves(
    history: Any,
    metrics: Sequence[str] | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Plot per-epoch training (solid) and validation (dashed) curves.

    Args:
        history: a ``keras.callbacks.History`` or its ``.history`` dict.
        metrics: names to plot, e.g. ``["loss"]``; ``None`` plots every key
            that has no ``val_`` prefix. The matching ``val_`` key is added
            when present.
        ax: axes to draw on; a new figure is made when ``None``.
        title: axes title (default: "Learning curves").

    Returns:
        The axes drawn on.

    Raises:
        ValueError: an asked-for metric is not in the history, or it is empty.
    """
    logs = history.history if hasattr(history, "history") else history
    if not isinstance(logs, dict) or not logs:
        raise ValueError("history must be a keras History or a non-empty dict of lists")
    names = list(metrics) if metrics is not None else [k for k in logs if not k.startswith("val_")]
    unknown = [name for name in names if name not in logs]
    if unknown:
        raise ValueError(f"metrics {unknown} are not in the history; it has {sorted(logs)}")
    ax = _axes(ax)
    for name in names:
        epochs = np.arange(1, len(logs[name]) + 1)
        (line,) = ax.plot(epochs, logs[name], marker="o", ms=3, label=f"train {name}")
        if f"val_{name}" in logs:
            ax.plot(
                epochs,
                logs[f"val_{name}"],
                ls="--",
                marker="o",
                ms=3,
                color=line.get_color(),
                label=f"validation {name}",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(names))
    ax.set_title(title or "Learning curves")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def image_grid(
    images: np.ndarray,
    labels: Sequence[Any] | None = None,
    *,
    ncols: int = 10,
    ax: Axes | None = None,
    cmap: str = "gray_r",
    title: str | None = None,
) -> Axes:
    """Tile images into one mosaic on a single axes, with optional labels.

    Args:
        images: array of shape ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)``.
        labels: one label per image, written above its tile.
        ncols: tiles per row.
        ax: axes to draw on; a new figure is made when ``None``.
        cmap: colour map for single-channel images.
        title: axes title.

    Returns:
        The axes drawn on.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] != 3):
        raise ValueError(
            f"images must have shape (n, h, w), (n, h, w, 1) or (n, h, w, 3), got {images.shape}"
        )
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(labels)} labels for {len(images)} images")
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    n, h, w = images.shape[:3]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    pad = 2 if labels is None else max(2, h // 3)  # room for a label above each tile
    canvas = np.full((nrows * (h + pad), ncols * (w + 2)) + images.shape[3:], np.nan)
    for i, image in enumerate(images):
        row, col = divmod(i, ncols)
        top, left = row * (h + pad) + pad, col * (w + 2) + 1
        canvas[top : top + h, left : left + w] = image
    ax = _axes(ax, figsize=(min(1.0 * ncols, 12), min(1.1 * nrows, 12)))
    ax.imshow(canvas if images.ndim == 3 else np.nan_to_num(canvas, nan=1.0), cmap=cmap)
    if labels is not None:
        for i, label in enumerate(labels):
            row, col = divmod(i, ncols)
            ax.text(
                col * (w + 2) + 1 + w / 2,
                row * (h + pad) + pad - 0.5,
                str(label),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def confusion_matrix(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    *,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Draw the confusion matrix (rows: true class, columns: predicted class).

    Args:
        y_true: integer labels.
        y_pred: integer predictions, same length.
        class_names: tick labels (default ``0..k-1``).
        normalize: show each row as fractions of that true class.
        ax: axes to draw on; a new figure is made when ``None``.
        title: axes title (default reports the accuracy).

    Returns:
        The axes drawn on; the matrix itself is ``ax.images[0].get_array()``.
    """
    y_true = np.asarray(y_true).astype(int).ravel()
    y_pred = np.asarray(y_pred).astype(int).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in length: {len(y_true)} vs {len(y_pred)}")
    if y_true.size == 0:
        raise ValueError("y_true is empty")
    k = int(max(y_true.max(), y_pred.max())) + 1
    if class_names is not None:
        if len(class_names) < k:
            raise ValueError(f"class_names has {len(class_names)} names for {k} classes")
        k = len(class_names)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (y_true, y_pred), 1)
    shown = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    ax = _axes(ax, figsize=(5, 4.5))
    image = ax.imshow(shown, cmap="Blues")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    threshold = shown.max() / 2
    for (i, j), value in np.ndenumerate(shown):
        text = f"{value:.2f}" if normalize else str(value)
        ax.text(
            j,
            i,
            text,
            ha="center",
            va="center",
            fontsize=7,
            color="white" if value > threshold else "black",
        )
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(title or f"Confusion matrix (accuracy {accuracy:.3f})")
    return ax


def attention_map(
    weights: Any,
    *,
    query_labels: Sequence[Any] | None = None,
    key_labels: Sequence[Any] | None = None,
    ax: Axes | None = None,
    title: str | None = "Attention weights",
    cmap: str = "viridis",
) -> Axes:
    """Draw an attention-weight matrix as a heatmap (rows: queries, columns: keys).

    Row ``i`` shows how query ``i`` spreads its attention over the keys; after a
    softmax each row sums to 1. Pass one head of one example, e.g.
    ``scores[0, head]`` of the ``(batch, heads, queries, keys)`` array that
    ``MultiHeadAttention(..., return_attention_scores=True)`` returns.

    Args:
        weights: array-like of shape ``(queries, keys)`` (a tensor is fine).
        query_labels: one tick label per query (e.g. the input characters).
        key_labels: one tick label per key.
        ax: axes to draw on; a new figure is made when ``None``.
        title: axes title.
        cmap: colour map.

    Returns:
        The axes drawn on; the matrix itself is ``ax.images[0].get_array()``.

    Raises:
        ValueError: ``weights`` is not 2-D, is empty, or a label list has the
            wrong length.

    Example:
        >>> ax = attention_map(np.full((3, 3), 1 / 3), key_labels=list("abc"))  # doctest: +SKIP
    """
    if hasattr(weights, "numpy") and callable(weights.numpy):
        weights = weights.numpy()
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(
            f"weights must be a 2-D (queries, keys) matrix, got shape {weights.shape}; "
            "pick one example and one head, e.g. scores[0, 0]"
        )
    if weights.size == 0:
        raise ValueError("weights is empty")
    n_queries, n_keys = weights.shape
    for name, labels, size in (
        ("query_labels", query_labels, n_queries),
        ("key_labels", key_labels, n_keys),
    ):
        if labels is not None and len(labels) != size:
            raise ValueError(f"{name} has {len(labels)} labels for {size} positions")
    ax = _axes(
        ax,
        figsize=(max(3.0, min(0.25 * n_keys + 2, 10)), max(3.0, min(0.25 * n_queries + 1.5, 10))),
    )
    image = ax.imshow(weights, cmap=cmap, aspect="auto", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention weight")
    if key_labels is not None:
        ax.set_xticks(range(n_keys), [str(label) for label in key_labels], fontsize=7)
    if query_labels is not None:
        ax.set_yticks(range(n_queries), [str(label) for label in query_labels], fontsize=7)
    ax.set_xlabel("key position (attended to)")
    ax.set_ylabel("query position (attending)")
    if title:
        ax.set_title(title)
    return ax
