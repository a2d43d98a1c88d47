"""dlkit.training.fit under tf.distribute (two logical CPU devices) and mixed precision.

Logical devices must be configured before TensorFlow initialises, so each check runs
in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

PRELUDE = textwrap.dedent(
    """
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    tf.config.experimental.enable_op_determinism()
    import keras
    from dlkit import training

    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 3)) > 0).argmax(1).astype("int64")

    def build(strategy=None, dtype=None):
        keras.utils.set_random_seed(0)
        def make():
            model = keras.Sequential([keras.Input((6,)),
                                      keras.layers.Dense(16, activation="relu", dtype=dtype),
                                      keras.layers.Dropout(0.0),
                                      keras.layers.Dense(3, dtype=dtype)])
            model.compile(keras.optimizers.Adam(1e-2),
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          metrics=["accuracy"])
            return model
        if strategy is None:
            return make()
        with strategy.scope():
            return make()
    """
)


def _run(body: str, n: int) -> dict:
    code = PRELUDE.replace("N, 6", f"{n}, 6") + textwrap.dedent(body)
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("n, batch_size", [(96, 16), (100, 16), (99, 16)])
def test_mirrored_fit_matches_model_fit_and_one_device(n, batch_size):
    result = _run(
        f"""
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        ours = build(strategy)
        h1 = training.fit(ours, x, y, batch_size={batch_size}, epochs=3, shuffle=False,
                          verbose=0, strategy=strategy, validation_data=(x[:40], y[:40]))
        theirs = build(strategy)
        h2 = theirs.fit(x, y, batch_size={batch_size}, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:40], y[:40]))
        single = build()
        h3 = training.fit(single, x, y, batch_size={batch_size}, epochs=3, shuffle=False,
                          verbose=0)
        w = lambda m: np.concatenate([v.ravel() for v in m.get_weights()])
        print(json.dumps({{
            "replicas": strategy.num_replicas_in_sync,
            "vs_model_fit": float(np.abs(w(ours) - w(theirs)).max()),
            "vs_one_device": float(np.abs(w(ours) - w(single)).max()),
            "loss": h1.history["loss"], "loss_model_fit": h2.history["loss"],
            "loss_one_device": h3.history["loss"],
            "val": h1.history["val_loss"], "val_model_fit": h2.history["val_loss"],
            "acc": h1.history["accuracy"], "acc_model_fit": h2.history["accuracy"],
        }}))
        """,
        n,
    )
    assert result["replicas"] == 2
    assert result["vs_model_fit"] < 1e-5, result
    if (n % batch_size) % 2 == 0:  # every batch splits evenly over the two replicas
        assert result["vs_one_device"] < 1e-4, result
    else:
        # Keras averages the two replicas' *mean* losses, so a last batch of 3 split 2 + 1
        # weighs its samples 1/4, 1/4, 1/2 instead of 1/3 each: model.fit and fit agree,
        # and both differ from one device. Shown here so the difference stays known.
        assert result["vs_one_device"] > 1e-3, result
    for ours, theirs in (
        ("loss", "loss_model_fit"),
        ("val", "val_model_fit"),
        ("acc", "acc_model_fit"),
    ):
        assert result[ours] == pytest.approx(result[theirs], abs=1e-5), (ours, result)
    assert result["loss"][-1] < result["loss"][0]


def test_strategy_misuse_is_reported():
    result = _run(
        """
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        errors = []
        plain = build()
        for call in (lambda: training.fit(plain, x, y, strategy=strategy, verbose=0),
                     lambda: training.fit(plain, x, y, strategy="mirrored", verbose=0)):
            try:
                call()
            except (ValueError, TypeError) as error:
                errors.append(str(error))
        with strategy.scope():
            try:
                training.fit(plain, x, y, verbose=0)
            except ValueError as error:
                errors.append(str(error))
        print(json.dumps(errors))
        """,
        32,
    )
    assert len(result) == 3
    assert "not built under this strategy" in result[0]
    assert "must be a tf.distribute.Strategy" in result[1]
    assert "inside a strategy scope the model was not built under" in result[2]


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_fit_matches_model_fit(policy):
    result = _run(
        f"""
        keras.mixed_precision.set_global_policy("{policy}")
        ours, theirs = build(), build()
        h1 = training.fit(ours, x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        h2 = theirs.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        w = lambda m: np.concatenate([v.ravel() for v in m.get_weights()])
        print(json.dumps({{
            "compute": ours.layers[0].compute_dtype, "variable": ours.layers[0].variable_dtype,
            "optimizer": type(ours.optimizer).__name__,
            "diff": float(np.abs(w(ours) - w(theirs)).max()),
            "loss": h1.history["loss"], "loss_model_fit": h2.history["loss"],
        }}))
        """,
        64,
    )
    assert result["compute"] == policy.split("_")[1] and result["variable"] == "float32"
    if policy == "mixed_float16":
        assert result["optimizer"] == "LossScaleOptimizer"
    assert result["diff"] < 1e-6, result
    assert result["loss"] == pytest.approx(result["loss_model_fit"], abs=1e-6)
