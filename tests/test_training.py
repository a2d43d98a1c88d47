"""dlkit.training.fit: same numbers as model.fit, compiled once, callbacks, clear errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlkit import data, training


@pytest.fixture(scope="module")
def digits():
    x, y = data.load_digits(flatten=True, verbose=False)
    return x[:430], y[:430], x[1500:1620], y[1500:1620]  # 430 = 13 full batches of 32 + 14


def make_mlp(seed=1, optimizer="adam", jit_compile=False, dropout=0.0):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((64,)), keras.layers.Dense(32, activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(10))
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.get(optimizer),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=jit_compile,
    )
    return model


def max_weight_difference(a, b):
    return max(float(np.abs(u - v).max()) for u, v in zip(a.get_weights(), b.get_weights()))


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_same_weights_and_logs_as_model_fit(digits, optimizer):
    x, y, x_val, y_val = digits
    reference, ours = make_mlp(optimizer=optimizer), make_mlp(optimizer=optimizer)
    assert max_weight_difference(reference, ours) == 0.0
    kwargs = dict(batch_size=32, epochs=3, validation_data=(x_val, y_val), verbose=0)
    expected = reference.fit(x, y, shuffle=False, **kwargs).history
    got = training.fit(ours, x, y, shuffle=False, steps_per_call=5, **kwargs).history
    assert max_weight_difference(reference, ours) < 1e-5
    assert sorted(got) == sorted(expected) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert int(ours.optimizer.iterations) == 3 * 14  # 13 full batches + the partial one


def test_same_weights_with_dropout(digits):
    """Dropout draws from the model's seed generator inside train_step: still identical."""
    x, y, *_ = digits
    reference, ours = make_mlp(dropout=0.3), make_mlp(dropout=0.3)
    reference.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
    training.fit(ours, x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
    assert max_weight_difference(reference, ours) < 1e-5


def test_traces_once_per_input_signature(digits):
    x, y, x_val, y_val = digits
    model = make_mlp()
    training.fit(model, x, y, epochs=3, validation_data=(x_val, y_val), verbose=0, steps_per_call=4)
    counts = model._dlkit_loop.tracing_counts()
    # one trace for the full batches, one for the last partial batch (430 % 32 = 14);
    # 120 validation samples = 3 full batches + a partial one of 24
    assert counts == {"train": 2, "evaluate": 2}
    training.fit(model, x, y, epochs=2, validation_data=(x_val, y_val), verbose=0, steps_per_call=3)
    assert model._dlkit_loop.tracing_counts() == counts
    # a new dataset size is a new input signature: one more trace, then none
    training.fit(model, x[:416], y[:416], epochs=2, verbose=0)  # 13 full batches, no tail
    assert model._dlkit_loop.tracing_counts() == {"train": 3, "evaluate": 2}
    training.fit(model, x[:416], y[:416], epochs=2, verbose=0)
    assert model._dlkit_loop.tracing_counts() == {"train": 3, "evaluate": 2}


def test_shuffle_is_seeded_and_changes_the_order(digits):
    x, y, *_ = digits
    runs = []
    for _ in range(2):
        np.random.seed(7)
        model = make_mlp()
        training.fit(model, x, y, epochs=2, verbose=0)
        runs.append(model)
    assert max_weight_difference(*runs) == 0.0
    unshuffled = make_mlp()
    training.fit(unshuffled, x, y, epochs=2, verbose=0, shuffle=False)
    assert max_weight_difference(runs[0], unshuffled) > 1e-4


def test_training_reduces_the_loss(digits):
    x, y, x_val, y_val = digits
    model = make_mlp(optimizer=keras.optimizers.Adam(0.01))
    history = training.fit(model, x, y, epochs=8, validation_data=(x_val, y_val), verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert history.history["val_accuracy"][-1] > 0.7


def test_callbacks_history_lambda_early_stopping_checkpoint(digits, tmp_path):
    x, y, x_val, y_val = digits
    model = make_mlp()
    seen = {"epochs": 0, "batches": 0}
    counter = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.__setitem__("epochs", seen["epochs"] + 1),
        on_train_batch_end=lambda batch, logs: seen.__setitem__("batches", seen["batches"] + 1),
    )
    # val_loss can never improve by 10 nats, so training stops after 1 + patience epochs
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=10.0, patience=2)
    path = tmp_path / "best.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    history = training.fit(
        model,
        x,
        y,
        epochs=20,
        steps_per_call=1,
        verbose=0,
        validation_data=(x_val, y_val),
        callbacks=[counter, stopper, checkpoint],
    )
    assert isinstance(history, keras.callbacks.History) and model.history is history
    assert len(history.history["loss"]) == 3 == seen["epochs"]
    assert seen["batches"] == 3 * 14  # steps_per_call=1: one batch hook per optimizer step
    reloaded = keras.models.load_model(path)
    assert reloaded.count_params() == model.count_params()


def test_early_stopping_restores_best_weights(digits):
    x, y, x_val, y_val = digits
    model = make_mlp()
    snapshots = []
    keep = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: snapshots.append(model.get_weights())
    )
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss", min_delta=10.0, patience=2, restore_best_weights=True
    )
    training.fit(
        model, x, y, epochs=10, verbose=0, validation_data=(x_val, y_val), callbacks=[keep, stopper]
    )
    first_epoch = snapshots[0]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), first_epoch))


def test_progress_output(digits, capsys):
    x, y, *_ = digits
    training.fit(make_mlp(), x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "14/14" in out and "loss:" in out


def test_xla_path_matches(digits):
    x, y, *_ = digits
    reference, ours = make_mlp(), make_mlp()
    reference.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    training.fit(ours, x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, jit_compile=True)
    assert ours._dlkit_loop.jit_compile
    assert max_weight_difference(reference, ours) < 1e-4  # XLA may fuse ops: not bitwise equal


def test_multi_input_model_and_tensors():
    keras.utils.set_random_seed(0)
    a_in, b_in = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a_in, b_in]))
    model = keras.Model({"a": a_in, "b": b_in}, out)
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    x = {
        "a": rng.normal(size=(50, 3)).astype("float32"),
        "b": tf.constant(rng.normal(size=(50, 2)), tf.float32),
    }
    target = x["a"].sum(axis=1, keepdims=True)
    history = training.fit(model, x, target, batch_size=10, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_float64_inputs_are_cast_like_model_fit(digits):
    x, y, *_ = digits
    reference, ours = make_mlp(), make_mlp()
    reference.fit(x.astype("float64"), y, epochs=1, shuffle=False, verbose=0)
    training.fit(ours, x.astype("float64"), y, epochs=1, shuffle=False, verbose=0)
    assert max_weight_difference(reference, ours) < 1e-5


# --- bad input: a clear error naming the argument, never a graph traceback -------------


def test_rejects_uncompiled_model(digits):
    x, y, *_ = digits
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="must be compiled"):
        training.fit(model, x, y)


def test_rejects_non_model(digits):
    x, y, *_ = digits
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        training.fit(lambda t: t, x, y)


def test_rejects_length_mismatch(digits):
    x, y, *_ = digits
    with pytest.raises(ValueError, match="x and y must have the same length.*430.*429"):
        training.fit(make_mlp(), x, y[:-1])


def test_rejects_wrong_rank(digits):
    x, y, *_ = digits
    with pytest.raises(ValueError, match=r"x has rank 3 .* expects rank 2"):
        training.fit(make_mlp(), x.reshape(-1, 8, 8), y)


def test_rejects_wrong_feature_size(digits):
    x, y, *_ = digits
    with pytest.raises(ValueError, match=r"axis 1 is 63, expected 64"):
        training.fit(make_mlp(), x[:, :63], y)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an int"),
        ({"epochs": -1}, ValueError, "epochs must be >= 0"),
        ({"steps_per_call": 0}, ValueError, "steps_per_call must be >= 1"),
        ({"verbose": 5}, ValueError, "verbose must be"),
        ({"validation_data": (np.zeros((3, 64)),)}, ValueError, "validation_data must be a tuple"),
    ],
)
def test_rejects_bad_arguments(digits, kwargs, error, pattern):
    x, y, *_ = digits
    with pytest.raises(error, match=pattern):
        training.fit(make_mlp(), x, y, **kwargs)


def test_rejects_non_array_input():
    with pytest.raises(TypeError, match="x must be a NumPy array"):
        training.fit(make_mlp(), "not data", np.zeros(3))
