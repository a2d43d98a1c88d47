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

import contextlib
import math
import time
from typing import Any

import keras
import numpy as np
import tensorflow as tf

__all__ = [
    "fit",
    "lr_range_test",
    "CompiledLoop",
    "fit_steps",
    "gan_step",
    "vae_step",
    "contrastive_step",
    "discriminator_loss",
    "generator_loss",
    "gradient_penalty",
    "vae_kl",
    "vae_losses",
    "nt_xent_loss",
]


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


def _check_model(model: Any, strategy: Any = None) -> None:
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError(
            "model must be compiled before training: call "
            "model.compile(optimizer=..., loss=...) first"
        )
    if strategy is not None and not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(f"strategy must be a tf.distribute.Strategy, got {type(strategy).__name__}")
    own = getattr(model, "_distribute_strategy", None)  # set when built in a scope
    if strategy is not None and strategy is not own:
        raise ValueError(
            "the model was not built under this strategy: create and compile it inside "
            "`with strategy.scope():` and pass that strategy"
        )
    if tf.distribute.has_strategy() and tf.distribute.get_strategy() is not own:
        raise ValueError(
            "fit was called inside a strategy scope the model was not built under: create "
            "and compile the model inside that `strategy.scope()`"
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
        self.strategy = model.distribute_strategy
        self.replicas = int(self.strategy.num_replicas_in_sync)
        self.distributed = getattr(model, "_distribute_strategy", None) is not None
        self.jit_compile = bool(jit_compile)
        # XLA compiles one step (as Keras does); the loop around it stays a TF graph,
        # because a whole while-loop compiled by XLA runs convolutions slowly on CPUs.
        if self.distributed:
            # strategy.run goes inside the compiled step (a tf.function inside the
            # replica function cannot all-reduce gradients), as in Keras's own fit
            self._train_step = tf.function(
                lambda data, indices: self._replicated(model.train_step, data, indices),
                jit_compile=self.jit_compile,
            )
            self._test_step = tf.function(
                lambda data, indices: self._replicated(model.test_step, data, indices),
                jit_compile=self.jit_compile,
            )
        else:
            self._train_step = tf.function(model.train_step, jit_compile=self.jit_compile)
            self._test_step = tf.function(model.test_step, jit_compile=self.jit_compile)
        self.train = tf.function(self._train)
        self.evaluate = tf.function(self._evaluate)

    @staticmethod
    def _batch(data, batch_indices, position):
        indices = batch_indices[position]  # (batch,) rows of this batch
        return tf.nest.map_structure(lambda t: tf.gather(t, indices), data)

    def _replicated(self, step_fn, data, indices):
        """Run ``step_fn`` on every replica, each on its contiguous share of the batch."""
        replicas = self.replicas

        def replica_fn(indices):
            size = tf.shape(indices)[0]
            share = (size + replicas - 1) // replicas  # as tf.distribute splits a batch
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            start = tf.minimum(replica * share, size)
            mine = indices[start : tf.minimum(start + share, size)]
            return step_fn(tf.nest.map_structure(lambda t: tf.gather(t, mine), data))

        per_replica = self.strategy.run(replica_fn, args=(indices,))
        # the logs are synchronised metric results: their mean over replicas, as in Keras
        return tf.nest.map_structure(
            lambda v: tf.reduce_mean(tf.stack(self.strategy.experimental_local_results(v)), 0),
            per_replica,
        )

    def _one_step(self, step_fn, data, batch_indices, position):
        if self.distributed:
            return step_fn(data, batch_indices[position])
        return step_fn(self._batch(data, batch_indices, position))

    def _train(self, data, batch_indices, first, count):
        logs = self._one_step(self._train_step, data, batch_indices, first)
        for k in tf.range(1, count):
            logs = self._one_step(self._train_step, data, batch_indices, first + k)
        return logs

    def _evaluate(self, data, batch_indices, first, count):
        logs = self._one_step(self._test_step, data, batch_indices, first)
        for k in tf.range(1, count):
            logs = self._one_step(self._test_step, data, batch_indices, first + k)
        return logs

    def tracing_counts(self) -> dict[str, int]:
        """How many times each compiled function has been traced (for tests)."""
        return {
            "train": self.train.experimental_get_tracing_count(),
            "evaluate": self.evaluate.experimental_get_tracing_count(),
        }


def _get_loop(model: keras.Model, jit_compile: bool) -> CompiledLoop:
    loop = getattr(model, "_dlkit_loop", None)
    if (
        loop is None
        or loop.jit_compile != bool(jit_compile)
        or loop.strategy is not model.distribute_strategy
    ):
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
    if loop.distributed:  # global metric values, not one replica's
        logs = _python_logs(model.get_metrics_result())
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
    strategy: tf.distribute.Strategy | None = None,
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
        strategy: a ``tf.distribute`` strategy (e.g. ``MirroredStrategy``) under whose
            ``scope()`` the model was created and compiled; ``None`` uses the model's
            own (the default single-device one unless it was built in a scope). Each
            global batch is split into contiguous per-replica shares, every replica
            runs the model's ``train_step`` and Keras averages the gradients, as in
            ``model.fit``. Mixed precision needs nothing here: set the dtype policy
            (``keras.mixed_precision.set_global_policy("mixed_float16")``) before
            building the model and ``compile`` adds loss scaling, which ``train_step``
            applies.

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
    _check_model(model, strategy)
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
    with model.distribute_strategy.scope():  # optimizer slots mirrored under a strategy
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
        if loop.distributed:
            # per-step logs are replica-local results; the epoch's come from the
            # cross-replica (global) metric values, as in model.fit
            logs = _python_logs(model.get_metrics_result())
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
    with model.distribute_strategy.scope():  # optimizer slots mirrored under a strategy
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


# ---------------------------------------------------------------------------
# Step factories for objectives a plain ``fit`` does not cover, and their loop.
# ---------------------------------------------------------------------------

GAN_LOSSES = ("non_saturating", "minimax", "wasserstein")


def _check_number(name: str, value: Any, minimum: float, maximum: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be >= {minimum}{upper}, got {value}")


def _check_keras_model(name: str, value: Any) -> None:
    if not isinstance(value, (keras.Model, keras.layers.Layer)):
        raise TypeError(f"{name} must be a keras.Model, got {type(value).__name__}")


def _check_optimizer(name: str, value: Any) -> None:
    if not isinstance(value, keras.optimizers.Optimizer):
        raise TypeError(f"{name} must be a keras optimizer instance, got {type(value).__name__}")


def discriminator_loss(
    real_logits: Any, fake_logits: Any, *, label_smoothing: float = 0.0
) -> tf.Tensor:
    """Binary cross-entropy of a GAN discriminator, computed from logits.

    ``-mean[t log sigma(r) + (1 - t) log(1 - sigma(r))] - mean[log(1 - sigma(f))]``
    with target ``t = 1 - label_smoothing`` for real samples (one-sided label
    smoothing: fake samples keep the target 0).

    Args:
        real_logits: discriminator logits on real samples, ``(batch, 1)`` or ``(batch,)``.
        fake_logits: discriminator logits on generated samples.
        label_smoothing: in ``[0, 0.5)``; 0.1 makes the real target 0.9.

    Returns:
        The scalar loss (the two halves added, each a batch mean).
    """
    _check_number("label_smoothing", label_smoothing, 0.0, 0.49)
    real_logits = tf.cast(real_logits, tf.float32)
    fake_logits = tf.cast(fake_logits, tf.float32)
    target = tf.fill(tf.shape(real_logits), 1.0 - float(label_smoothing))
    real = tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=real_logits)
    fake = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.zeros_like(fake_logits), logits=fake_logits
    )
    return tf.reduce_mean(real) + tf.reduce_mean(fake)


def generator_loss(fake_logits: Any, *, kind: str = "non_saturating") -> tf.Tensor:
    """The generator's loss from the discriminator's logits on generated samples.

    * ``"non_saturating"``: ``-mean log sigma(f)`` (strong gradients when the
      discriminator wins, the usual choice);
    * ``"minimax"``: ``mean log(1 - sigma(f))``, the original game's term, whose
      gradient vanishes when ``sigma(f)`` is near 0;
    * ``"wasserstein"``: ``-mean f`` (``f`` is a critic score, not a logit).
    """
    if kind not in GAN_LOSSES:
        raise ValueError(f"kind must be one of {GAN_LOSSES}, got {kind!r}")
    fake_logits = tf.cast(fake_logits, tf.float32)
    if kind == "wasserstein":
        return -tf.reduce_mean(fake_logits)
    if kind == "non_saturating":
        return tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tf.ones_like(fake_logits), logits=fake_logits
            )
        )
    return -tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.zeros_like(fake_logits), logits=fake_logits
        )
    )


def gradient_penalty(critic: Any, real: Any, fake: Any, *, epsilon: Any = None, extra=None):
    """WGAN-GP penalty ``mean((||grad_x critic(x_hat)||_2 - 1)^2)``.

    ``x_hat = eps * real + (1 - eps) * fake`` with one ``eps ~ U(0, 1)`` per sample
    (pass ``epsilon`` of shape ``(batch,)`` to fix it). ``extra`` is passed to the
    critic as a second input (class labels of a conditional critic).
    """
    real = tf.convert_to_tensor(real)
    fake = tf.cast(fake, real.dtype)
    batch = tf.shape(real)[0]
    if epsilon is None:
        epsilon = tf.random.uniform([batch], dtype=real.dtype)
    epsilon = tf.reshape(tf.cast(epsilon, real.dtype), [-1] + [1] * (real.shape.rank - 1))
    mixed = epsilon * real + (1.0 - epsilon) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        score = critic(mixed if extra is None else [mixed, extra], training=True)
    grads = tf.reshape(tape.gradient(score, mixed), [batch, -1])
    norms = tf.sqrt(tf.reduce_sum(tf.square(tf.cast(grads, tf.float32)), axis=1) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


def gan_step(
    generator: keras.Model,
    discriminator: keras.Model,
    g_optimizer: keras.optimizers.Optimizer,
    d_optimizer: keras.optimizers.Optimizer,
    *,
    latent_dim: int,
    loss: str = "non_saturating",
    label_smoothing: float = 0.0,
    gp_weight: float = 10.0,
    d_steps: int = 1,
    conditional: bool = False,
    seed: int = 0,
    jit_compile: bool = False,
):
    """Build a compiled GAN training step: ``d_steps`` critic updates, then one generator update.

    The step takes a batch of real samples (and, when ``conditional``, their integer
    labels, which both networks receive as a second input: ``generator([z, y])``,
    ``discriminator([x, y])``) and returns a dict of scalar tensors. Noise comes from a
    ``tf.random.Generator`` seeded with ``seed``, so runs repeat exactly.

    Args:
        generator: maps ``(batch, latent_dim)`` noise to samples.
        discriminator: maps samples to one logit (or critic score) per sample.
        g_optimizer: optimizer of the generator.
        d_optimizer: optimizer of the discriminator.
        latent_dim: size of the noise vector.
        loss: ``"non_saturating"``, ``"minimax"`` (both with a binary cross-entropy
            discriminator) or ``"wasserstein"`` (WGAN-GP critic, with ``gp_weight``).
        label_smoothing: one-sided smoothing of the real target (BCE losses only).
        gp_weight: weight of :func:`gradient_penalty` for ``"wasserstein"``.
        d_steps: discriminator updates per generator update (5 is usual for WGAN-GP).
            They all see the same real batch with fresh noise; the original WGAN-GP
            draws a new real batch for each, which ``fit_steps`` batches cannot do.
        conditional: whether both networks also take the labels.
        seed: seed of the noise generator.
        jit_compile: compile the step with XLA.

    Returns:
        A ``tf.function`` ``step(real)`` (or ``step(real, labels)``) returning
        ``{"d_loss", "g_loss", "d_real", "d_fake"}``: the losses and the mean
        discriminator output (probability, or critic score) on real and fake samples.

    Example:
        >>> step = gan_step(G, D, keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4),
        ...                 latent_dim=64)  # doctest: +SKIP
        >>> history = fit_steps(step, x_train, batch_size=128, epochs=5)  # doctest: +SKIP
    """
    _check_keras_model("generator", generator)
    _check_keras_model("discriminator", discriminator)
    _check_optimizer("g_optimizer", g_optimizer)
    _check_optimizer("d_optimizer", d_optimizer)
    if g_optimizer is d_optimizer:
        raise ValueError("g_optimizer and d_optimizer must be two different optimizer objects")
    _check_int("latent_dim", latent_dim, 1)
    _check_int("d_steps", d_steps, 1)
    _check_int("seed", seed, 0)
    if loss not in GAN_LOSSES:
        raise ValueError(f"loss must be one of {GAN_LOSSES}, got {loss!r}")
    _check_number("label_smoothing", label_smoothing, 0.0, 0.49)
    _check_number("gp_weight", gp_weight, 0.0)
    noise = tf.random.Generator.from_seed(seed)
    wasserstein = loss == "wasserstein"

    def call(model, x, labels, training):
        return model(x if labels is None else [x, labels], training=training)

    def d_update(real, labels):
        batch = tf.shape(real)[0]
        z = noise.normal([batch, latent_dim])
        fake = call(generator, z, labels, True)
        with tf.GradientTape() as tape:
            real_out = tf.cast(call(discriminator, real, labels, True), tf.float32)
            fake_out = tf.cast(call(discriminator, fake, labels, True), tf.float32)
            if wasserstein:
                eps = noise.uniform([batch])
                penalty = gradient_penalty(discriminator, real, fake, epsilon=eps, extra=labels)
                d_loss = tf.reduce_mean(fake_out) - tf.reduce_mean(real_out) + gp_weight * penalty
            else:
                d_loss = discriminator_loss(real_out, fake_out, label_smoothing=label_smoothing)
        grads = tape.gradient(d_loss, discriminator.trainable_variables)
        d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))
        squash = tf.identity if wasserstein else tf.sigmoid
        return d_loss, tf.reduce_mean(squash(real_out)), tf.reduce_mean(squash(fake_out))

    def step(real, labels=None):
        if conditional and labels is None:
            raise ValueError("a conditional gan_step needs step(real, labels)")
        if not conditional and labels is not None:
            raise ValueError("labels were given to a gan_step built with conditional=False")
        real = tf.convert_to_tensor(real)
        for _ in range(d_steps):
            d_loss, d_real, d_fake = d_update(real, labels)
        z = noise.normal([tf.shape(real)[0], latent_dim])
        with tf.GradientTape() as tape:
            fake_out = call(discriminator, call(generator, z, labels, True), labels, True)
            g_loss = generator_loss(fake_out, kind=loss)
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_optimizer.apply_gradients(zip(grads, generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake}

    return tf.function(step, jit_compile=bool(jit_compile))


def vae_kl(mean: Any, log_var: Any) -> tf.Tensor:
    """KL(q(z|x) || N(0, I)) per example, for a diagonal Gaussian ``q``.

    ``0.5 * sum_j (mean_j^2 + exp(log_var_j) - 1 - log_var_j)``, summed over the
    latent dimensions; shape ``(batch,)``.
    """
    mean = tf.cast(mean, tf.float32)
    log_var = tf.cast(log_var, tf.float32)
    return 0.5 * tf.reduce_sum(tf.square(mean) + tf.exp(log_var) - 1.0 - log_var, axis=-1)


VAE_RECONSTRUCTIONS = ("bce", "mse")


def vae_losses(
    x: Any, decoded: Any, mean: Any, log_var: Any, *, reconstruction: str = "bce", beta=1.0
):
    """The negative ELBO of a VAE and its two parts, each a batch mean.

    Args:
        x: the inputs (targets of the reconstruction), in ``[0, 1]`` for ``"bce"``.
        decoded: decoder output: *logits* for ``"bce"`` (Bernoulli pixels), values for
            ``"mse"`` (a Gaussian with unit variance up to constants: half the squared error).
        mean, log_var: the encoder's ``q(z|x)`` parameters, ``(batch, latent)``.
        reconstruction: ``"bce"`` or ``"mse"``; summed over every non-batch axis.
        beta: weight of the KL term (1 for the ELBO, other values give a beta-VAE).

    Returns:
        ``{"loss": recon + beta * kl, "reconstruction": recon, "kl": kl}``.
    """
    if reconstruction not in VAE_RECONSTRUCTIONS:
        raise ValueError(
            f"reconstruction must be one of {VAE_RECONSTRUCTIONS}, got {reconstruction!r}"
        )
    x = tf.cast(x, tf.float32)
    decoded = tf.cast(decoded, tf.float32)
    if reconstruction == "bce":
        per_value = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=decoded)
    else:
        per_value = 0.5 * tf.square(x - decoded)
    batch = tf.shape(x)[0]
    recon = tf.reduce_mean(tf.reduce_sum(tf.reshape(per_value, [batch, -1]), axis=1))
    kl = tf.reduce_mean(vae_kl(mean, log_var))
    return {"loss": recon + beta * kl, "reconstruction": recon, "kl": kl}


def vae_step(
    encoder: keras.Model,
    decoder: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    *,
    reconstruction: str = "bce",
    beta: float = 1.0,
    seed: int = 0,
    jit_compile: bool = False,
):
    """Build a compiled VAE training step with the reparameterisation trick.

    ``encoder(x)`` returns ``(mean, log_var)``; ``z = mean + exp(log_var / 2) * eps``
    with ``eps ~ N(0, I)`` from a generator seeded with ``seed``; ``decoder(z)``
    returns logits (``"bce"``) or values (``"mse"``). The step minimises
    :func:`vae_losses` over the weights of both networks.

    Returns:
        A ``tf.function`` ``step(x)`` returning ``{"loss", "reconstruction", "kl"}``.
    """
    _check_keras_model("encoder", encoder)
    _check_keras_model("decoder", decoder)
    _check_optimizer("optimizer", optimizer)
    _check_number("beta", beta, 0.0)
    _check_int("seed", seed, 0)
    if reconstruction not in VAE_RECONSTRUCTIONS:
        raise ValueError(
            f"reconstruction must be one of {VAE_RECONSTRUCTIONS}, got {reconstruction!r}"
        )
    noise = tf.random.Generator.from_seed(seed)

    def step(x):
        with tf.GradientTape() as tape:
            mean, log_var = encoder(x, training=True)
            eps = noise.normal(tf.shape(mean))
            z = mean + tf.exp(0.5 * log_var) * eps
            logs = vae_losses(
                x, decoder(z, training=True), mean, log_var,
                reconstruction=reconstruction, beta=beta,
            )  # fmt: skip
        variables = encoder.trainable_variables + decoder.trainable_variables
        grads = tape.gradient(logs["loss"], variables)
        optimizer.apply_gradients(zip(grads, variables))
        return logs

    return tf.function(step, jit_compile=bool(jit_compile))


def nt_xent_loss(z1: Any, z2: Any, *, temperature: float = 0.5) -> tf.Tensor:
    """SimCLR's normalised-temperature cross-entropy over a batch of positive pairs.

    Both views are L2-normalised; for each of the ``2N`` embeddings the positive is
    its partner in the other view and the ``2N - 2`` others are negatives:
    ``l_i = -log(exp(s_ip / t) / sum_{k != i} exp(s_ik / t))``, averaged over all ``2N``.

    Args:
        z1, z2: projections of the two views, ``(N, d)``, row ``i`` of each from the
            same image.
        temperature: ``t > 0``.
    """
    _check_number("temperature", temperature, 1e-6)
    z = tf.math.l2_normalize(tf.concat([tf.cast(z1, tf.float32), tf.cast(z2, tf.float32)], 0), 1)
    n = tf.shape(z1)[0]
    similarity = tf.matmul(z, z, transpose_b=True) / temperature  # (2N, 2N)
    similarity -= 1e9 * tf.eye(2 * n)  # a sample is never its own negative
    positives = tf.concat([tf.range(n, 2 * n), tf.range(0, n)], axis=0)
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=positives, logits=similarity)
    )


def contrastive_step(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    augment: Any,
    *,
    temperature: float = 0.5,
    jit_compile: bool = False,
):
    """Build a compiled SimCLR step: two random views per image, NT-Xent on their projections.

    Args:
        model: encoder followed by a projection head, images -> ``(batch, d)``.
        optimizer: its optimizer.
        augment: callable ``augment(x, training=True)`` drawing a random view (e.g. a
            ``keras.Sequential`` of random preprocessing layers); called twice per step.
        temperature: of :func:`nt_xent_loss`.

    Returns:
        A ``tf.function`` ``step(x)`` returning ``{"loss", "positive_similarity"}``
        (the mean cosine similarity of the positive pairs).
    """
    _check_keras_model("model", model)
    _check_optimizer("optimizer", optimizer)
    if not callable(augment):
        raise TypeError(f"augment must be callable, got {type(augment).__name__}")
    _check_number("temperature", temperature, 1e-6)

    def step(x):
        view1 = augment(x, training=True)
        view2 = augment(x, training=True)
        with tf.GradientTape() as tape:
            z1 = model(view1, training=True)
            z2 = model(view2, training=True)
            loss = nt_xent_loss(z1, z2, temperature=temperature)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        cosine = tf.reduce_sum(
            tf.math.l2_normalize(tf.cast(z1, tf.float32), 1)
            * tf.math.l2_normalize(tf.cast(z2, tf.float32), 1),
            axis=1,
        )
        return {"loss": loss, "positive_similarity": tf.reduce_mean(cosine)}

    return tf.function(step, jit_compile=bool(jit_compile))


class _StepLoop:
    """Runs ``count`` steps of a step function inside one ``tf.function`` call."""

    def __init__(self, step):
        self.step = step
        self.run = tf.function(self._run)

    def _run(self, data, batch_indices, first, count):
        def batch(position):
            indices = batch_indices[position]
            return tuple(tf.gather(t, indices) for t in data)

        logs = self.step(*batch(first))
        if not isinstance(logs, dict):
            raise TypeError("a step function must return a dict of scalar tensors")
        sums = {key: tf.cast(value, tf.float32) for key, value in logs.items()}
        for k in tf.range(1, count):
            logs = self.step(*batch(first + k))
            sums = {key: sums[key] + tf.cast(logs[key], tf.float32) for key in sums}
        return {key: value / tf.cast(count, tf.float32) for key, value in sums.items()}


def fit_steps(
    step: Any,
    data: Any,
    *,
    batch_size: int = 64,
    epochs: int = 1,
    shuffle: bool = True,
    seed: int = 0,
    steps_per_call: int | None = None,
    callbacks: list | None = None,
    verbose: int = 1,
) -> keras.callbacks.History:
    """Train with a step function (e.g. from :func:`gan_step`), many steps per compiled call.

    Each epoch visits the samples in a fresh order (NumPy generator seeded with
    ``seed``) in full batches of ``batch_size``; a last partial batch is dropped, so
    every step sees the same batch shape. The data stays on the device and batches
    are gathered by index inside the graph, as in :func:`fit`.

    Args:
        step: callable ``step(*batch) -> dict`` of scalar tensors.
        data: an array, or a tuple of arrays with the same first axis (passed to the
            step in that order, e.g. ``(images, labels)``).
        batch_size: samples per step.
        epochs: passes over the data.
        shuffle: reshuffle every epoch (otherwise the stored order).
        seed: seed of the shuffling.
        steps_per_call: steps per compiled call (default: a whole epoch).
        callbacks: callables ``f(epoch, logs)`` or ``keras.callbacks.Callback`` objects,
            run after every epoch (e.g. to draw a grid of samples from fixed noise).
        verbose: 1 prints one line per epoch, 0 is silent.

    Returns:
        A ``keras.callbacks.History`` whose ``history`` holds the epoch mean of every
        value the step returns.
    """
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    arrays = data if isinstance(data, (tuple, list)) else (data,)
    tensors = tuple(_to_tensors("data", a) for a in arrays)
    sizes = {int(t.shape[0]) for t in tensors}
    if len(sizes) != 1:
        raise ValueError(f"every array in data must have the same length, got {sorted(sizes)}")
    n = sizes.pop()
    _check_int("batch_size", batch_size, 1)
    _check_int("epochs", epochs, 1)
    _check_int("seed", seed, 0)
    _check_int("steps_per_call", steps_per_call, 1, allow_none=True)
    if batch_size > n:
        raise ValueError(f"batch_size ({batch_size}) is larger than the data ({n} samples)")
    callbacks = list(callbacks or [])
    for callback in callbacks:
        if not (callable(callback) or isinstance(callback, keras.callbacks.Callback)):
            raise TypeError(f"callbacks must be callables or keras Callbacks, got {callback!r}")

    loop = getattr(step, "_dlkit_step_loop", None)
    if loop is None:
        loop = _StepLoop(step)
        with contextlib.suppress(AttributeError):
            step._dlkit_step_loop = loop  # later calls reuse the traced loop
    history = keras.callbacks.History()
    history.history, history.epoch = {}, []
    rng = np.random.default_rng(seed)
    n_batches = n // batch_size
    per_call = steps_per_call or n_batches
    for epoch in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n) if shuffle else np.arange(n)
        indices, _ = _split_batches(order, batch_size)
        totals: dict[str, float] = {}
        for first in range(0, n_batches, per_call):
            count = min(per_call, n_batches - first)
            logs = loop.run(tensors, indices, tf.constant(first), tf.constant(count))
            for key, value in logs.items():
                totals[key] = totals.get(key, 0.0) + float(value) * count
        epoch_logs = {key: value / n_batches for key, value in totals.items()}
        history.epoch.append(epoch)
        for key, value in epoch_logs.items():
            history.history.setdefault(key, []).append(value)
        if verbose:
            shown = " - ".join(f"{k} {v:.4f}" for k, v in epoch_logs.items())
            print(f"epoch {epoch + 1}/{epochs} - {shown} - {time.perf_counter() - start:.1f} s")
        for callback in callbacks:
            if isinstance(callback, keras.callbacks.Callback):
                callback.on_epoch_end(epoch, dict(epoch_logs))
            else:
                callback(epoch, dict(epoch_logs))
    return history
