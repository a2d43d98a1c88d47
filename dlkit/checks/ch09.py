"""Public checks of chapter 09 (recurrent networks: RNN, BPTT, LSTM, GRU).

Used by ``dlkit.exercises.check("09.k", answer)``. Exercises 09.1 to 09.15 follow the
curriculum's exercises: an RNN step and its gradients by hand, a forward function to
write (09.2), backpropagation through time, saturation and vanishing Jacobians,
gradient clipping, LSTM and GRU steps in both GRU conventions, forget-gate retention,
parameter counts, output shapes, a multiple-choice question on gates, the adding-problem
baseline, naive forecasts of the CO2 series and perplexity. 09.16 asks for a trained
Keras model.

No reference value is written in this module. Each check compares a *fingerprint* of
the answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), of its canonical text for shapes and choices
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference
answer, pasted here as a hex string. The function answer is fingerprinted through its
outputs on the public inputs below. The model answer (09.16) is judged by the task's own
criterion on sequences drawn here. The exact reference values and stricter comparisons
are the teacher's hidden checks (``hidden_checks/ch09.py``, not shipped).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlkit.exercises import (
    Exercise,
    expect_array,
    expect_choice,
    expect_dict,
    expect_function,
    expect_number,
    expect_shape,
    register,
)

CHOICES = ("a", "b", "c", "d")

# Public inputs of 09.2 (the hidden check uses others): (inputs, kernel, recurrent_kernel,
# bias) in Keras' row layout; the first two are the curriculum's column-form examples
# W_h = [[0.1, 0.2], [0.3, 0.4]] and [[0.5, 0.1], [0.2, 0.5]], transposed.
RNN_FORWARD_INPUTS = [
    (
        np.array([[1.0], [2.0], [3.0]]),
        np.array([[0.5, 1.0]]),
        np.array([[0.1, 0.3], [0.2, 0.4]]),
        np.array([0.1, 0.2]),
    ),
    (
        np.array([[0.5], [1.0], [1.5]]),
        np.array([[0.1, 0.2]]),
        np.array([[0.5, 0.2], [0.1, 0.5]]),
        np.array([0.0, 0.0]),
    ),
]

# The delay task of 09.16 (the problem statement, not an answer).
DELAY = 3
DELAY_LENGTH = 20
DELAY_MAX_MSE = 0.05


def delay_task(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences ``x`` of shape ``(n, 20, 1)`` ~ N(0, 1) and targets ``x`` delayed by 3.

    The target is ``y[:, t] = x[:, t - 3]`` for ``t >= 3`` and 0 before.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DELAY_LENGTH, 1)).astype("float32")
    y = np.zeros_like(x)
    y[:, DELAY:] = x[:, :-DELAY]
    return x, y


def delay_model_verdict(answer: Any, seed: int = 0, n: int = 256) -> tuple[bool, str]:
    """Judge 09.16: a Keras model whose per-step output is its input three steps earlier.

    The criterion is the task statement itself (mean squared error below
    ``DELAY_MAX_MSE`` on the steps ``t >= 3`` of fresh sequences), so the public check
    and the hidden check both use it, on sequences drawn with different seeds.
    """
    import keras  # imported on use: importing this module stays light

    if not isinstance(answer, keras.Model):
        return False, f"expected a Keras model, got {type(answer).__name__}"
    x, y = delay_task(seed, n)
    outputs = np.asarray(answer(x), dtype=np.float64)
    if outputs.size != n * DELAY_LENGTH:
        return False, (
            f"expected one output per time step, shape (batch, {DELAY_LENGTH}, 1), "
            f"got output shape {outputs.shape}"
        )
    outputs = outputs.reshape(n, DELAY_LENGTH)
    if not np.all(np.isfinite(outputs)):
        return False, "the model outputs inf or nan"
    mse = float(np.mean((outputs[:, DELAY:] - y[:, DELAY:, 0]) ** 2))
    if not mse < DELAY_MAX_MSE:
        return False, (
            f"not right yet: the mean squared error on the steps t >= {DELAY} is not below "
            f"{DELAY_MAX_MSE}"
        )
    return True, f"mean squared error below {DELAY_MAX_MSE} on the steps t >= {DELAY}"


register(
    Exercise(
        id="09.1",
        points=3,
        produce="a dict with keys 'h1' (shape (2,)), 'y1', 'loss' (numbers), 'grad_W_hy' "
        "(shape (2,)), 'grad_W_xh' and 'grad_W_hh' (shape (2, 2), laid out like the matrices) "
        "and 'grad_b_h' (shape (2,))",
        hint="a_1 = W_xh x_1 + W_hh h_0 + b_h with h_0 = 0; backwards: dL/dy = 2 (y - 1), "
        "dL/da = dL/dy * W_hy * (1 - h^2); the gradient of W_xh[i, j] is dL/da_i * x_j; "
        "W_hh only multiplies h_0",
        check=expect_dict(
            {
                "h1": expect_array((2,), "6d42697456e43a62"),
                "y1": expect_number("28f84b51fbb1a314"),
                "loss": expect_number("5f5eb7470a9cb307"),
                "grad_W_hy": expect_array((2,), "d622cfb285783e8d"),
                "grad_W_xh": expect_array((2, 2), "8827aa5f639e416a"),
                "grad_W_hh": expect_array((2, 2), "2135cd7c91c70369"),
                "grad_b_h": expect_array((2,), "ab6ba54defa7eecb"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.2",
        points=3,
        produce="a function rnn_forward(inputs, kernel, recurrent_kernel, bias) that takes "
        "one sequence (T, d), a (d, h) kernel, an (h, h) recurrent kernel and an (h,) bias in "
        "Keras' layout and returns all hidden states, an array of shape (T, h), with h_0 = 0",
        hint="Keras multiplies row vectors from the left: h_t = tanh(x_t @ kernel + h_{t-1} @ "
        "recurrent_kernel + bias); check against keras.layers.SimpleRNN(h, "
        "return_sequences=True) after set_weights",
        check=expect_function(RNN_FORWARD_INPUTS, "ac246c62b15aa8dd"),
    )
)

register(
    Exercise(
        id="09.3",
        points=3,
        produce="a dict with keys 'h' (shape (2,): h_1, h_2), 'loss', 'grad_w_x', 'grad_w_h' "
        "and 'grad_b' (numbers)",
        hint="run backwards from t = 2: delta_t = (h_t - y_t) + w_h * (1 - h_{t+1}^2) * "
        "delta_{t+1}; every step adds (1 - h_t^2) delta_t times x_t, h_{t-1} or 1 to the "
        "three gradients; confirm with tf.GradientTape",
        check=expect_dict(
            {
                "h": expect_array((2,), "ad0aa5ddd5f76b91"),
                "loss": expect_number("1692345f0c1ffbf8"),
                "grad_w_x": expect_number("f19c807d3e27e33e"),
                "grad_w_h": expect_number("eac61ea126481418"),
                "grad_b": expect_number("4c6c5f89a4fa0418"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.4",
        points=2,
        produce="a dict with keys 'eigenvalues' (shape (2,), ascending), 'spectral_norm' (a "
        "number), 'h50' (shape (2,)) and 'log10_jacobian_norm' (a number: log10 of the "
        "spectral norm of dh_50/dh_1)",
        hint="dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh; multiply the 49 factors for t = 2..50 "
        "(newest on the left) and take np.linalg.norm(J, 2); the spectral norm is the "
        "largest singular value, not the largest eigenvalue",
        check=expect_dict(
            {
                "eigenvalues": expect_array((2,), "d4f44442d680e85f"),
                "spectral_norm": expect_number("9f17cab46f74a57e"),
                "h50": expect_array((2,), "d44c12bb27eae773"),
                "log10_jacobian_norm": expect_number("f452be5bd54924f6", decimals=2),
            }
        ),
    )
)

register(
    Exercise(
        id="09.5",
        points=2,
        produce="a dict with keys 'global_norm', 'scale' (numbers), 'g1_global' (shape (2,)), "
        "'g2_global' (shape (1,)), 'g1_per_tensor' (shape (2,)) and 'g2_per_tensor' "
        "(shape (1,))",
        hint="the global norm runs over every entry of every gradient; the scale is "
        "min(1, clip / norm); per-tensor clipping (Keras clipnorm) applies that rule to each "
        "tensor with its own norm; compare with tf.clip_by_global_norm and tf.clip_by_norm",
        check=expect_dict(
            {
                "global_norm": expect_number("30cc74e32d21fd3a"),
                "scale": expect_number("bdcbc50fc1e556eb"),
                "g1_global": expect_array((2,), "08d3446a540848fd"),
                "g2_global": expect_array((1,), "46f284357ee0226d"),
                "g1_per_tensor": expect_array((2,), "687d526c57d0fabc"),
                "g2_per_tensor": expect_array((1,), "de96540c1c82ca05"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.6",
        points=2,
        produce="a dict with keys 'c1', 'h1', 'c2', 'h2', each a number",
        hint="c_t = f c_{t-1} + i g and h_t = o tanh(c_t); with every weight and bias 1 the "
        "three sigmoid gates are equal; keras.layers.LSTM(1) with all weights set to 1 gives "
        "the same numbers",
        check=expect_dict(
            {
                "c1": expect_number("3842b7440c7ff28a"),
                "h1": expect_number("4c6c5f89a4fa0418"),
                "c2": expect_number("dd4d891f92b724d0"),
                "h2": expect_number("e3a05b0d62c009f5"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.7",
        points=2,
        produce="a dict with keys 'textbook_h' and 'keras_h', each an array of shape (2,)",
        hint="textbook: h~ = tanh(W x + U (r * h) + b), h = (1 - z) h_prev + z h~; Keras "
        "(reset_after=True): two bias rows, h~ = tanh(W x + b_in + r * (U h + b_rec)) and "
        "h = z h_prev + (1 - z) h~; confirm the second with keras.layers.GRU(2)",
        check=expect_dict(
            {
                "textbook_h": expect_array((2,), "95b7ac7f5059435d"),
                "keras_h": expect_array((2,), "9afe36bf3f919673"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.8",
        points=1,
        produce="a dict with keys 'log10_b1', 'log10_b0' and 'log10_b3', each a number "
        "(log10 of the fraction of the cell content left after 20 steps)",
        hint="each step multiplies the cell by f = sigmoid(b_f); after n steps the fraction "
        "is sigmoid(b_f)^n, and log10 of a power is n times log10",
        check=expect_dict(
            {
                "log10_b1": expect_number("d5838d3b4618ee27"),
                "log10_b0": expect_number("95bcaedf24968b49"),
                "log10_b3": expect_number("e0282916f0d5465f"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.9",
        points=2,
        produce="a dict with keys 'simple_rnn', 'lstm_keras', 'lstm_torch', 'gru_keras', "
        "'gru_keras_reset_before' and 'gru_torch', each an integer",
        hint="one gate costs h (d + h) weights plus its biases; an LSTM has 4 gates, a GRU 3; "
        "Keras' LSTM has one bias vector, PyTorch two (b_ih and b_hh); Keras' default GRU "
        "(reset_after=True) keeps two bias rows; check the Keras numbers with count_params()",
        check=expect_dict(
            {
                "simple_rnn": expect_number("cb4549158d43a24e"),
                "lstm_keras": expect_number("2498819a5b513501"),
                "lstm_torch": expect_number("a3de7b6d09f91067"),
                "gru_keras": expect_number("98594cf364639117"),
                "gru_keras_reset_before": expect_number("1385d9fa63121662"),
                "gru_torch": expect_number("98594cf364639117"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.10",
        points=2,
        produce="a dict with keys 'lstm_1', 'lstm_2', 'dense', 'total' and 'bidirectional', "
        "each an integer",
        hint="the second LSTM reads the first one's hidden states, not the raw features; "
        "Bidirectional holds two independent copies of its layer; build the model and call "
        "count_params() on each layer",
        check=expect_dict(
            {
                "lstm_1": expect_number("53b9a3e7aed19888"),
                "lstm_2": expect_number("f6a29ae19f108af1"),
                "dense": expect_number("f34100288d31f84e"),
                "total": expect_number("9801ef58f2d67d4a"),
                "bidirectional": expect_number("432e9b6b25d7aa84"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.11",
        points=2,
        produce="a dict with keys 'sequence', 'state_h', 'state_c' and "
        "'bidirectional_sequence', each a shape (a tuple of ints)",
        hint="Keras layers are batch-major: (batch, time, features); return_state appends "
        "the final h and c, one vector per sequence; Bidirectional concatenates the two "
        "directions on the last axis",
        check=expect_dict(
            {
                "sequence": expect_shape("63d5acaaae06ff2e"),
                "state_h": expect_shape("7c044dc55564f24a"),
                "state_c": expect_shape("7c044dc55564f24a"),
                "bidirectional_sequence": expect_shape("3d55a47b7d529eb0"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.12",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="write down dc_t/dc_{t-1}; ask what a gate can and cannot bound; try statement "
        "(d) on a keras.layers.GRU whose update gate is forced to 1",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="09.13",
        points=1,
        produce="a dict with keys 'constant_one' and 'first_value_only', each a number (an "
        "expected mean squared error)",
        hint="the MSE of a prediction that is right on average is the variance of what it "
        "misses; a U(0, 1) value has variance 1/12 and independent variances add up; check "
        "with a Monte Carlo estimate",
        check=expect_dict(
            {
                "constant_one": expect_number("c7faf338a1fbd503"),
                "first_value_only": expect_number("e6b9aecc45901c0e"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.14",
        points=2,
        produce="a dict with keys 'n_windows' (an integer), 'persistence_rmse', "
        "'seasonal_rmse' and 'seasonal_drift_rmse' (numbers, in ppm)",
        hint="every window needs the value right after it as its target: count the possible "
        "start positions; the forecasts for month t are s[t-1], s[t-12] and "
        "s[t-12] + s[t-1] - s[t-13]; RMSE is the square root of the mean squared error over "
        "the test months only",
        check=expect_dict(
            {
                "n_windows": expect_number("d8f6dfd8567b9337"),
                "persistence_rmse": expect_number("7724725bc5c88169"),
                "seasonal_rmse": expect_number("abcf09e6a884e759"),
                "seasonal_drift_rmse": expect_number("90b578281e536995"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.15",
        points=2,
        produce="a dict with keys 'entropy_bits', 'entropy_nats', 'perplexity', "
        "'bits_per_char' and 'perplexity_from_loss', each a number",
        hint="H = -sum p log p over the character frequencies; bits = nats / ln 2; the "
        "perplexity is e^(loss in nats) = 2^(loss in bits); Keras' cross-entropy is in nats",
        check=expect_dict(
            {
                "entropy_bits": expect_number("6871a26f220b51f9"),
                "entropy_nats": expect_number("a1c6896cd3556612"),
                "perplexity": expect_number("69de01885b7d2f61"),
                "bits_per_char": expect_number("6a255d1e0bcc5047"),
                "perplexity_from_loss": expect_number("cdffb98a6fefa3dc"),
            }
        ),
    )
)

register(
    Exercise(
        id="09.16",
        points=3,
        produce="a trained Keras model mapping sequences of shape (batch, 20, 1) to outputs "
        "of shape (batch, 20, 1) whose output at step t is the input at step t - 3",
        hint="return_sequences=True and a Dense(1) on every step; train on fresh N(0, 1) "
        "sequences with the loss on the steps t >= 3; a SimpleRNN with 16 units and a few "
        "hundred Adam steps is enough",
        check=delay_model_verdict,
    )
)
