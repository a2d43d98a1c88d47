"""Chapter 09: the hidden references agree with the curriculum digest and with Keras.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch09.py`` recomputes with NumPy, are compared with
the numbers printed in ``shared/curriculum/09-rnn-lstm.md`` §4, and the references that
describe Keras layers are compared with those layers: the RNN forward function, the LSTM
and GRU steps, parameter counts, output shapes, clipping, the GRU update-gate convention,
the CO2 baselines (recomputed from ``dlkit.data``) and the delay-line reference model.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlkit.checks.ch09 import DELAY, RNN_FORWARD_INPUTS, delay_model_verdict, delay_task
from hidden_checks.ch09 import (
    CO2_MAE,
    CO2_RMSE,
    PROBES,
    REFERENCE,
    SPLIT_14,
    WINDOW_14,
    WRONG,
)

# The digest's answers, as printed there (rounded).
DIGEST = {
    "09.1": {
        "h1": [0.522665, 0.551128],
        "y1": 1.263568,
        "loss": 0.069468,
        "grad_W_hy": [0.275516, 0.290519],
        "grad_W_xh": [[0.229880, 0.344820], [0.176171, 0.264256]],
        "grad_W_hh": [[0.0, 0.0], [0.0, 0.0]],
        "grad_b_h": [0.383133, 0.293618],
    },
    "09.3": {
        "h": [0.537050, 0.485106],
        "loss": 0.118350,
        "grad_w_x": 0.237530,
        "grad_w_h": 0.199217,
        "grad_b": 0.608477,
    },
    "09.4": {
        "eigenvalues": [0.5868, 2.1132],
        "spectral_norm": 2.1158,
        "h50": [0.958868, 0.972531],
        "log10_jacobian_norm": np.log10(2.6e-35),
    },
    "09.5": {
        "global_norm": 13.0,
        "scale": 0.3846,
        "g1_global": [1.1538, 1.5385],
        "g2_global": [4.6154],
        "g1_per_tensor": [3.0, 4.0],
        "g2_per_tensor": [5.0],
    },
    "09.6": {"c1": 0.849113, "h1": 0.608283, "c2": 1.712197, "h2": 0.872637},
    "09.7": {"textbook_h": [0.971109, 0.971109], "keras_h": [0.508980, 0.508980]},
    "09.8": {
        "log10_b1": np.log10(1.90e-3),
        "log10_b0": np.log10(9.54e-7),
        "log10_b3": np.log10(0.378),
    },
    "09.9": {
        "simple_rnn": 400,
        "lstm_keras": 1600,
        "lstm_torch": 1664,
        "gru_keras": 1248,
        "gru_keras_reset_before": 1200,
        "gru_torch": 1248,
    },
    "09.10": {"lstm_1": 5504, "lstm_2": 3136, "dense": 17, "total": 8657, "bidirectional": 11008},
    "09.13": {"constant_one": 0.1667, "first_value_only": 1 / 12},
    "09.14": {
        "n_windows": 502,
        "persistence_rmse": 1.268,
        "seasonal_rmse": 1.787,
        "seasonal_drift_rmse": 0.390,
    },
    "09.15": {
        "entropy_bits": 2.040373,
        "entropy_nats": 1.414279,
        "perplexity": 4.1135,
        "bits_per_char": 1.40 / np.log(2),
        "perplexity_from_loss": np.exp(1.40),
    },
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(
            REFERENCE[exercise_id][key], printed, rtol=2e-3, atol=1e-5, err_msg=key
        )


def test_rnn_forward_reference_matches_simple_rnn():
    for inputs, kernel, recurrent_kernel, bias in RNN_FORWARD_INPUTS + PROBES["09.2"]:
        layer = keras.layers.SimpleRNN(len(bias), return_sequences=True, dtype="float64")
        layer.build((None, None, inputs.shape[1]))
        layer.set_weights([kernel, recurrent_kernel, bias])
        expected = layer(inputs[None])[0]
        np.testing.assert_allclose(
            REFERENCE["09.2"](inputs, kernel, recurrent_kernel, bias), expected, rtol=1e-10
        )
    # the digest's first example (column form), h_1 .. h_3
    np.testing.assert_allclose(
        REFERENCE["09.2"](*RNN_FORWARD_INPUTS[0]),
        [[0.537050, 0.833655], [0.866892, 0.990910], [0.954923, 0.999106]],
        atol=1e-6,
    )
    # the transposed recurrent kernel differs on at least two probes
    differ = [
        not np.allclose(WRONG["09.2"](*args), REFERENCE["09.2"](*args)) for args in PROBES["09.2"]
    ]
    assert sum(differ) >= 2


def test_scalar_lstm_reference_matches_keras():
    layer = keras.layers.LSTM(1, return_sequences=True, return_state=True, dtype="float64")
    layer.build((None, 2, 1))
    layer.set_weights([np.ones((1, 4)), np.ones((1, 4)), np.ones(4)])
    sequence, _, c_last = layer(np.ones((1, 2, 1)))
    reference = REFERENCE["09.6"]
    np.testing.assert_allclose(sequence[0, :, 0], [reference["h1"], reference["h2"]], rtol=1e-10)
    np.testing.assert_allclose(c_last[0, 0], reference["c2"], rtol=1e-10)


def test_gru_keras_reference_matches_keras():
    layer = keras.layers.GRU(2, dtype="float64")
    layer.build((None, 1, 2))
    layer.set_weights([np.ones((2, 6)), np.ones((2, 6)), np.ones((2, 6))])
    out = layer(np.array([[[1.0, 0.0]]]), initial_state=np.array([[0.5, 0.5]]))
    np.testing.assert_allclose(out[0], REFERENCE["09.7"]["keras_h"], rtol=1e-10)


def test_gru_update_gate_one_keeps_the_state():
    # Statement (d) of 09.12 is false: in Keras z = 1 keeps h_{t-1}.
    layer = keras.layers.GRU(2, dtype="float64")
    layer.build((None, 1, 3))
    kernel, recurrent, bias = layer.get_weights()
    bias[0, :2] = 60.0
    layer.set_weights([kernel, recurrent, bias])
    h_prev = np.array([[0.3, -0.2]])
    out = layer(np.ones((1, 1, 3)), initial_state=h_prev)
    np.testing.assert_allclose(out, h_prev, atol=1e-12)
    assert REFERENCE["09.12"] == "b"


def test_forget_bias_retention_matches_keras():
    layer = keras.layers.LSTM(1, return_state=True, dtype="float64")
    layer.build((None, 20, 1))
    for b in (1, 0, 3):
        layer.set_weights([np.zeros((1, 4)), np.zeros((1, 4)), np.array([-60.0, b, 0.0, 60.0])])
        _, _, c_last = layer(
            np.zeros((1, 20, 1)), initial_state=[np.zeros((1, 1)), np.ones((1, 1))]
        )
        np.testing.assert_allclose(np.log10(c_last[0, 0]), REFERENCE["09.8"][f"log10_b{b}"])


def test_parameter_counts_match_keras():
    counts = REFERENCE["09.9"]
    layers = {
        "simple_rnn": keras.layers.SimpleRNN(16),
        "lstm_keras": keras.layers.LSTM(16),
        "gru_keras": keras.layers.GRU(16),
        "gru_keras_reset_before": keras.layers.GRU(16, reset_after=False),
    }
    for key, layer in layers.items():
        layer.build((None, None, 8))
        assert layer.count_params() == counts[key], key
    stacked = keras.Sequential(
        [
            keras.Input((None, 10)),
            keras.layers.LSTM(32, return_sequences=True),
            keras.layers.LSTM(16),
            keras.layers.Dense(1),
        ]
    )
    reference = REFERENCE["09.10"]
    assert [layer.count_params() for layer in stacked.layers] == [
        reference["lstm_1"],
        reference["lstm_2"],
        reference["dense"],
    ]
    assert stacked.count_params() == reference["total"]
    bidirectional = keras.layers.Bidirectional(keras.layers.LSTM(32))
    bidirectional.build((None, None, 10))
    assert bidirectional.count_params() == reference["bidirectional"]


def test_shapes_match_keras():
    batch = tf.zeros((32, 50, 8))
    sequence, h, c = keras.layers.LSTM(16, return_sequences=True, return_state=True)(batch)
    both = keras.layers.Bidirectional(keras.layers.LSTM(16, return_sequences=True))(batch)
    assert REFERENCE["09.11"] == {
        "sequence": tuple(sequence.shape),
        "state_h": tuple(h.shape),
        "state_c": tuple(c.shape),
        "bidirectional_sequence": tuple(both.shape),
    }


def test_clipping_matches_tensorflow():
    reference = REFERENCE["09.5"]
    (g1, g2), norm = tf.clip_by_global_norm([tf.constant([3.0, 4.0]), tf.constant([12.0])], 5.0)
    np.testing.assert_allclose(float(norm), reference["global_norm"])
    np.testing.assert_allclose(g1, reference["g1_global"], rtol=1e-6)
    np.testing.assert_allclose(g2, reference["g2_global"], rtol=1e-6)
    np.testing.assert_allclose(tf.clip_by_norm([12.0], 5.0), reference["g2_per_tensor"])


def test_co2_numbers_recompute_from_the_data():
    pd = pytest.importorskip("pandas")
    from dlkit.data import load_series

    t, weekly = load_series("co2", verbose=False)
    year = np.floor(t).astype(int)
    day = np.round((t - year) * 365.25).astype(int)
    dates = pd.to_datetime(year.astype(str), format="%Y") + pd.to_timedelta(day, unit="D")
    monthly = pd.Series(weekly.astype("float64"), index=dates).resample("MS").mean().to_numpy()
    assert len(monthly) == 526 and not np.isnan(monthly).any()
    test = np.arange(SPLIT_14, len(monthly))
    forecasts = {
        "persistence_rmse": monthly[test - 1],
        "seasonal_rmse": monthly[test - 12],
        "seasonal_drift_rmse": monthly[test - 12] + monthly[test - 1] - monthly[test - 13],
    }
    for key, forecast in forecasts.items():
        errors = forecast - monthly[test]
        np.testing.assert_allclose(np.sqrt(np.mean(errors**2)), CO2_RMSE[key], rtol=1e-12)
        np.testing.assert_allclose(np.mean(np.abs(errors)), CO2_MAE[key], rtol=1e-12)

    def count(inputs):
        dataset = keras.utils.timeseries_dataset_from_array(
            inputs, targets=monthly[WINDOW_14:], sequence_length=WINDOW_14
        )
        return sum(int(y.shape[0]) for _, y in dataset)

    assert count(monthly[:-1]) == REFERENCE["09.14"]["n_windows"]
    # the call the digest quotes, with inputs monthly[:-24], is the wrong answer's count
    assert count(monthly[:-WINDOW_14]) == WRONG["09.14"]["n_windows"]


def test_delay_reference_model_is_an_exact_shift_register():
    x, y = delay_task(seed=11, n=8)
    np.testing.assert_allclose(REFERENCE["09.16"](x), y, atol=1e-6)
    assert delay_model_verdict(REFERENCE["09.16"], seed=3)[0]
    assert not delay_model_verdict(WRONG["09.16"], seed=3)[0]
    np.testing.assert_allclose(WRONG["09.16"](x)[:, DELAY - 1 :], x[:, : -DELAY + 1], atol=1e-6)
