"""Hidden checks of chapter 06 (convolutional networks).

Every check takes the student's answer and returns ``(passed, message)``; messages say
what is wrong, never what is expected. Numbers are compared with ``np.allclose``
(``rtol=1e-5``), counts and sizes exactly (absolute tolerance 0.25), shapes as tuples.

The reference values are recomputed below with NumPy from the tasks' inputs, by the
formulas of the lesson (``Conv2D`` is a cross-correlation; Keras' ``"same"`` padding puts
the odd extra row/column at the bottom/right). They agree with
``shared/curriculum/06-cnns.md`` §4, which ``tests/test_exercises_ch06.py`` checks, and the
layer-dependent ones agree with Keras itself (same test file).

* 06.14 is a function answer: the grader calls the student's ``conv2d`` inside the
  student's kernel on ``PROBES`` (other inputs than the public check's, including odd and
  even sizes with strides 2 and 3 and ``"same"`` padding) and hands the check a
  :class:`dlkit.answers.RecordedFunction` that replays the outputs.
* 06.15 is a trained Keras model, judged by the task's own criterion
  (:func:`dlkit.checks.ch06.digits_cnn_verdict`). Its reference is a single ``Conv2D``
  whose 8×8 kernel covers the whole image, with the weights of a scikit-learn logistic
  regression: a convolutional model that passes the criterion and is built without any
  TensorFlow training, so that importing these checks stays fast and deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.checks.ch06 import digits_cnn_verdict, digits_split
from dlkit.comparisons import Result, choice, close, exact, parts, safe, shape
from dlkit.runtime import import_tensorflow_quietly


def _keras() -> Any:
    """Keras, imported without TensorFlow's native start-up noise."""
    import_tensorflow_quietly()
    import keras

    return keras


# ---------------------------------------------------------------------------
# Exercise data (the same numbers the exercises notebook gives the student).
# ---------------------------------------------------------------------------

RAMP_5 = np.arange(1.0, 26.0).reshape(5, 5)  # 06.1, 06.6
EDGE_KERNEL = np.array([[1.0, 0.0, -1.0]] * 3)  # 06.1
RAMP_4 = np.arange(1.0, 17.0).reshape(4, 4)  # 06.3, 06.5, 06.7
STRIDE_KERNEL = np.array([[1.0, 0.0], [-1.0, 1.0]])  # 06.3
CHANNELS = np.stack(  # 06.4: three 3x3 input channels, channels last (3, 3, 3)
    [
        np.arange(1.0, 10.0).reshape(3, 3),
        np.arange(9.0, 0.0, -1.0).reshape(3, 3),
        2 * np.arange(1.0, 10.0).reshape(3, 3),
    ],
    axis=-1,
)
CHANNEL_FILTER = np.stack(  # 06.4: one filter, its 2x2 slice per channel (2, 2, 3)
    [
        np.array([[0.0, 1.0], [-1.0, 0.0]]),
        np.array([[1.0, 0.0], [0.0, -1.0]]),
        np.array([[-1.0, 1.0], [1.0, -1.0]]),
    ],
    axis=-1,
)
F1 = np.array([[1.0, -1.0], [1.0, -1.0]])  # 06.5
F2 = np.array([[0.0, 1.0], [-1.0, 0.0]])
SOBEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])  # 06.6
POOL_INPUT = np.array(
    [[6.0, 2.0, 3.0, 2.0], [1.0, 4.0, 5.0, 1.0], [1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 5.0, 6.0]]
)
TRANSPOSE_INPUT = np.array([[1.0, 2.0], [3.0, 4.0]])  # 06.8
TRANSPOSE_KERNEL = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])


# ---------------------------------------------------------------------------
# Reference computations (plain NumPy).
# ---------------------------------------------------------------------------


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """Keras' "same" padding along one axis: (before, after), the extra one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def conv2d_reference(x: Any, kernel: Any, stride: int, padding: str) -> np.ndarray:
    """What Keras' Conv2D (no bias) computes for one (H, W, C_in) image: (H_out, W_out, C_out)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    kh, kw = kernel.shape[:2]
    if padding == "same":
        pads = (same_padding(x.shape[0], kh, stride), same_padding(x.shape[1], kw, stride))
    elif padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    x = np.pad(x, (pads[0], pads[1], (0, 0)))
    h_out = (x.shape[0] - kh) // stride + 1
    w_out = (x.shape[1] - kw) // stride + 1
    out = np.zeros((h_out, w_out, kernel.shape[3]))
    for i in range(h_out):
        for j in range(w_out):
            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[i, j] = np.tensordot(window, kernel, axes=3)
    return out


def _conv2d_symmetric_padding(x: Any, kernel: Any, stride: int, padding: str) -> np.ndarray:
    """The typical mistake: PyTorch-style symmetric padding k // 2 for "same"."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if padding == "same":
        p_h, p_w = kernel.shape[0] // 2, kernel.shape[1] // 2
        x = np.pad(x, ((p_h, p_h), (p_w, p_w), (0, 0)))
    return conv2d_reference(x, kernel, stride, "valid")


def _correlate(image: np.ndarray, kernel: np.ndarray, stride: int = 1, dilation: int = 1):
    """Single-channel valid cross-correlation with stride and dilation."""
    span_h = dilation * (kernel.shape[0] - 1) + 1
    span_w = dilation * (kernel.shape[1] - 1) + 1
    h_out = (image.shape[0] - span_h) // stride + 1
    w_out = (image.shape[1] - span_w) // stride + 1
    out = np.zeros((h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            window = image[
                i * stride : i * stride + span_h : dilation,
                j * stride : j * stride + span_w : dilation,
            ]
            out[i, j] = np.sum(window * kernel)
    return out


def _flip(kernel: np.ndarray) -> np.ndarray:
    return kernel[::-1, ::-1]


def _pool(x: np.ndarray, reduce: Callable[..., np.ndarray]) -> np.ndarray:
    """2x2 pooling with stride 2 of a 2-D array."""
    h, w = x.shape
    return reduce(x.reshape(h // 2, 2, w // 2, 2), axis=(1, 3))


def _unpool(x: np.ndarray, at_window_corner: bool = False) -> np.ndarray:
    """Max-unpooling of the 2x2 max pool of x: each maximum back where it came from."""
    out = np.zeros_like(x)
    for a in range(x.shape[0] // 2):
        for b in range(x.shape[1] // 2):
            window = x[2 * a : 2 * a + 2, 2 * b : 2 * b + 2]
            m, q = np.unravel_index(np.argmax(window), (2, 2))
            if at_window_corner:
                m, q = 0, 0
            out[2 * a + m, 2 * b + q] = window.max()
    return out


def _transpose_conv(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """Transposed convolution without padding: scatter-add x[i, j] * kernel at (s i, s j)."""
    k = kernel.shape[0]
    size = (x.shape[0] - 1) * stride + k
    out = np.zeros((size, size))
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i * stride : i * stride + k, j * stride : j * stride + k] += x[i, j] * kernel
    return out


def _conv_params(k: int, c_in: int, c_out: int, bias: bool = True) -> float:
    return float(k * k * c_in * c_out + (c_out if bias else 0))


def _receptive_field(stack: list[tuple[int, int, int]]) -> tuple[float, float]:
    """(receptive field, jump) of (kernel, stride, dilation) layers, per axis."""
    r, j = 1, 1
    for k, s, d in stack:
        r += (k - 1) * d * j
        j *= s
    return float(r), float(j)


def _conv_size(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> float:
    return float((i + 2 * p - d * (k - 1) - 1) // s + 1)


def _params_answer(bias: bool = True) -> dict[str, float]:
    c = 64
    return {
        "two_3x3": 2 * _conv_params(3, c, c, bias),
        "one_5x5": _conv_params(5, c, c, bias),
        "bottleneck": _conv_params(1, 256, c, bias)
        + _conv_params(3, c, c, bias)
        + _conv_params(1, c, 256, bias),
        "two_3x3_256": 2 * _conv_params(3, 256, 256, bias),
        # depthwise 3x3x32 and pointwise 32x64; Keras adds one bias (64), the PyTorch pair two
        "separable_keras": 3 * 3 * 32 + 32 * 64 + (64.0 if bias else 0.0),
        "separable_torch": 3 * 3 * 32 + 32 * 64 + (32.0 + 64.0 if bias else 0.0),
        "standard": _conv_params(3, 32, 64, bias),
    }


def _transpose_answer(crop_top_left: bool = False) -> dict[str, np.ndarray]:
    full = _transpose_conv(TRANSPOSE_INPUT, TRANSPOSE_KERNEL, 2)  # (5, 5)
    # Keras "same": output 2 * 2 = 4; the one extra row/column is cropped at the bottom/right
    return {"valid": full, "same": full[1:, 1:] if crop_top_left else full[:4, :4]}


def _digits_logistic_cnn() -> Any:
    """One Conv2D(10, 8) over the whole 8x8 image with logistic-regression weights."""
    from sklearn.linear_model import LogisticRegression

    keras = _keras()
    x_train, _, y_train, _ = digits_split()
    classifier = LogisticRegression(C=1.0, max_iter=2000).fit(
        x_train.reshape(len(x_train), -1), y_train
    )
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Conv2D(10, 8), keras.layers.Flatten()]
    )
    kernel = classifier.coef_.T.reshape(8, 8, 1, 10)  # pixel (row, col) -> kernel (row, col)
    model.set_weights([kernel.astype("float32"), classifier.intercept_.astype("float32")])
    return model


def _untrained_digits_cnn() -> Any:
    """The model a student builds and compiles, but never trains."""
    keras = _keras()
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )


# ---------------------------------------------------------------------------
# Reference answers.
# ---------------------------------------------------------------------------

REFERENCE: dict[str, Any] = {
    "06.1": {
        "valid": _correlate(RAMP_5, EDGE_KERNEL),
        "same": _correlate(np.pad(RAMP_5, 1), EDGE_KERNEL),
        "convolution": _correlate(RAMP_5, _flip(EDGE_KERNEL)),
    },
    "06.2": {
        "valid_shape": (26, 26, 32),
        "same_shape": (28, 28, 32),
        "params": _conv_params(3, 3, 32),
    },
    "06.3": {
        "stride_1": _correlate(RAMP_4, STRIDE_KERNEL, stride=1),
        "stride_2": _correlate(RAMP_4, STRIDE_KERNEL, stride=2),
    },
    "06.4": {
        "per_channel": np.stack(
            [_correlate(CHANNELS[..., c], CHANNEL_FILTER[..., c]) for c in range(3)]
        ),
        "output": conv2d_reference(CHANNELS, CHANNEL_FILTER[..., None], 1, "valid")[..., 0],
    },
    "06.5": {
        "f1": _correlate(RAMP_4, F1),
        "f2": _correlate(RAMP_4, F2),
        "relu": np.maximum(np.stack([_correlate(RAMP_4, F1), _correlate(RAMP_4, F2)], -1), 0.0),
    },
    "06.6": {"shape": (1, 1), "value": float(_correlate(RAMP_5, SOBEL, dilation=2)[0, 0])},
    "06.7": {
        "max_ramp": _pool(RAMP_4, np.max),
        "average": _pool(POOL_INPUT, np.mean),
        "max": _pool(POOL_INPUT, np.max),
        "unpooled": _unpool(POOL_INPUT),
    },
    "06.8": _transpose_answer(),
    "06.9": {
        # conv1 3x3 1->4, conv2 3x3 4->8, conv3 3x3 8->8, fc1 72->120, fc2 120->10
        "layer_params": np.array(
            [
                _conv_params(3, 1, 4),
                _conv_params(3, 4, 8),
                _conv_params(3, 8, 8),
                3 * 3 * 8 * 120 + 120.0,
                120 * 10 + 10.0,
            ]
        ),
        "total": 40 + 296 + 584 + 8760 + 1210.0,
        "flatten_length": 3 * 3 * 8.0,
        "receptive_field": _receptive_field(
            [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1)]
        )[0],
    },
    "06.10": dict(
        zip(
            ("strided_rf", "strided_jump"),
            _receptive_field([(3, 1, 1), (3, 2, 1), (3, 1, 1), (3, 2, 1), (3, 1, 1)]),
            strict=True,
        ),
        **dict(
            zip(
                ("dilated_rf", "dilated_jump"),
                _receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)]),
                strict=True,
            )
        ),
    ),
    "06.11": _params_answer(),
    "06.12": {
        "size_28": 14.0,
        "pads_28": np.array(same_padding(28, 3, 2), dtype=float),
        "size_7": 4.0,
        "pads_7": np.array(same_padding(7, 3, 2), dtype=float),
        "torch_size_28": _conv_size(28, 3, 2, 1),
    },
    "06.13": {
        "alexnet_p0": _conv_size(227, 11, 4, 0),
        "alexnet_p2": _conv_size(227, 11, 4, 2),
        "alexnet_224_p2": _conv_size(224, 11, 4, 2),
        "alexnet_params": _conv_params(11, 3, 96),
        "alexnet_same": float(-(-227 // 4)),
        "flatten_length": 24 * 24 * 64.0,
        "dense_params": 24 * 24 * 64 * 128 + 128.0,
        "flatten_pooled": 12 * 12 * 64.0,
        "dense_params_pooled": 12 * 12 * 64 * 128 + 128.0,
    },
    "06.14": conv2d_reference,
    "06.15": _digits_logistic_cnn(),
    "06.16": "b",
    "06.17": "b",
    "06.18": "a",
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Correlation and convolution swapped: the kernel flipped where Conv2D does not flip it.
    "06.1": {
        "valid": _correlate(RAMP_5, _flip(EDGE_KERNEL)),
        "same": _correlate(np.pad(RAMP_5, 1), _flip(EDGE_KERNEL)),
        "convolution": _correlate(RAMP_5, EDGE_KERNEL),
    },
    # Biases forgotten.
    "06.2": {
        "valid_shape": (26, 26, 32),
        "same_shape": (28, 28, 32),
        "params": _conv_params(3, 3, 32, bias=False),
    },
    # The kernel flipped (true convolution).
    "06.3": {
        "stride_1": _correlate(RAMP_4, _flip(STRIDE_KERNEL), stride=1),
        "stride_2": _correlate(RAMP_4, _flip(STRIDE_KERNEL), stride=2),
    },
    # The channel responses averaged instead of summed.
    "06.4": {
        "per_channel": np.stack(
            [_correlate(CHANNELS[..., c], CHANNEL_FILTER[..., c]) for c in range(3)]
        ),
        "output": conv2d_reference(CHANNELS, CHANNEL_FILTER[..., None], 1, "valid")[..., 0] / 3,
    },
    # True convolution (flipped filters): both units come out positive and survive the ReLU.
    "06.5": {
        "f1": _correlate(RAMP_4, _flip(F1)),
        "f2": _correlate(RAMP_4, _flip(F2)),
        "relu": np.maximum(
            np.stack([_correlate(RAMP_4, _flip(F1)), _correlate(RAMP_4, _flip(F2))], -1), 0.0
        ),
    },
    # The dilation ignored: a plain 3x3 window, as if the kernel were not spread out.
    "06.6": {"shape": (3, 3), "value": float(_correlate(RAMP_5, SOBEL)[0, 0])},
    # The summary's mistakes: averages rounded, maxima put back at each window's corner.
    "06.7": {
        "max_ramp": _pool(RAMP_4, np.max),
        "average": np.array([[3.0, 3.0], [1.0, 5.0]]),
        "max": _pool(POOL_INPUT, np.max),
        "unpooled": _unpool(POOL_INPUT, at_window_corner=True),
    },
    # The "same" output cropped at the top/left instead of the bottom/right.
    "06.8": _transpose_answer(crop_top_left=True),
    # Pooling layers left out of the receptive-field recursion.
    "06.9": {
        "layer_params": np.array([40.0, 296.0, 584.0, 8760.0, 1210.0]),
        "total": 10890.0,
        "flatten_length": 72.0,
        "receptive_field": _receptive_field([(3, 1, 1)] * 3)[0],
    },
    # Every layer adds k - 1, whatever the stride and dilation before it.
    "06.10": {"strided_rf": 11.0, "strided_jump": 4.0, "dilated_rf": 9.0, "dilated_jump": 1.0},
    # Biases forgotten everywhere.
    "06.11": _params_answer(bias=False),
    # The extra row of "same" padding put at the top.
    "06.12": {
        "size_28": 14.0,
        "pads_28": np.array([1.0, 0.0]),
        "size_7": 4.0,
        "pads_7": np.array([1.0, 1.0]),
        "torch_size_28": 14.0,
    },
    # The book's numbers: 55 with padding 2 on 227, and 9216 features without pooling.
    "06.13": {
        "alexnet_p0": 55.0,
        "alexnet_p2": 55.0,
        "alexnet_224_p2": 55.0,
        "alexnet_params": 34944.0,
        "alexnet_same": 57.0,
        "flatten_length": 9216.0,
        "dense_params": 9216 * 128 + 128.0,
        "flatten_pooled": 9216.0,
        "dense_params_pooled": 9216 * 128 + 128.0,
    },
    # PyTorch-style symmetric padding k // 2 for "same".
    "06.14": _conv2d_symmetric_padding,
    # Built and compiled, never trained.
    "06.15": _untrained_digits_cnn(),
    # "Convolution is shift-invariant."
    "06.16": "a",
    # "The kernel is shared across output channels."
    "06.17": "a",
    # "Max pooling makes the network exactly shift-invariant."
    "06.18": "d",
}

# The non-literal wrong answers as code a student could type.
WRONG_SOURCE: dict[str, str] = {
    "06.14": (
        "def answer_06_14(x, kernel, stride, padding):\n"
        "    x = np.asarray(x, dtype=float)\n"
        "    kernel = np.asarray(kernel, dtype=float)\n"
        "    kh, kw = kernel.shape[:2]\n"
        "    if padding == 'same':  # symmetric padding, as PyTorch's padding=k//2\n"
        "        x = np.pad(x, ((kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))\n"
        "    h_out = (x.shape[0] - kh) // stride + 1\n"
        "    w_out = (x.shape[1] - kw) // stride + 1\n"
        "    out = np.zeros((h_out, w_out, kernel.shape[3]))\n"
        "    for i in range(h_out):\n"
        "        for j in range(w_out):\n"
        "            window = x[i * stride : i * stride + kh, j * stride : j * stride + kw]\n"
        "            out[i, j] = np.tensordot(window, kernel, axes=3)\n"
        "    return out\n"
    ),
    "06.15": (
        "answer_06_15 = keras.Sequential(\n"
        "    [\n"
        "        keras.Input((8, 8, 1)),\n"
        "        keras.layers.Conv2D(16, 3, padding='same', activation='relu'),\n"
        "        keras.layers.MaxPooling2D(2),\n"
        "        keras.layers.Flatten(),\n"
        "        keras.layers.Dense(10),\n"
        "    ]\n"
        ")\n"
        "answer_06_15.compile('adam', 'sparse_categorical_crossentropy')  # but never trained\n"
    ),
}


def _probe(seed: int, image: tuple[int, int, int], kernel: tuple[int, ...], stride, padding):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=image).round(2),
        rng.normal(size=kernel).round(2),
        stride,
        padding,
    )


# Arguments the hidden check of 06.14 calls the function with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "06.14": [
        _probe(61, (7, 8, 3), (3, 3, 3, 2), 2, "same"),  # odd and even sizes, stride 2
        _probe(62, (10, 10, 1), (3, 3, 1, 1), 2, "same"),  # even size: pads (0, 1)
        _probe(63, (6, 6, 1), (3, 3, 1, 1), 3, "same"),
        _probe(64, (9, 9, 2), (5, 5, 2, 1), 2, "valid"),
        _probe(65, (8, 8, 1), (4, 4, 1, 2), 1, "same"),  # even kernel: pads (1, 2)
        _probe(66, (5, 6, 2), (3, 2, 2, 3), 1, "valid"),  # non-square kernel
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _compare_parts(exercise_id: str, exact_keys: tuple[str, ...] = ()) -> Callable[[Any], Result]:
    """A dict check: shapes as tuples, ``exact_keys`` exactly, the rest with allclose."""

    def check(answer: Any) -> Result:
        checks = {}
        for key, expected in _ref(exercise_id).items():
            if isinstance(expected, tuple):
                checks[key] = lambda v, n, e=expected: shape(v, e, n)
            elif key in exact_keys:
                checks[key] = lambda v, n, e=expected: exact(v, e, n)
            else:
                checks[key] = lambda v, n, e=expected: close(v, e, n)
        return parts(answer, checks)

    return check


def _all_exact(exercise_id: str) -> Callable[[Any], Result]:
    return _compare_parts(exercise_id, tuple(_ref(exercise_id)))


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_06_1(answer: Any) -> Result:
    """Valid and same cross-correlation of the 5x5 ramp, and the true convolution."""
    return _compare_parts("06.1")(answer)


@safe
def check_06_2(answer: Any) -> Result:
    """Output shapes and parameters of Conv2D(32, 3) on 28x28x3."""
    return _all_exact("06.2")(answer)


@safe
def check_06_3(answer: Any) -> Result:
    """Cross-correlation of the 4x4 ramp with stride 1 and 2."""
    return _compare_parts("06.3")(answer)


@safe
def check_06_4(answer: Any) -> Result:
    """Multi-channel cross-correlation: per-channel maps and their sum."""
    return _compare_parts("06.4")(answer)


@safe
def check_06_5(answer: Any) -> Result:
    """Two 2x2 filters on the 4x4 ramp, then ReLU."""
    return _compare_parts("06.5")(answer)


@safe
def check_06_6(answer: Any) -> Result:
    """Dilated Sobel filter on the 5x5 ramp."""
    return _compare_parts("06.6")(answer)


@safe
def check_06_7(answer: Any) -> Result:
    """Max and average pooling, max-unpooling."""
    return _compare_parts("06.7")(answer)


@safe
def check_06_8(answer: Any) -> Result:
    """Transposed convolution with stride 2, "valid" and Keras "same"."""
    return _compare_parts("06.8")(answer)


@safe
def check_06_9(answer: Any) -> Result:
    """The SimpleCNN: parameters per layer, total, flattened length, receptive field."""
    return _all_exact("06.9")(answer)


@safe
def check_06_10(answer: Any) -> Result:
    """Receptive fields and jumps of a strided and a dilated stack."""
    return _all_exact("06.10")(answer)


@safe
def check_06_11(answer: Any) -> Result:
    """Parameter counts of stacked, bottleneck and separable convolutions."""
    return _all_exact("06.11")(answer)


@safe
def check_06_12(answer: Any) -> Result:
    """Keras "same" padding with stride 2, and PyTorch's padding=1."""
    return _all_exact("06.12")(answer)


@safe
def check_06_13(answer: Any) -> Result:
    """AlexNet's first layer and the flattened length before a Dense layer."""
    return _all_exact("06.13")(answer)


@safe
def check_06_14(answer: Any) -> Result:
    """A function conv2d(x, kernel, stride, padding) that matches Keras' Conv2D.

    Compared with a tolerance of 1e-4 (absolute and relative), so that a function that
    computes in float32, as TensorFlow does by default, passes too.
    """
    if not callable(answer):
        return False, f"expected a function, got {type(answer).__name__}"
    probes = PROBES["06.14"]
    failed = 0
    for args in probes:
        ok, _ = close(answer(*args), _ref("06.14")(*args), rtol=1e-4, atol=1e-4)
        failed += not ok
    if failed:
        return False, f"the function is wrong on {failed} of {len(probes)} hidden test inputs"
    return True, f"correct on {len(probes)} hidden test inputs"


@safe
def check_06_15(answer: Any) -> Result:
    """A small trained CNN on the 8x8 digits (the task's own criterion)."""
    return digits_cnn_verdict(answer)


@safe
def check_06_16(answer: Any) -> Result:
    """Equivariance of convolution, invariance of global average pooling."""
    return choice(answer, _ref("06.16"))


@safe
def check_06_17(answer: Any) -> Result:
    """What a Conv2D kernel shares."""
    return choice(answer, _ref("06.17"))


@safe
def check_06_18(answer: Any) -> Result:
    """Max pooling versus strided convolution."""
    return choice(answer, _ref("06.18"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    f"06.{k}": globals()[f"check_06_{k}"] for k in range(1, 19)
}
