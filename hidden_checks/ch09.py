"""Hidden checks of chapter 09 (recurrent networks: RNN, BPTT, LSTM, GRU).

Every check takes the student's answer and returns ``(passed, message)``; messages say
what is wrong, never what is expected. Numbers are compared with ``np.allclose`` at a
tolerance stated per exercise (``rtol=1e-4`` for hand computations, which students may
do in float32 with ``tf``); counts and shapes exactly.

The reference values are computed below with NumPy in float64 from the exercise data,
by the formulas of the lesson; they agree with the curriculum digest
(``shared/curriculum/09-rnn-lstm.md`` §4), which ``tests/test_exercises_ch09.py``
checks, together with the Keras layers they describe.

* 09.2 is a function answer: the grader calls the student's function inside the
  student's kernel on ``PROBES`` (other inputs than the public check's) and hands the
  check a :class:`dlkit.answers.RecordedFunction` that replays the outputs.
* 09.14 uses the monthly CO2 series that the exercises notebook builds from
  ``dlkit.data.load_series("co2")``; its reference numbers are written out here (the
  test file recomputes them from the data).
* 09.16 is a trained Keras model: it travels as a ``.keras`` file loaded with
  ``safe_mode=True`` and is judged on fresh sequences (another seed than the public
  check's) by the task's own criterion.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.checks.ch09 import DELAY, DELAY_LENGTH, delay_model_verdict
from dlkit.comparisons import Result, choice, close, exact, function, parts, safe, shape
from dlkit.runtime import import_tensorflow_quietly


def _keras() -> Any:
    """Keras, imported without TensorFlow's native start-up noise."""
    import_tensorflow_quietly()
    import keras

    return keras


def _sigmoid(z: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


# ---------------------------------------------------------------------------
# Exercise data (the same numbers the exercises notebook gives the student).
# ---------------------------------------------------------------------------

# 09.1: one step of an RNN in column-vector form, a = W_xh x + W_hh h + b_h.
W_XH_1 = np.array([[0.5, 0.2], [0.1, 0.4]])
W_HH_1 = np.array([[0.3, 0.6], [0.7, 0.9]])
W_HY_1 = np.array([1.0, 0.8])
B_H_1, B_Y_1 = np.array([0.1, 0.2]), 0.3
X_1 = np.array([0.6, 0.9])

# 09.3: scalar RNN h_t = tanh(w_x x_t + w_h h_{t-1} + b), targets on h_t.
W_X_3, W_H_3, B_3 = 0.5, 0.8, 0.1
X_3, Y_3 = np.array([1.0, 0.0]), np.array([0.5, 0.0])

# 09.4: a saturating 2-unit RNN, 50 steps of a constant input.
W_XH_4 = np.array([[0.01, 0.02], [0.03, 0.04]])
W_HH_4 = np.array([[1.2, 0.8], [0.7, 1.5]])
X_4, STEPS_4 = np.array([0.1, 0.1]), 50

# 09.5: gradients clipped to a global norm.
G1_5, G2_5, CLIP_5 = np.array([3.0, 4.0]), np.array([12.0]), 5.0

# 09.8: forget gate at its initial value for this many steps.
STEPS_8 = 20

# 09.15: a language model's loss and a short text
LOSS_NATS_15 = 1.40
TEXT_15 = "abracadabra"

# 09.14: the monthly CO2 series (526 months, 1958-03 to 2001-12), split and window.
SPLIT_14, WINDOW_14, MONTHS_14 = 420, 24, 526
# Computed from dlkit.data.load_series("co2") as the exercises notebook does (weekly values
# averaged per calendar month; tests/test_exercises_ch09.py recomputes them).
CO2_RMSE = {
    "persistence_rmse": 1.2683109036251194,
    "seasonal_rmse": 1.7873853314387445,
    "seasonal_drift_rmse": 0.3901385757249294,
}
CO2_MAE = {  # the wrong answer: mean absolute errors instead of root-mean-square errors
    "persistence_rmse": 1.1302357799601994,
    "seasonal_rmse": 1.6310850179420326,
    "seasonal_drift_rmse": 0.3135356399248218,
}


# ---------------------------------------------------------------------------
# Reference computations (NumPy, float64).
# ---------------------------------------------------------------------------


def _rnn_step_by_hand(transposed_input_grad: bool = False) -> dict[str, Any]:
    """09.1: forward pass and the gradients of L = (y - 1)^2 for one step, h0 = 0."""
    a = W_XH_1 @ X_1 + B_H_1  # W_hh h0 = 0
    h = np.tanh(a)
    y = float(W_HY_1 @ h + B_Y_1)
    d_y = 2.0 * (y - 1.0)
    d_a = d_y * W_HY_1 * (1.0 - h**2)  # (2,)
    grad_w_xh = np.outer(d_a, X_1)  # dL/dW_xh[i, j] = d_a_i x_j
    if transposed_input_grad:  # the mistake: x d_a^T
        grad_w_xh = grad_w_xh.T
    return {
        "h1": h,
        "y1": y,
        "loss": (y - 1.0) ** 2,
        "grad_W_hy": d_y * h,
        "grad_W_xh": grad_w_xh,
        "grad_W_hh": np.zeros((2, 2)),  # h0 = 0: W_hh had no effect yet
        "grad_b_h": d_a,
    }


def rnn_forward_reference(inputs: Any, kernel: Any, recurrent_kernel: Any, bias: Any) -> Any:
    """09.2: all hidden states (T, h) of a tanh RNN in Keras' row-vector layout, h0 = 0."""
    inputs = np.asarray(inputs, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    recurrent_kernel = np.asarray(recurrent_kernel, dtype=np.float64)
    h = np.zeros(recurrent_kernel.shape[0])
    states = []
    for x_t in inputs:
        h = np.tanh(x_t @ kernel + h @ recurrent_kernel + np.asarray(bias, dtype=np.float64))
        states.append(h)
    return np.stack(states)


def _rnn_forward_transposed(inputs: Any, kernel: Any, recurrent_kernel: Any, bias: Any) -> Any:
    """The typical mistake: the recurrent kernel used in column-vector form (h @ U^T)."""
    return rnn_forward_reference(inputs, kernel, np.asarray(recurrent_kernel).T, bias)


def _scalar_bptt(local_only: bool = False) -> dict[str, Any]:
    """09.3: forward pass and BPTT for the scalar RNN of the exercise."""
    hs = [0.0]
    for x_t in X_3:
        hs.append(float(np.tanh(W_X_3 * x_t + W_H_3 * hs[-1] + B_3)))
    loss = 0.5 * sum((hs[t + 1] - Y_3[t]) ** 2 for t in range(len(X_3)))
    grads = {"grad_w_x": 0.0, "grad_w_h": 0.0, "grad_b": 0.0}
    from_later = 0.0  # dL/dh_t carried back from step t + 1
    for t in reversed(range(len(X_3))):
        delta = (hs[t + 1] - Y_3[t]) + (0.0 if local_only else from_later)
        d_a = delta * (1.0 - hs[t + 1] ** 2)
        grads["grad_w_x"] += d_a * X_3[t]
        grads["grad_w_h"] += d_a * hs[t]
        grads["grad_b"] += d_a
        from_later = d_a * W_H_3
    return {"h": np.array(hs[1:]), "loss": loss, **grads}


def _saturation(with_derivative: bool = True) -> dict[str, Any]:
    """09.4: eigenvalues, spectral norm, h_50 and log10 ||dh_50/dh_1||_2."""
    h, jacobian = np.zeros(2), np.eye(2)
    for t in range(1, STEPS_4 + 1):
        h = np.tanh(W_XH_4 @ X_4 + W_HH_4 @ h)
        if t >= 2:  # dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh
            local = np.diag(1.0 - h**2) @ W_HH_4 if with_derivative else W_HH_4
            jacobian = local @ jacobian
    return {
        "eigenvalues": np.sort(np.linalg.eigvals(W_HH_4).real),
        "spectral_norm": np.linalg.norm(W_HH_4, 2),
        "h50": h,
        "log10_jacobian_norm": np.log10(np.linalg.norm(jacobian, 2)),
    }


def _clipping(per_tensor_everywhere: bool = False) -> dict[str, Any]:
    """09.5: global-norm clipping and Keras' per-tensor clipnorm."""
    global_norm = float(np.sqrt(np.sum(G1_5**2) + np.sum(G2_5**2)))
    scale = min(1.0, CLIP_5 / global_norm)

    def per_tensor(g: np.ndarray) -> np.ndarray:
        return g * min(1.0, CLIP_5 / np.linalg.norm(g))

    answer = {
        "global_norm": global_norm,
        "scale": scale,
        "g1_global": G1_5 * scale,
        "g2_global": G2_5 * scale,
        "g1_per_tensor": per_tensor(G1_5),
        "g2_per_tensor": per_tensor(G2_5),
    }
    if per_tensor_everywhere:  # the mistake: each tensor clipped on its own in both cases
        answer["g1_global"], answer["g2_global"] = answer["g1_per_tensor"], answer["g2_per_tensor"]
    return answer


def _scalar_lstm(tanh_on_cell: bool = True) -> dict[str, Any]:
    """09.6: scalar LSTM, every weight and bias 1, x_1 = x_2 = 1, h0 = c0 = 0."""
    h = c = 0.0
    out = {}
    for t in (1, 2):
        gate = float(_sigmoid(1.0 + h + 1.0))  # i = f = o: same weights, same inputs
        candidate = np.tanh(1.0 + h + 1.0)
        c = gate * c + gate * candidate
        h = gate * np.tanh(c) if tanh_on_cell else gate * c
        out[f"c{t}"], out[f"h{t}"] = float(c), float(h)
    return out


def _gru_conventions(keras_update_swapped: bool = False) -> dict[str, Any]:
    """09.7: one GRU step, all weights and biases 1, x = (1, 0), h_prev = (0.5, 0.5)."""
    x, h_prev = np.array([1.0, 0.0]), np.array([0.5, 0.5])
    ones = np.ones((2, 2))
    # textbook (Cho et al., reset before the matrix; h = (1 - z) h_prev + z h~)
    z = _sigmoid(ones @ x + ones @ h_prev + 1.0)
    r = z  # same weights
    candidate = np.tanh(ones @ x + ones @ (r * h_prev) + 1.0)
    textbook = (1.0 - z) * h_prev + z * candidate
    # Keras reset_after=True: input bias and recurrent bias both 1; h = z h_prev + (1 - z) h~
    z_k = _sigmoid(ones @ x + 1.0 + ones @ h_prev + 1.0)
    r_k = z_k
    candidate_k = np.tanh(ones @ x + 1.0 + r_k * (ones @ h_prev + 1.0))
    keras_h = z_k * h_prev + (1.0 - z_k) * candidate_k
    if keras_update_swapped:  # the textbook update rule applied to Keras' gates
        keras_h = (1.0 - z_k) * h_prev + z_k * candidate_k
    return {"textbook_h": textbook, "keras_h": keras_h}


def _retention(power: int = STEPS_8) -> dict[str, float]:
    """09.8: log10 of the fraction of the cell kept after 20 steps with f = sigmoid(b_f)."""
    return {
        f"log10_b{b}": float(power * np.log10(_sigmoid(float(b))))
        for b in (1, 0, 3)  # keys log10_b1, log10_b0, log10_b3
    }


def _counts(d: int, h: int) -> dict[str, float]:
    """09.9: parameter counts of recurrent layers, input size d, h units."""
    block = h * (d + h)  # one gate: kernel d x h and recurrent kernel h x h
    return {
        "simple_rnn": float(block + h),
        "lstm_keras": float(4 * (block + h)),
        "lstm_torch": float(4 * (block + 2 * h)),
        "gru_keras": float(3 * (block + 2 * h)),  # reset_after=True: two bias rows
        "gru_keras_reset_before": float(3 * (block + h)),
        "gru_torch": float(3 * (block + 2 * h)),
    }


def _stacked_counts(second_input: int = 32) -> dict[str, float]:
    """09.10: LSTM(32, return_sequences=True) -> LSTM(16) -> Dense(1) on d = 10."""
    lstm_1 = 4 * (32 * (10 + 32) + 32)
    lstm_2 = 4 * (16 * (second_input + 16) + 16)
    dense = 16 + 1
    return {
        "lstm_1": float(lstm_1),
        "lstm_2": float(lstm_2),
        "dense": float(dense),
        "total": float(lstm_1 + lstm_2 + dense),
        "bidirectional": float(2 * lstm_1),
    }


def _windows_and_baselines(errors: dict[str, float], windows: int) -> dict[str, float]:
    return {"n_windows": float(windows), **errors}


def _delay_shift_register(delay: int) -> Any:
    """A linear SimpleRNN that is an exact shift register: it outputs x_{t - delay}."""
    keras = _keras()
    units = delay + 1  # unit i holds x_{t - i}
    model = keras.Sequential(
        [
            keras.Input((DELAY_LENGTH, 1)),
            keras.layers.SimpleRNN(units, activation=None, return_sequences=True),
            keras.layers.Dense(1),
        ]
    )
    kernel = np.zeros((1, units))
    kernel[0, 0] = 1.0  # x_t enters unit 0
    shift = np.eye(units, k=1)  # (h U)_{i+1} = h_i: every value moves one unit on
    read = np.zeros((units, 1))
    read[delay, 0] = 1.0  # the output reads the unit that holds x_{t - delay}
    model.set_weights([kernel, shift, np.zeros(units), read, np.zeros(1)])
    return model


# ---------------------------------------------------------------------------
# Reference answers.
# ---------------------------------------------------------------------------

REFERENCE: dict[str, Any] = {
    "09.1": _rnn_step_by_hand(),
    "09.2": rnn_forward_reference,
    "09.3": _scalar_bptt(),
    "09.4": _saturation(),
    "09.5": _clipping(),
    "09.6": _scalar_lstm(),
    "09.7": _gru_conventions(),
    "09.8": _retention(),
    "09.9": _counts(8, 16),
    "09.10": _stacked_counts(),
    "09.11": {
        "sequence": (32, 50, 16),
        "state_h": (32, 16),
        "state_c": (32, 16),
        "bidirectional_sequence": (32, 50, 32),
    },
    "09.12": "b",
    "09.13": {"constant_one": 1.0 / 6.0, "first_value_only": 1.0 / 12.0},
    "09.14": _windows_and_baselines(CO2_RMSE, MONTHS_14 - WINDOW_14),
    "09.15": {
        "entropy_bits": 0.0,  # filled in below
        "entropy_nats": 0.0,
        "perplexity": 0.0,
        "bits_per_char": LOSS_NATS_15 / np.log(2.0),
        "perplexity_from_loss": float(np.exp(LOSS_NATS_15)),
    },
    "09.16": None,  # a model, built below
}


def _entropy(text: str) -> float:
    _, counts = np.unique(list(text), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


_BITS = _entropy(TEXT_15)
REFERENCE["09.15"].update(
    {"entropy_bits": _BITS, "entropy_nats": _BITS * np.log(2.0), "perplexity": 2.0**_BITS}
)
REFERENCE["09.16"] = _delay_shift_register(DELAY)

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # The input-weight gradient transposed: x d_a^T instead of d_a x^T.
    "09.1": _rnn_step_by_hand(transposed_input_grad=True),
    # The recurrent kernel applied in column-vector form (h @ U^T) in Keras' row layout.
    "09.2": _rnn_forward_transposed,
    # Only the loss at the same step (no error flowing back from t + 1).
    "09.3": _scalar_bptt(local_only=True),
    # "Eigenvalues above 1 explode": the activation derivative left out of the Jacobian.
    "09.4": _saturation(with_derivative=False),
    # Each tensor clipped on its own where the global norm was asked for.
    "09.5": _clipping(per_tensor_everywhere=True),
    # h = o * c, the tanh on the cell forgotten.
    "09.6": _scalar_lstm(tanh_on_cell=False),
    # The textbook update rule with Keras' gates.
    "09.7": _gru_conventions(keras_update_swapped=True),
    # One step instead of twenty.
    "09.8": _retention(power=1),
    # One bias vector everywhere: PyTorch's LSTM and Keras' default GRU undercounted.
    "09.9": {
        **_counts(8, 16),
        "lstm_torch": _counts(8, 16)["lstm_keras"],
        "gru_keras": _counts(8, 16)["gru_keras_reset_before"],
    },
    # The second LSTM's input taken as the data's 10 features instead of 32 units.
    "09.10": _stacked_counts(second_input=10),
    # PyTorch's default time-major layout (time, batch, units).
    "09.11": {
        "sequence": (50, 32, 16),
        "state_h": (32, 16),
        "state_c": (32, 16),
        "bidirectional_sequence": (50, 32, 32),
    },
    # "The LSTM fixes exploding gradients too".
    "09.12": "a",
    # The variance of one uniform value taken for the variance of the sum.
    "09.13": {"constant_one": 1.0 / 12.0, "first_value_only": 1.0 / 12.0},
    # Mean absolute errors, and the windows of timeseries_dataset_from_array(data[:-24], ...).
    "09.14": _windows_and_baselines(CO2_MAE, MONTHS_14 - 2 * WINDOW_14 + 1),
    # Nats taken for bits: perplexity 2^loss and bits per character = loss.
    "09.15": {
        **REFERENCE["09.15"],
        "bits_per_char": LOSS_NATS_15,
        "perplexity_from_loss": 2.0**LOSS_NATS_15,
    },
    # A shift register one step short: it outputs x_{t-2}.
    "09.16": _delay_shift_register(DELAY - 1),
}

# The non-literal wrong answers as code a student could type.
WRONG_SOURCE: dict[str, str] = {
    "09.2": (
        "def answer_09_2(inputs, kernel, recurrent_kernel, bias):\n"
        "    h = np.zeros(len(recurrent_kernel))\n"
        "    states = []\n"
        "    for x_t in np.asarray(inputs, dtype=float):\n"
        "        h = np.tanh(x_t @ kernel + recurrent_kernel @ h + bias)  # column form\n"
        "        states.append(h)\n"
        "    return np.stack(states)\n"
    ),
    "09.16": (
        "answer_09_16 = keras.Sequential(\n"
        "    [keras.Input((20, 1)), keras.layers.SimpleRNN(8, return_sequences=True),\n"
        "     keras.layers.Dense(1)]\n"
        ")  # built but never trained\n"
    ),
}

# Arguments the hidden check of 09.2 calls the function with (read by the grader).
PROBES: dict[str, list[tuple[np.ndarray, ...]]] = {
    "09.2": [
        (
            np.array([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [0.0, 1.0]]),
            np.array([[0.4, -0.2, 0.1], [0.3, 0.5, -0.6]]),
            np.array([[0.2, -0.5, 0.1], [0.7, 0.1, -0.3], [-0.4, 0.6, 0.2]]),
            np.array([0.05, -0.1, 0.2]),
        ),
        (
            np.array([[2.0], [-1.0], [0.5], [1.0], [-2.0]]),
            np.array([[0.9, -0.4]]),
            np.array([[0.5, 0.9], [-0.8, 0.3]]),
            np.array([0.0, 0.3]),
        ),
        (
            np.array([[1.0, 0.0, -1.0]]),
            np.array([[1.0, 0.0], [0.5, -0.5], [0.2, 0.3]]),
            np.array([[0.3, 0.1], [0.4, 0.2]]),
            np.array([-0.2, 0.1]),
        ),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _close_parts(
    exercise_id: str, rtol: float = 1e-4, atol: float = 1e-6, counts: tuple[str, ...] = ()
) -> Callable[[Any], Result]:
    """A dict check: every key compared with allclose, the keys in ``counts`` exactly."""

    def run(answer: Any) -> Result:
        checks = {}
        for key in _ref(exercise_id):
            if key in counts:
                checks[key] = lambda v, n, key=key: exact(v, _ref(exercise_id, key), n)
            else:
                checks[key] = lambda v, n, key=key: close(v, _ref(exercise_id, key), n, rtol, atol)
        return parts(answer, checks)

    return run


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_09_1(answer: Any) -> Result:
    """One RNN step by hand: h1, y1, loss and the four gradients."""
    return _close_parts("09.1")(answer)


@safe
def check_09_2(answer: Any) -> Result:
    """A function rnn_forward(inputs, kernel, recurrent_kernel, bias) -> (T, h)."""
    return function(answer, _ref("09.2"), PROBES["09.2"])


@safe
def check_09_3(answer: Any) -> Result:
    """Forward pass and BPTT gradients of a scalar RNN over two steps."""
    return _close_parts("09.3")(answer)


@safe
def check_09_4(answer: Any) -> Result:
    """Eigenvalues, spectral norm, saturated state and the vanishing Jacobian product."""
    return parts(
        answer,
        {
            "eigenvalues": lambda v, n: close(v, _ref("09.4", "eigenvalues"), n, rtol=1e-4),
            "spectral_norm": lambda v, n: close(v, _ref("09.4", "spectral_norm"), n, rtol=1e-4),
            "h50": lambda v, n: close(v, _ref("09.4", "h50"), n, rtol=1e-4),
            "log10_jacobian_norm": lambda v, n: close(
                v, _ref("09.4", "log10_jacobian_norm"), n, rtol=1e-3
            ),
        },
    )


@safe
def check_09_5(answer: Any) -> Result:
    """Global-norm clipping versus per-tensor clipnorm."""
    return _close_parts("09.5", rtol=1e-5)(answer)


@safe
def check_09_6(answer: Any) -> Result:
    """A scalar LSTM over two steps."""
    return _close_parts("09.6")(answer)


@safe
def check_09_7(answer: Any) -> Result:
    """One GRU step in the textbook and in the Keras (reset_after=True) convention."""
    return _close_parts("09.7")(answer)


@safe
def check_09_8(answer: Any) -> Result:
    """log10 of the cell content kept after 20 steps for three forget-gate biases."""
    return _close_parts("09.8", rtol=1e-4)(answer)


@safe
def check_09_9(answer: Any) -> Result:
    """Parameter counts of SimpleRNN, LSTM and GRU in Keras and PyTorch, d = 8, h = 16."""
    return _close_parts("09.9", counts=tuple(_ref("09.9")))(answer)


@safe
def check_09_10(answer: Any) -> Result:
    """Parameter counts of a stacked LSTM model and of a bidirectional LSTM."""
    return _close_parts("09.10", counts=tuple(_ref("09.10")))(answer)


@safe
def check_09_11(answer: Any) -> Result:
    """Output shapes with return_sequences, return_state and Bidirectional."""
    return parts(
        answer,
        {key: lambda v, n, key=key: shape(v, _ref("09.11", key), n) for key in _ref("09.11")},
    )


@safe
def check_09_12(answer: Any) -> Result:
    """Which statement about gated cells and BPTT is right?"""
    return choice(answer, _ref("09.12"))


@safe
def check_09_13(answer: Any) -> Result:
    """Baseline MSEs of the adding problem."""
    return _close_parts("09.13", rtol=1e-5)(answer)


@safe
def check_09_14(answer: Any) -> Result:
    """Window count and naive-forecast RMSEs on the CO2 test months."""
    return _close_parts("09.14", rtol=1e-4, counts=("n_windows",))(answer)


@safe
def check_09_15(answer: Any) -> Result:
    """Entropy, bits per character and perplexity."""
    return _close_parts("09.15", rtol=1e-5)(answer)


@safe
def check_09_16(answer: Any) -> Result:
    """A trained recurrent model that delays its input by three steps."""
    return delay_model_verdict(answer, seed=2024, n=512)


CHECKS: dict[str, Callable[[Any], Result]] = {
    f"09.{k}": globals()[f"check_09_{k}"] for k in range(1, 17)
}
