"""Hidden checks of chapter 02 (perceptrons, MLPs, losses, backpropagation).

Every check takes the student's answer and returns ``(passed, message)``; messages
say what is wrong, never what is expected. Numbers are compared with ``np.allclose``
(default ``rtol=1e-5``, ``atol=1e-6``), counts exactly.

The reference values are computed below from the exercise data with NumPy, in
float64, by the same formulas the lesson derives; they agree with the curriculum
digest (``shared/curriculum/02-mlp-backprop.md`` §4).

* 02.11 is a function answer: the grader calls the student's function inside the
  student's kernel on ``PROBES`` (other inputs than the public check's) and hands
  the check a :class:`dlkit.answers.RecordedFunction` that replays the outputs.
* 02.12 is a trained Keras model: it travels as a ``.keras`` file loaded with
  ``safe_mode=True`` and is judged by what it predicts on the four XOR points.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.checks.ch02 import XOR_INPUTS, xor_model_verdict
from dlkit.comparisons import Result, choice, close, exact, function, parts, safe
from dlkit.runtime import import_tensorflow_quietly


def _keras() -> Any:
    """Keras, imported without TensorFlow's native start-up noise."""
    import_tensorflow_quietly()
    import keras

    return keras


# ---------------------------------------------------------------------------
# Exercise data (the same numbers the exercises notebook gives the student).
# ---------------------------------------------------------------------------

X_3 = np.array([1.0, 2.0])
W1_3 = np.array([[0.5, -0.2], [0.8, 0.4]])  # (out, in), z1 = W1 x
W2_3 = np.array([0.3, -0.7])
X_5 = np.array([1.0, 2.0, 3.0])
W1_5 = np.array([[0.2, -0.1, 0.4], [0.5, 0.3, -0.2], [-0.3, 0.6, 0.1], [0.1, -0.4, 0.2]])
W2_5 = np.array([[0.3, -0.6, 0.1, 0.5], [-0.2, 0.4, 0.7, -0.3]])
X_6 = np.array([0.5, -0.5])
W1_6 = np.array([[0.1, -0.3], [0.2, 0.4], [-0.5, 0.1]])
W2_6 = np.array([[0.3, -0.2, 0.5], [-0.1, 0.4, -0.3]])
E_7 = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [1.0, 1.1, 1.2]])
SEQUENCE_7 = [0, 2, 3, 1, 0]  # A, C, D, B, A


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _dense_params(widths: list[int]) -> int:
    return sum((n_in + 1) * n_out for n_in, n_out in zip(widths[:-1], widths[1:]))


def _closed_form(d0: int, k: int, d: int, dl: int) -> int:
    return d0 * d + d + (k - 1) * (d * d + d) + d * dl + dl


def _forward_3() -> dict[str, Any]:
    z1 = W1_3 @ X_3
    z2 = float(W2_3 @ np.maximum(z1, 0.0))
    return {"z1": z1, "z2": z2, "output": float(_sigmoid(z2))}


def _backward_4(input_in_delta: bool = False) -> dict[str, Any]:
    z1 = W1_3 @ X_3
    h = np.maximum(z1, 0.0)
    p = _sigmoid(W2_3 @ h)
    delta2 = p - 1.0  # sigmoid + BCE, target 1
    delta1 = delta2 * W2_3 * (z1 > 0)
    grad_w1 = np.outer(delta1, X_3)  # dL/dW1[j, i] = delta1_j x_i
    if input_in_delta:  # the mistake: x_i multiplied into the hidden error as well
        grad_w1 = grad_w1 * X_3[None, :]
    return {"loss": float(-np.log(p)), "dW2": delta2 * h, "dW1": grad_w1}


def _softmax_net_5(relu: bool = True) -> dict[str, Any]:
    z1 = W1_5 @ X_5
    h = np.maximum(z1, 0.0) if relu else z1
    z2 = W2_5 @ h
    return {"z1": z1, "h": h, "z2": z2, "p": _softmax(z2)}


def _cross_entropy_6(hidden: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
    h = hidden(W1_6 @ X_6)
    p = _softmax(W2_6 @ h)
    return {"h": h, "p": p, "ce": float(-np.log(p[0]))}


def _perceptron_and(h_at_zero: float = 1.0) -> dict[str, Any]:
    """The perceptron rule on AND, eta = 1, w = 0, b = 0, corners in the fixed order."""
    w, b, updates = np.zeros(2), 0.0, 0
    for pass_number in range(1, 100):
        errors = 0
        for x, y in zip(XOR_INPUTS, [0.0, 0.0, 0.0, 1.0]):
            z = w @ x + b
            y_hat = 1.0 if z > 0 or (z == 0 and h_at_zero == 1.0) else 0.0
            if y_hat != y:
                w, b = w + (y - y_hat) * x, b + (y - y_hat)
                updates, errors = updates + 1, errors + 1
        if errors == 0:
            return {
                "w": w,
                "b": b,
                "updates": float(updates),
                "first_clean_pass": float(pass_number),
            }
    raise RuntimeError("the perceptron did not converge")  # pragma: no cover


def _softmax_gradient_9() -> dict[str, Any]:
    p = _softmax(np.array([2.0, 1.0, 0.0]))
    return {"p": p, "loss": float(-np.log(p[0])), "grad": p - np.array([1.0, 0.0, 0.0])}


def _first_layer_grad_reference(X, y, W1, b1, W2, b2) -> np.ndarray:
    """dL/dW1 for tanh hidden units, one logit and the mean binary cross-entropy."""
    X, W1, W2 = (np.asarray(a, dtype=np.float64) for a in (X, W1, W2))
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)  # (N, 1)
    hidden = np.tanh(X @ W1 + np.asarray(b1, dtype=np.float64))  # (N, h)
    logits = hidden @ W2 + np.asarray(b2, dtype=np.float64)  # (N, 1)
    d_logits = (_sigmoid(logits) - y) / len(X)  # (N, 1)
    d_hidden_pre = (d_logits @ W2.T) * (1.0 - hidden**2)  # (N, h)
    return X.T @ d_hidden_pre  # (d, h)


def _xor_reference_model() -> Any:
    """A network that solves XOR, with weights set by hand (what training should reach)."""
    keras = _keras()
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(2, activation="tanh"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    # h1 ~ OR, h2 ~ AND (as ±1), output ~ h1 and not h2.
    model.set_weights(
        [
            np.array([[10.0, 10.0], [10.0, 10.0]]),
            np.array([-5.0, -15.0]),
            np.array([[10.0], [-10.0]]),
            np.array([-10.0]),
        ]
    )
    return model


def _xor_without_hidden_layer() -> Any:
    """Logistic regression on XOR: its zero weights are a stationary point (p = 0.5)."""
    keras = _keras()
    return keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros"),
        ]
    )


def _backprop_probe(seed: int, n: int, d: int, h: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(n, d)).round(2),
        rng.integers(0, 2, size=n).astype(np.float64),
        rng.normal(size=(d, h)).round(2),
        rng.normal(size=h).round(2),
        rng.normal(size=(h, 1)).round(2),
        rng.normal(size=1).round(2),
    )


# ---------------------------------------------------------------------------
# Reference answers.
# ---------------------------------------------------------------------------

REFERENCE: dict[str, Any] = {
    "02.1": {
        "mlp": float(_dense_params([5, 10, 10, 10, 1])),
        "closed_form": float(_closed_form(1, 3, 10, 1)),
    },
    "02.2": _forward_3(),
    "02.3": _backward_4(),
    "02.4": _softmax_net_5(),
    "02.5": _cross_entropy_6(lambda z: np.maximum(z, 0.0)),
    "02.6": {"one_hot": np.eye(4)[SEQUENCE_7], "embeddings": E_7[SEQUENCE_7]},
    "02.7": _perceptron_and(),
    "02.8": "c",
    "02.9": _softmax_gradient_9(),
    "02.10": {
        "shallow_pieces": 5.0 + 1.0,  # D + 1 for D = 5
        "tent_pieces": 2.0**4,
        "tent_params": 6.0 * 4 + 1.0,
        "shallow_units": 2.0**4 - 1.0,
        "shallow_params": 3.0 * (2.0**4 - 1.0) + 1.0,
    },
    "02.11": _first_layer_grad_reference,
    "02.12": _xor_reference_model(),
    "02.13": {
        "max_prob": float(np.e / (np.e + 9.0)),
        "min_loss": float(np.log1p(9.0 / np.e)),
        "min_loss_2_classes": float(np.log1p(1.0 / np.e)),
    },
    "02.14": "b",
}


def _forgets_one_over_n(X, y, W1, b1, W2, b2) -> np.ndarray:
    return len(np.asarray(X)) * _first_layer_grad_reference(X, y, W1, b1, W2, b2)


# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Biases forgotten: only n_in * n_out per layer.
    "02.1": {"mlp": 260.0, "closed_form": 220.0},
    # W1 applied transposed (kernel layout confused with the (out, in) matrix).
    "02.2": {"z1": np.array([2.1, 0.6]), "z2": 0.21, "output": float(_sigmoid(0.21))},
    # The input multiplied into the hidden error term as well (counted twice).
    "02.3": _backward_4(input_in_delta=True),
    # ReLU forgotten: h = z1.
    "02.4": _softmax_net_5(relu=False),
    # Sigmoid hidden units instead of ReLU.
    "02.5": _cross_entropy_6(_sigmoid),
    # Embeddings read from an Embedding layer whose weights were never set.
    "02.6": {
        "one_hot": np.eye(4)[SEQUENCE_7],
        "embeddings": np.random.default_rng(0).uniform(-0.05, 0.05, size=(5, 3)).round(4),
    },
    # H(0) = 0 instead of H(0) = 1.
    "02.7": _perceptron_and(h_at_zero=0.0),
    # Stacked linear layers are still one linear map.
    "02.8": "d",
    # Gradient with the wrong sign, y - p.
    "02.9": {**_softmax_gradient_9(), "grad": -_softmax_gradient_9()["grad"]},
    # Pieces taken equal to units, and 2^K units for 2^K pieces.
    "02.10": {
        "shallow_pieces": 5.0,
        "tent_pieces": 16.0,
        "tent_params": 25.0,
        "shallow_units": 16.0,
        "shallow_params": 49.0,
    },
    # The 1/N of the mean loss forgotten.
    "02.11": _forgets_one_over_n,
    # No hidden layer: logistic regression.
    "02.12": _xor_without_hidden_layer(),
    # The floor missed: the loss taken to reach 0 as with a single softmax.
    "02.13": {"max_prob": 1.0, "min_loss": 0.0, "min_loss_2_classes": 0.0},
    # "Represent any function": the theorem is about approximation on compact sets.
    "02.14": "a",
}

# The non-literal wrong answers as code a student could type.
WRONG_SOURCE: dict[str, str] = {
    "02.11": (
        "def answer_02_11(X, y, W1, b1, W2, b2):\n"
        "    H = np.tanh(X @ W1 + b1)\n"
        "    p = 1 / (1 + np.exp(-(H @ W2 + b2)))\n"
        "    dZ2 = p - y.reshape(-1, 1)  # the 1/N of the mean is missing\n"
        "    return X.T @ ((dZ2 @ W2.T) * (1 - H**2))"
    ),
    "02.12": (
        "answer_02_12 = keras.Sequential(\n"
        "    [keras.Input((2,)), keras.layers.Dense(1, 'sigmoid', kernel_initializer='zeros')]\n"
        ")  # no hidden layer"
    ),
}

# Arguments the hidden check of 02.11 calls the function with (read by the grader).
PROBES: dict[str, list[tuple[np.ndarray, ...]]] = {
    "02.11": [
        _backprop_probe(11, 5, 3, 4),
        _backprop_probe(12, 8, 2, 6),
        _backprop_probe(13, 3, 4, 2),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _close_parts(exercise_id: str, counts: tuple[str, ...] = ()) -> Callable[[Any], Result]:
    """A dict check: every key compared with allclose, the keys in ``counts`` exactly."""

    def check(answer: Any) -> Result:
        return parts(
            answer,
            {
                key: (
                    (lambda v, n, key=key: exact(v, _ref(exercise_id, key), n))
                    if key in counts
                    else (lambda v, n, key=key: close(v, _ref(exercise_id, key), n))
                )
                for key in _ref(exercise_id)
            },
        )

    return check


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_02_1(answer: Any) -> Result:
    """Parameter counts of two dense stacks."""
    return _close_parts("02.1", counts=("mlp", "closed_form"))(answer)


@safe
def check_02_2(answer: Any) -> Result:
    """Forward pass: ReLU hidden layer, sigmoid output."""
    return _close_parts("02.2")(answer)


@safe
def check_02_3(answer: Any) -> Result:
    """BCE loss and its gradients with respect to both weight matrices."""
    return _close_parts("02.3")(answer)


@safe
def check_02_4(answer: Any) -> Result:
    """Forward pass: ReLU hidden layer, softmax output."""
    return _close_parts("02.4")(answer)


@safe
def check_02_5(answer: Any) -> Result:
    """Hidden activations, softmax and cross-entropy with ReLU hidden units."""
    return _close_parts("02.5")(answer)


@safe
def check_02_6(answer: Any) -> Result:
    """One-hot codes and their embedding lookups."""
    return _close_parts("02.6")(answer)


@safe
def check_02_7(answer: Any) -> Result:
    """The perceptron rule on AND."""
    return _close_parts("02.7", counts=("b", "updates", "first_clean_pass"))(answer)


@safe
def check_02_8(answer: Any) -> Result:
    """Which network computes XOR exactly?"""
    return choice(answer, _ref("02.8"))


@safe
def check_02_9(answer: Any) -> Result:
    """Softmax, cross-entropy and its gradient with respect to the logits."""
    return _close_parts("02.9")(answer)


@safe
def check_02_10(answer: Any) -> Result:
    """Linear pieces and parameter counts of shallow and deep ReLU networks."""
    return _close_parts("02.10", counts=tuple(_ref("02.10")))(answer)


@safe
def check_02_11(answer: Any) -> Result:
    """A function first_layer_grad(X, y, W1, b1, W2, b2) -> dL/dW1."""
    return function(answer, _ref("02.11"), PROBES["02.11"])


@safe
def check_02_12(answer: Any) -> Result:
    """A Keras model that classifies the four XOR points with a BCE below 0.05."""
    return xor_model_verdict(answer)  # the task's own criterion: nothing secret in it


@safe
def check_02_13(answer: Any) -> Result:
    """The loss floor of a double softmax."""
    return _close_parts("02.13")(answer)


@safe
def check_02_14(answer: Any) -> Result:
    """What the universal approximation theorem guarantees."""
    return choice(answer, _ref("02.14"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    "02.1": check_02_1,
    "02.2": check_02_2,
    "02.3": check_02_3,
    "02.4": check_02_4,
    "02.5": check_02_5,
    "02.6": check_02_6,
    "02.7": check_02_7,
    "02.8": check_02_8,
    "02.9": check_02_9,
    "02.10": check_02_10,
    "02.11": check_02_11,
    "02.12": check_02_12,
    "02.13": check_02_13,
    "02.14": check_02_14,
}
