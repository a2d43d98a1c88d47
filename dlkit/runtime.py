"""Run-time setup for a notebook or script: seeds, determinism, log noise, scale.

Example:
    >>> import dlkit
    >>> dlkit.runtime.setup(seed=42)  # doctest: +SKIP
    dlkit | TensorFlow 2.21.0 | Keras 3.15.1 | devices: CPU | policy: float32 | scale: fast
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys

SCALES = ("fast", "full")
SCALE_ENV = "DLKIT_SCALE"


def scale() -> str:
    """Return the run scale chosen by the ``DLKIT_SCALE`` environment variable.

    ``"fast"`` (the default) sizes every experiment for a laptop CPU; ``"full"``
    uses the sizes you would run on a GPU. Notebooks branch on this value so that
    the same code runs at both scales without edits.

    Returns:
        ``"fast"`` or ``"full"``.

    Raises:
        ValueError: if ``DLKIT_SCALE`` holds anything else.

    Example:
        >>> epochs = 3 if scale() == "fast" else 30
    """
    value = os.environ.get(SCALE_ENV, "fast").strip().lower() or "fast"
    if value not in SCALES:
        raise ValueError(
            f"{SCALE_ENV} must be one of {SCALES}, got {os.environ[SCALE_ENV]!r}. "
            f"Unset it for the CPU-sized default or set {SCALE_ENV}=full for GPU-sized runs."
        )
    return value


def _quiet_tensorflow_logs() -> None:
    # The C++ side reads this when TF is first imported; the Python side needs both.
    # Level 3 also hides harmless native "error" lines (e.g. a NodeDef attribute
    # warning printed by predict/evaluate); real failures still raise exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover - absl ships with TensorFlow
        pass


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send file descriptor 2 to /dev/null for a moment.

    TensorFlow's C++ runtime prints CUDA-probing messages at import time, before
    its logging honours ``TF_CPP_MIN_LOG_LEVEL``. Python exceptions still
    propagate normally; only raw native writes to stderr are dropped.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2: nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly():
    """Import TensorFlow (and list its devices once) without native log noise."""
    _quiet_tensorflow_logs()
    with _native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe happens here the first time
    return tf


def device_summary() -> str:
    """Describe the accelerators TensorFlow can see, e.g. ``"CPU"`` or ``"GPU x1 (+CPU)"``."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU x{len(gpus)} (+CPU)" if gpus else "CPU"


def banner() -> str:
    """Return the one-line summary that :func:`setup` prints."""
    import keras
    import tensorflow as tf

    policy = keras.config.dtype_policy().name
    return (
        f"dlkit | TensorFlow {tf.__version__} | Keras {keras.__version__} | "
        f"devices: {device_summary()} | policy: {policy} | scale: {scale()}"
    )


def setup(seed: int = 0, deterministic: bool = True) -> None:
    """Prepare a reproducible session and print one banner line.

    Seeds Python's ``random``, NumPy and TensorFlow/Keras with ``seed``; when
    ``deterministic`` is true, asks TensorFlow for deterministic kernels
    (``tf.config.experimental.enable_op_determinism``) and exact float32 matrix
    products (no TensorFloat-32 on GPUs); imports TensorFlow with its native
    start-up messages hidden and silences its Python log noise.

    Args:
        seed: non-negative integer seed shared by every random number generator.
        deterministic: enable TensorFlow op determinism (slower on GPU, exact
            repeats everywhere).

    Raises:
        TypeError: if ``seed`` is not an int or ``deterministic`` not a bool.
        ValueError: if ``seed`` is negative or ``DLKIT_SCALE`` is invalid.

    Example:
        >>> setup(seed=0)  # doctest: +SKIP
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if not isinstance(deterministic, bool):
        raise TypeError(f"deterministic must be True or False, got {deterministic!r}")
    scale()  # fail early on a bad DLKIT_SCALE
    tf = import_tensorflow_quietly()
    tf.get_logger().setLevel(logging.ERROR)  # TF resets its logger level in interactive sessions

    import keras
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy and the TF backend in one call
    if deterministic:
        tf.config.experimental.enable_op_determinism()
        # Exact float32 matmuls: Ampere+ GPUs otherwise round them to TensorFloat-32.
        tf.config.experimental.enable_tensor_float_32_execution(False)
    print(banner())
