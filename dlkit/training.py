"""A compiled training loop: many optimizer steps per ``tf.function`` call.

``model.fit`` pulls every batch out of a ``tf.data`` iterator and returns to Python
between calls. :func:`fit` instead keeps the whole training set on the device as
tensors, slices batches by index *inside* the graph and runs ``steps_per_call``
optimizer steps per call. Each step is the model's own ``train_step`` (so losses,
metrics, mixed-precision loss scaling and custom ``train_step`` overrides behave
exactly as in ``model.fit``), and the result is a ``keras.callbacks.History``.

Example:
    >>> model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    >>> model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    >>> history = fit(model, x, y, batch_size=64, epochs=5)  # doctest: +SKIP
    >>> history.history["loss"][-1] < history.history["loss"][0]  # doctest: +SKIP
    True
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = ["fit", "lr_range_test", "CompiledLoop"]


# ---------------------------------------------------------------------------
# Argument checking: clear errors at the boundary, never a graph traceback.
# ---------------------------------------------------------------------------


def _is_array_like(value: Any) -> bool:
    return isinstance(value, (np.ndarray, tf.Tensor, tf.Variable, list)) or hasattr(
        value, "__array__"
    )


def _to_tensors(name: str, data: Any) -> Any:
    """Convert every leaf of a nested structure to a tensor with a batch axis."""
    if data is None:
        return None

    def convert(leaf):
        if not _is_array_like(leaf):
            raise TypeError(
                f"{name} must be a NumPy array or tensor (or a tuple/dict of them), "
                f"got {type(leaf).__name__}"
            )
        array = leaf if isinstance(leaf, (tf.Tensor, tf.Variable)) else np.asarray(leaf)
        if array.dtype == np.float64 or array.dtype == tf.float64:
            array = tf.cast(array, keras.config.floatx())  # what model.fit does too
        tensor = tf.convert_to_tensor(array)
        if tensor.shape.rank == 0:
            raise ValueError(f"{name} must have a batch axis, got a scalar")
        return tensor

    return tf.nest.map_structure(convert, data)


def _num_samples(name: str, data: Any) -> int:
    sizes = {int(leaf.shape[0]) for leaf in tf.nest.flatten(data)}
    if len(sizes) != 1:
        raise ValueError(
            f"all arrays in {name} must have the same length, got lengths {sorted(sizes)}"
        )
    return sizes.pop()


def _check_rank(model: keras.Model, x: Any) -> None:
    try:
        expected = model.inputs
    except (AttributeError, ValueError):
        return  # a subclassed or not-yet-built model: its shape is not known in advance
    if not expected:
        return
    leaves = tf.nest.flatten(x)
    if len(expected) != len(leaves):
        raise ValueError(f"the model has {len(expected)} inputs but x holds {len(leaves)} arrays")
    for spec, leaf in zip(expected, leaves):
        want = tuple(spec.shape)
        if leaf.shape.rank != len(want):
            raise ValueError(
                f"x has rank {leaf.shape.rank} (shape {tuple(leaf.shape)}) but the model expects "
                f"rank {len(want)} inputs of shape {want}; reshape x, e.g. x[..., None] adds a "
                "channel axis"
            )
        for axis, (got, need) in enumerate(zip(leaf.shape[1:], want[1:]), start=1):
            if need is not None and got != need:
                raise ValueError(
                    f"x has shape {tuple(leaf.shape)} but the model expects {want} "
                    f"(axis {axis} is {got}, expected {need})"
                )


def _check_int(name: str, value: Any, minimum: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _check_model(model: Any) -> None:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError(
            "model must be compiled before training: call "
            "model.compile(optimizer=..., loss=...) first"
        )
    if tf.distribute.has_strategy() or (
        model.distribute_strategy is not tf.distribute.get_strategy()
    ):
        raise ValueError(
            "dlkit.training.fit runs on one device; for a tf.distribute strategy use model.fit"
        )


def _unpack_validation(validation_data: Any) -> tuple[Any, Any]:
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val), "
            f"got {type(validation_data).__name__}"
            + (
                f" of length {len(validation_data)}"
                if isinstance(validation_data, (tuple, list))
                else ""
            )
        )
    return validation_data[0], validation_data[1]


def _python_logs(logs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in logs.items():
        array = np.asarray(value)
        out[key] = float(array) if array.size == 1 else array
    return out


# ---------------------------------------------------------------------------
# The compiled functions.
# ---------------------------------------------------------------------------


class CompiledLoop:
    """The compiled train/eval functions of one model, batch size and XLA setting.

    Two ``tf.function``s do all the work, each traced once per input signature:

    * ``run(data, batch_indices, first, count, training)``: ``count`` full batches,
      batch ``k`` being ``gather(data, batch_indices[first + k])``;
    * the same function with a ``(1, r)`` index matrix runs the last, partial batch.

    ``first`` and ``count`` are tensors, so neither the chunk size nor the position
    in the epoch causes a retrace. :func:`fit` caches one loop per model.
    """

    def __init__(self, model: keras.Model, jit_compile: bool):
        self.model = model
        self.jit_compile = bool(jit_compile)
        # XLA compiles one step (as Keras does); the loop around it stays a TF graph,
        # because a whole while-loop compiled by XLA runs convolutions slowly on CPUs.
        self._train_step = tf.function(model.train_step, jit_compile=self.jit_compile)
        self._test_step = tf.function(model.test_step, jit_compile=self.jit_compile)
        self.train = tf.function(self._train)
        self.evaluate = tf.function(self._evaluate)

    @staticmethod
    def _batch(data, batch_indices, position):
        indices = batch_indices[position]  # (batch,) rows of this batch
        return tf.nest.map_structure(lambda t: tf.gather(t, indices), data)

    def _train(self, data, batch_indices, first, count):
        logs = self._train_step(self._batch(data, batch_indices, first))
        for k in tf.range(1, count):
            logs = self._train_step(self._batch(data, batch_indices, first + k))
        return logs

    def _evaluate(self, data, batch_indices, first, count):
        logs = self._test_step(self._batch(data, batch_indices, first))
        for k in tf.range(1, count):
            logs = self._test_step(self._batch(data, batch_indices, first + k))
        return logs

    def tracing_counts(self) -> dict[str, int]:
        """How many times each compiled function has been traced (for tests)."""
        return {
            "train": self.train.experimental_get_tracing_count(),
            "evaluate": self.evaluate.experimental_get_tracing_count(),
        }


def _get_loop(model: keras.Model, jit_compile: bool) -> CompiledLoop:
    loop = getattr(model, "_dlkit_loop", None)
    if loop is None or loop.jit_compile != bool(jit_compile):
        loop = CompiledLoop(model, jit_compile)
        model._dlkit_loop = loop  # reused by later fit calls: no retracing
    return loop


def _split_batches(order: np.ndarray, batch_size: int) -> tuple[tf.Tensor, tf.Tensor | None]:
    """Split a sample order into a (n_full, batch) index matrix and a (1, rest) tail."""
    n_full = len(order) // batch_size
    full = tf.constant(order[: n_full * batch_size].reshape(n_full, batch_size), tf.int32)
    rest = order[n_full * batch_size :]
    tail = tf.constant(rest.reshape(1, -1), tf.int32) if len(rest) else None
    return full, tail


def _chunks(n_full: int, has_tail: bool, steps_per_call: int):
    """Yield (indices_kind, first, count) so that the epoch runs in order."""
    for first in range(0, n_full, steps_per_call):
        yield "full", first, min(steps_per_call, n_full - first)
    if has_tail:
        yield "tail", 0, 1


def _run_validation(loop, model, data, batch_size, callback_list) -> dict[str, Any]:
    n = _num_samples("validation_data", data)
    full, tail = _split_batches(np.arange(n), batch_size)
    model.reset_metrics()
    callback_list.on_test_begin()
    logs: dict[str, Any] = {}
    for kind, first, count in _chunks(
        int(full.shape[0]), tail is not None, max(1, int(full.shape[0]))
    ):
        indices = full if kind == "full" else tail
        callback_list.on_test_batch_begin(first)
        logs = _python_logs(loop.evaluate(data, indices, tf.constant(first), tf.constant(count)))
        callback_list.on_test_batch_end(first + count - 1, logs)
    callback_list.on_test_end(logs)
    return logs


def fit(
    model: keras.Model,
    x: Any,
    y: Any = None,
    *,
    batch_size: int = 32,
    epochs: int = 1,
    validation_data: tuple[Any, Any] | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: int | str = 1,
    steps_per_call: int | None = None,
    jit_compile: bool | None = None,
    shuffle: bool = True,
) -> keras.callbacks.History:
    """Train a compiled Keras model like ``model.fit``, with many steps per compiled call.

    The arguments mean what they mean for ``model.fit``. Batches are taken in
    order (or in a fresh permutation each epoch when ``shuffle``, drawn from
    NumPy's global generator, which :func:`dlkit.runtime.setup` seeds); the last
    batch of an epoch may be smaller, exactly as in ``model.fit``. With
    ``shuffle=False`` the final weights match ``model.fit(shuffle=False)``.

    Args:
        model: a compiled ``keras.Model`` (its own ``train_step`` is used).
        x: inputs: an array/tensor, or a tuple/dict of them for multi-input models.
        y: targets, same length as ``x``; ``None`` for models whose ``train_step``
            needs no targets.
        batch_size: samples per optimizer step (>= 1).
        epochs: passes over the data (>= 0).
        validation_data: ``(x_val, y_val)``, evaluated at the end of every epoch;
            its metrics are logged with a ``val_`` prefix.
        callbacks: Keras callbacks (EarlyStopping, ModelCheckpoint, LambdaCallback,
            ...). Batch-level hooks fire once per compiled call, as with
            ``steps_per_execution`` in Keras; use ``steps_per_call=1`` for per-step hooks.
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.
        steps_per_call: optimizer steps per compiled call; ``None`` picks about
            ten calls per epoch (so the progress bar still moves).
        jit_compile: compile with XLA; ``None`` follows ``model.jit_compile``.
        shuffle: reshuffle the training data every epoch.

    Returns:
        The ``keras.callbacks.History`` (also left as ``model.history``).

    Raises:
        TypeError: ``model`` is not a Keras model, or an argument has the wrong type.
        ValueError: the model is not compiled, ``x`` and ``y`` differ in length,
            ``x`` has the wrong rank or shape, or a count is out of range.

    Example:
        >>> history = fit(model, x_train, y_train, batch_size=64, epochs=3,
        ...               validation_data=(x_val, y_val))  # doctest: +SKIP
    """
    _check_model(model)
    _check_int("batch_size", batch_size, 1)
    _check_int("epochs", epochs, 0)
    _check_int("steps_per_call", steps_per_call, 1, allow_none=True)
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    verbose = 1 if verbose == "auto" else verbose
    if x is None:
        raise ValueError("x must hold the training inputs, got None")

    x = _to_tensors("x", x)
    y = _to_tensors("y", y)
    n = _num_samples("x", x)
    if n == 0:
        raise ValueError("x is empty: there is nothing to train on")
    n_targets = n if y is None else _num_samples("y", y)
    if n_targets != n:
        raise ValueError(
            f"x and y must have the same length, got {n} samples in x and {n_targets} in y"
        )
    _check_rank(model, x)
    data = (x,) if y is None else (x, y)

    val_data = None
    if validation_data is not None:
        x_val, y_val = _unpack_validation(validation_data)
        x_val, y_val = (
            _to_tensors("validation_data[0]", x_val),
            _to_tensors("validation_data[1]", y_val),
        )
        if y_val is not None and _num_samples("validation_data[0]", x_val) != _num_samples(
            "validation_data[1]", y_val
        ):
            raise ValueError("validation_data: x_val and y_val must have the same length")
        _check_rank(model, x_val)
        val_data = (x_val,) if y_val is None else (x_val, y_val)

    if jit_compile is None:
        jit_compile = model.jit_compile is True
    # Build the model, its metrics and its optimizer's slots eagerly, as model.fit does,
    # so that no variable is created inside the compiled functions.
    model._symbolic_build(data_batch=tf.nest.map_structure(lambda t: t[:batch_size], data))
    loop = _get_loop(model, jit_compile)

    n_full, has_tail = n // batch_size, n % batch_size > 0
    steps_per_epoch = n_full + int(has_tail)
    if steps_per_call is None:
        steps_per_call = max(1, math.ceil(n_full / 10))
    callback_list = keras.callbacks.CallbackList(
        callbacks,
        add_history=True,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=steps_per_epoch,
        model=model,
    )

    model.stop_training = False
    callback_list.on_train_begin()
    logs: dict[str, Any] = {}
    epoch_logs: dict[str, Any] | None = None
    for epoch in range(epochs):
        order = np.random.permutation(n) if shuffle else np.arange(n)
        full, tail = _split_batches(order, batch_size)
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        step = 0
        for kind, first, count in _chunks(n_full, has_tail, steps_per_call):
            indices = full if kind == "full" else tail
            callback_list.on_train_batch_begin(step)
            logs = _python_logs(loop.train(data, indices, tf.constant(first), tf.constant(count)))
            step += count
            callback_list.on_train_batch_end(step - 1, logs)
            if model.stop_training:
                break
        epoch_logs = dict(logs)
        if val_data is not None:
            val_logs = _run_validation(loop, model, val_data, batch_size, callback_list)
            epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break

    if epochs > 0:
        model.optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs=epoch_logs)
    return model.history


def lr_range_test(
    model: keras.Model,
    x: Any,
    y: Any,
    *,
    min_lr: float = 1e-6,
    max_lr: float = 1.0,
    steps: int = 100,
    batch_size: int = 32,
    divergence: float = 4.0,
    smoothing: float = 0.9,
) -> dict[str, Any]:
    """Learning-rate range test: raise the rate geometrically, one step each, watch the loss.

    Starting from the model's current weights, step ``k`` trains on one batch with
    learning rate ``min_lr * (max_lr / min_lr) ** (k / (steps - 1))`` and records
    that batch's loss. The test stops early once the smoothed loss exceeds
    ``divergence`` times its minimum. The model's weights and optimizer state are
    restored afterwards, so the test leaves no trace.

    Args:
        model: a compiled model whose optimizer has a constant learning rate.
        x, y: training data (batches are taken in order, cycling).
        min_lr, max_lr: the range, ``0 < min_lr < max_lr``.
        steps: number of rates tried (>= 2).
        batch_size: samples per step.
        divergence: stop when the smoothed loss exceeds this multiple of its minimum.
        smoothing: exponential smoothing factor of the loss curve, in ``[0, 1)``.

    Returns:
        A dict with arrays ``"lr"``, ``"loss"`` (raw), ``"smoothed"`` and the floats
        ``"lr_at_min"`` (rate at the smallest smoothed loss) and ``"suggested_lr"``
        (a tenth of it, a common safe choice).

    Raises:
        ValueError: bad range or counts, or the optimizer's rate is a schedule.
    """
    _check_model(model)
    if not (0 < min_lr < max_lr):
        raise ValueError(f"need 0 < min_lr < max_lr, got min_lr={min_lr}, max_lr={max_lr}")
    _check_int("steps", steps, 2)
    _check_int("batch_size", batch_size, 1)
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
    # `learning_rate` reads a schedule's current value; the schedule itself sits here:
    configured = getattr(model.optimizer, "_learning_rate", None)
    if isinstance(configured, keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError("lr_range_test needs an optimizer with a constant learning rate")
    data = (_to_tensors("x", x), _to_tensors("y", y))
    n = _num_samples("x", data[0])
    model._symbolic_build(data_batch=tf.nest.map_structure(lambda t: t[:batch_size], data))
    saved_weights = model.get_weights()
    saved_optimizer = [v.numpy() for v in model.optimizer.variables]
    saved_lr = float(model.optimizer.learning_rate)
    step = tf.function(model.train_step)
    rates = min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))
    losses, smoothed, average, best = [], [], 0.0, np.inf
    try:
        for k, rate in enumerate(rates):
            model.optimizer.learning_rate = float(rate)
            start = (k * batch_size) % max(1, n - batch_size + 1)
            batch = tf.nest.map_structure(lambda t, s=start: t[s : s + batch_size], data)
            model.reset_metrics()
            loss = float(step(batch)["loss"])
            losses.append(loss)
            average = smoothing * average + (1 - smoothing) * loss
            smooth = average / (1 - smoothing ** (k + 1))  # bias-corrected, as in Adam
            smoothed.append(smooth)
            best = min(best, smooth)
            if not np.isfinite(loss) or smooth > divergence * best:
                break
    finally:
        model.set_weights(saved_weights)
        for variable, value in zip(model.optimizer.variables, saved_optimizer):
            variable.assign(value)
        model.optimizer.learning_rate = saved_lr
        model.reset_metrics()
    smoothed_array = np.asarray(smoothed)
    lr_at_min = float(rates[int(np.nanargmin(smoothed_array))])
    return {
        "lr": rates[: len(losses)],
        "loss": np.asarray(losses),
        "smoothed": smoothed_array,
        "lr_at_min": lr_at_min,
        "suggested_lr": lr_at_min / 10,
    }
