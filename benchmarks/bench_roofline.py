"""Roofline of the CNN training step: achieved GFLOP/s against this machine's own roofs.

Not a test: it measures, in one run on the same machine,

* the compute roof: float32 matrix-multiply throughput (``tf.matmul`` of square
  matrices inside one compiled loop, best of several sizes and repeats);
* the memory roof: streaming bandwidth of an element-wise ``a + b`` on arrays far
  larger than the caches (bytes moved = two reads and one write);
* the CNN of ``bench_training.py`` trained by ``dlkit.training.fit`` (with and without
  XLA) and by ``model.fit``: its samples per second times its FLOPs per sample;
* the same model's Conv2D and Dense kernels timed alone at their real shapes (forward
  and backward, in an in-graph loop): what the kernels reach on these small shapes
  when nothing else runs. The gap between the matmul roof and this rate is the kernels'
  (small channel counts make thin matrix products); the gap between this rate and the
  training step is the rest of the step (pooling, activations, loss, optimizer, data).

FLOPs are counted from the layer shapes, not guessed: a convolution or dense layer
costs ``2 * outputs * fan_in`` FLOPs forward per sample (one multiply and one add per
weight use), and the backward pass costs the same again for the weight gradient and
again for the input gradient (skipped for the first layer, whose input needs none).
Pooling, activations, the loss and the optimizer update are left out: they are a few
percent of the total and are not matrix products. Arithmetic intensity is FLOPs over
an estimate of the bytes the step must move (every layer's input and output
activations read or written three times, weights and their gradients once per batch).

Writes ``benchmarks/results/roofline.json`` and ``benchmarks/results/roofline.png``.

Usage:
    python benchmarks/bench_roofline.py [--repeats 3] [--epochs 3]
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
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import dlkit  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def best_time(run, repeats):
    run()  # warm-up: tracing and compilation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_gflops(repeats, sizes=(256, 512, 1024, 2048)):
    """Best float32 matmul throughput over a few sizes; returns (best, per size)."""
    per_size = {}
    for n in sizes:
        a = tf.random.stateless_normal((n, n), seed=(1, 2))
        b = tf.random.stateless_normal((n, n), seed=(3, 4)) / n**0.5  # keeps norms steady
        loops = max(1, int(2e10 // (2 * n**3)))  # about 20 GFLOP per timed call

        @tf.function
        def chain(a, b, loops=loops):
            c = a
            for _ in tf.range(loops):
                c = tf.matmul(c, b)  # each product needs the last one: nothing is skipped
            return tf.reduce_sum(c)

        seconds = best_time(lambda a=a, b=b, chain=chain: chain(a, b).numpy(), repeats)
        per_size[n] = 2 * n**3 * loops / seconds / 1e9
    return max(per_size.values()), per_size


def stream_gbytes(repeats, n=32 * 1024 * 1024):
    """Streaming bandwidth of c = a + b on float32 vectors (3 * 4 bytes per element)."""
    a = tf.ones((n,))
    b = tf.ones((n,))
    loops = 10

    @tf.function
    def add(a, b):
        total = tf.constant(0.0)
        for _ in tf.range(loops):
            total += tf.reduce_max(a + b)  # the max re-reads c: counted as a 4th pass
        return total

    seconds = best_time(lambda: add(a, b).numpy(), repeats)
    return 4 * 4 * n * loops / seconds / 1e9


def layer_costs(model, batch_size):
    """FLOPs and bytes per sample of one training step, from the layers' shapes."""
    flops = 0.0
    activation_bytes = 0.0
    weight_bytes = 0.0
    rows = []
    first = True
    for layer in model.layers:
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            continue
        kernel = layer.kernel.shape
        out = layer.output.shape[1:]
        outputs = int(np.prod(out))
        if isinstance(layer, keras.layers.Conv2D):
            fan_in = int(np.prod(kernel[:-1]))  # kh * kw * c_in
        else:
            fan_in = int(kernel[0])
        forward = 2.0 * outputs * fan_in
        step = forward * (2 if first else 3)  # forward + weight grad (+ input grad)
        inputs = int(np.prod(layer.input.shape[1:]))
        rows.append({"layer": layer.name, "forward_flops": forward, "train_flops": step})
        flops += step
        activation_bytes += 3 * 4 * (inputs + outputs)
        weight_bytes += 2 * 4 * layer.count_params()
        first = False
    bytes_per_sample = activation_bytes + weight_bytes / batch_size
    return flops, bytes_per_sample, rows


def kernel_seconds(model, batch_size, repeats, loops=20):
    """Seconds per sample spent in the Conv2D/Dense kernels alone (forward and backward).

    Each layer's op is timed on its own, at its real shapes, in an in-graph loop: no
    Python, no data pipeline, no optimizer. Their sum is what a training step would take
    if nothing but these kernels ran, so total FLOPs / this time is the throughput the
    kernels themselves reach on these shapes (the "kernel roof" of this model).
    """
    total = 0.0
    first = True
    for layer in model.layers:
        if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            continue
        x = tf.random.stateless_normal((batch_size, *layer.input.shape[1:]), seed=(5, 6))
        kernel = tf.identity(layer.kernel)
        if isinstance(layer, keras.layers.Conv2D):
            strides, padding = layer.strides, layer.padding.upper()

            def forward(x, w, strides=strides, padding=padding):
                return tf.nn.conv2d(x, w, strides=strides, padding=padding)
        else:

            def forward(x, w):
                return tf.matmul(x, w)

        @tf.function
        def steps(x, w, forward=forward, input_grad=not first):
            total = tf.constant(0.0)
            for _ in tf.range(loops):
                with tf.GradientTape(persistent=True) as tape:
                    tape.watch([x, w])
                    y = forward(x, w)
                wanted = [w, x] if input_grad else [w]
                grads = tape.gradient(y, wanted)
                total += tf.reduce_sum(y[:1]) + sum(tf.reduce_sum(g[:1]) for g in grads)
            return total

        total += best_time(lambda steps=steps, x=x, w=kernel: steps(x, w).numpy(), repeats)
        first = False
    return total / (loops * batch_size)


def cnn_rates(epochs, repeats, batch_size):
    from bench_training import cnn_task, compiled

    task = cnn_task()
    task["batch_size"] = batch_size
    x, y = task["x"], task["y"]
    rates = {}
    for name, jit in (("dlkit", False), ("dlkit_xla", True)):
        model = compiled(task)
        seconds = best_time(
            lambda m=model, j=jit: dlkit.training.fit(
                m, x, y, batch_size=batch_size, epochs=epochs, verbose=0, jit_compile=j
            ),
            repeats,
        )
        rates[name] = epochs * len(x) / seconds
    model = compiled(task, steps_per_execution=32, jit_compile=False)
    seconds = best_time(
        lambda: model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0), repeats
    )
    rates["fit_spe32"] = epochs * len(x) / seconds
    return model, rates


def plot(path, peak, bandwidth, points):
    intensity = np.logspace(-2, 3, 200)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.loglog(intensity, np.minimum(peak, bandwidth * intensity), "k-", lw=2, label="roofline")
    ax.axhline(peak, color="gray", ls=":", lw=1)
    for label, (ai, gflops) in points.items():
        ax.loglog([ai], [gflops], "o", ms=8, label=f"{label}: {gflops:.1f} GFLOP/s")
    ax.set_xlabel("arithmetic intensity (FLOP per byte)")
    ax.set_ylabel("throughput (GFLOP/s)")
    ax.set_title(
        f"Roofline, float32 on {dlkit.runtime.device_summary()} "
        f"({peak:.0f} GFLOP/s matmul, {bandwidth:.1f} GB/s stream)"
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    dlkit.runtime.setup(seed=0, deterministic=False)

    peak, per_size = matmul_gflops(args.repeats)
    bandwidth = stream_gbytes(args.repeats)
    model, rates = cnn_rates(args.epochs, args.repeats, args.batch_size)
    flops, bytes_per_sample, rows = layer_costs(model, args.batch_size)
    intensity = flops / bytes_per_sample
    kernel_gflops = flops / kernel_seconds(model, args.batch_size, args.repeats) / 1e9
    achieved = {name: rate * flops / 1e9 for name, rate in rates.items()}
    best = max(achieved, key=achieved.get)

    print(
        f"matmul float32: {peak:.1f} GFLOP/s (by size: "
        + ", ".join(f"{n}: {g:.1f}" for n, g in per_size.items())
        + ")"
    )
    print(f"stream bandwidth: {bandwidth:.1f} GB/s")
    print(
        f"CNN step: {flops / 1e6:.2f} MFLOP and ~{bytes_per_sample / 1e6:.2f} MB per sample,"
        f" intensity {intensity:.1f} FLOP/byte"
    )
    print(
        f"  its Conv2D/Dense kernels alone: {kernel_gflops:6.1f} GFLOP/s"
        f" = {kernel_gflops / peak:6.1%} of matmul peak"
    )
    for name, gflops in achieved.items():
        print(
            f"  {name:<10} {rates[name]:>8.0f} samples/s = {gflops:6.1f} GFLOP/s"
            f" = {gflops / peak:6.1%} of matmul peak, {gflops / kernel_gflops:6.1%} of"
            " the kernels-alone rate"
        )

    args.out.mkdir(parents=True, exist_ok=True)
    plot(
        args.out / "roofline.png",
        peak,
        bandwidth,
        {
            f"matmul {max(per_size, key=per_size.get)}": (
                max(per_size, key=per_size.get) / 6.0,  # 2n^3 / (3 n^2 * 4 bytes)
                peak,
            ),
            f"CNN step ({best})": (intensity, achieved[best]),
        },
    )
    report = {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "device": dlkit.runtime.device_summary(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "matmul_gflops": round(peak, 1),
        "matmul_gflops_by_size": {str(n): round(g, 1) for n, g in per_size.items()},
        "stream_gbytes_per_s": round(bandwidth, 2),
        "cnn_batch_size": args.batch_size,
        "cnn_train_flops_per_sample": flops,
        "cnn_bytes_per_sample_estimate": round(bytes_per_sample),
        "cnn_arithmetic_intensity": round(intensity, 2),
        "cnn_layers": rows,
        "cnn_samples_per_second": {k: round(v, 1) for k, v in rates.items()},
        "cnn_gflops": {k: round(v, 2) for k, v in achieved.items()},
        "cnn_fraction_of_matmul_peak": {k: round(v / peak, 3) for k, v in achieved.items()},
        "cnn_kernels_alone_gflops": round(kernel_gflops, 2),
        "cnn_fraction_of_kernels_alone": {
            k: round(v / kernel_gflops, 3) for k, v in achieved.items()
        },
    }
    (args.out / "roofline.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.out / 'roofline.json'} and roofline.png")


if __name__ == "__main__":
    main()
