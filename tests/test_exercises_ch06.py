"""Chapter 06: the hidden references agree with the curriculum digest and with Keras.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch06.py`` recomputes with NumPy, are compared with
the numbers printed in ``shared/curriculum/06-cnns.md`` §4, and every reference that
models a Keras layer is compared with that layer: ``Conv2D`` with Keras' asymmetric
``"same"`` padding (the point of 06.12 and 06.14), dilation, pooling,
``Conv2DTranspose``, parameter counts, and receptive fields measured with gradients.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlkit.checks.ch06 import CONV2D_INPUTS, digits_cnn_verdict
from hidden_checks.ch06 import (
    POOL_INPUT,
    PROBES,
    RAMP_4,
    RAMP_5,
    REFERENCE,
    SOBEL,
    TRANSPOSE_INPUT,
    TRANSPOSE_KERNEL,
    WRONG,
    same_padding,
)

layers = keras.layers

# The digest's answers, as printed there.
DIGEST = {
    "06.1": {
        "valid": np.full((3, 3), -6.0),
        "same": [
            [-9, -4, -4, -4, 13],
            [-21, -6, -6, -6, 27],
            [-36, -6, -6, -6, 42],
            [-51, -6, -6, -6, 57],
            [-39, -4, -4, -4, 43],
        ],
        "convolution": np.full((3, 3), 6.0),
    },
    "06.2": {"params": 896},
    "06.3": {"stride_1": [[2, 3, 4], [6, 7, 8], [10, 11, 12]], "stride_2": [[2, 4], [10, 12]]},
    "06.4": {"per_channel": [np.full((2, 2), v) for v in (-2, 4, 0)], "output": np.full((2, 2), 2)},
    "06.5": {"f1": np.full((3, 3), -2), "f2": np.full((3, 3), -3), "relu": np.zeros((3, 3, 2))},
    "06.6": {"value": -16},
    "06.7": {
        "max_ramp": [[6, 8], [14, 16]],
        "average": [[3.25, 2.75], [1, 4.5]],
        "max": [[6, 5], [2, 6]],
        "unpooled": [[6, 0, 0, 0], [0, 0, 5, 0], [0, 2, 0, 0], [0, 0, 0, 6]],
    },
    "06.8": {
        "valid": [
            [1, 0, 3, 0, 2],
            [0, 1, 0, 2, 0],
            [4, 0, 10, 0, 6],
            [0, 3, 0, 4, 0],
            [3, 0, 7, 0, 4],
        ]
    },
    "06.9": {
        "layer_params": [40, 296, 584, 8760, 1210],
        "total": 10890,
        "flatten_length": 72,
        "receptive_field": 18,
    },
    "06.10": {"strided_rf": 21, "strided_jump": 4, "dilated_rf": 31, "dilated_jump": 1},
    "06.11": {
        "two_3x3": 73856,
        "one_5x5": 102464,
        "bottleneck": 70016,
        "two_3x3_256": 1180160,
        "separable_keras": 2400,
        "separable_torch": 2432,
        "standard": 18496,
    },
    "06.12": {
        "size_28": 14,
        "pads_28": [0, 1],
        "size_7": 4,
        "pads_7": [1, 1],
        "torch_size_28": 14,
    },
    "06.13": {
        "alexnet_p0": 55,
        "alexnet_p2": 56,
        "alexnet_224_p2": 55,
        "alexnet_params": 34944,
        "alexnet_same": 57,
        "flatten_length": 36864,
        "dense_params": 4718720,
        "flatten_pooled": 9216,
        "dense_params_pooled": 1179776,
    },
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(REFERENCE[exercise_id][key], printed, err_msg=key)


def test_shapes_agree_with_the_digest():
    assert REFERENCE["06.2"]["valid_shape"] == (26, 26, 32)
    assert REFERENCE["06.2"]["same_shape"] == (28, 28, 32)
    assert REFERENCE["06.6"]["shape"] == (1, 1)


def _keras_conv(x, kernel, stride, padding, dilation=1):
    layer = layers.Conv2D(
        kernel.shape[3],
        kernel.shape[:2],
        strides=stride,
        padding=padding,
        dilation_rate=dilation,
        use_bias=False,
    )
    layer.build((None, *x.shape))
    layer.set_weights([kernel.astype("float32")])
    return layer(x[None].astype("float32")).numpy()[0]


@pytest.mark.parametrize("args", PROBES["06.14"] + CONV2D_INPUTS, ids=lambda a: str(a[0].shape))
def test_conv2d_reference_matches_keras(args):
    x, kernel, stride, padding = args
    np.testing.assert_allclose(
        REFERENCE["06.14"](x, kernel, stride, padding),
        _keras_conv(x, kernel, stride, padding),
        rtol=1e-5,
        atol=1e-5,
    )


def test_symmetric_padding_mistake_differs_from_keras_on_public_and_hidden_inputs():
    for inputs in (PROBES["06.14"], CONV2D_INPUTS):
        differs = []
        for x, kernel, stride, padding in inputs:
            wrong = WRONG["06.14"](x, kernel, stride, padding)
            right = _keras_conv(x, kernel, stride, padding)
            differs.append(wrong.shape != right.shape or not np.allclose(wrong, right, atol=1e-4))
        assert any(differs)


def test_keras_same_padding_puts_the_extra_row_at_the_bottom():
    assert same_padding(28, 3, 2) == (0, 1)
    assert same_padding(7, 3, 2) == (1, 1)
    x = np.random.default_rng(0).normal(size=(28, 28, 1))
    kernel = np.random.default_rng(1).normal(size=(3, 3, 1, 1))
    padded = np.pad(x, ((0, 1), (0, 1), (0, 0)))
    np.testing.assert_allclose(
        REFERENCE["06.14"](padded, kernel, 2, "valid"),
        _keras_conv(x, kernel, 2, "same"),
        rtol=1e-5,
        atol=1e-5,
    )


def test_single_channel_references_match_keras():
    edge = np.array([[1.0, 0.0, -1.0]] * 3)
    ramp = RAMP_5[..., None]
    np.testing.assert_allclose(
        REFERENCE["06.1"]["valid"], _keras_conv(ramp, edge[..., None, None], 1, "valid")[..., 0]
    )
    np.testing.assert_allclose(
        REFERENCE["06.1"]["same"], _keras_conv(ramp, edge[..., None, None], 1, "same")[..., 0]
    )
    stride_kernel = np.array([[1.0, 0.0], [-1.0, 1.0]])[..., None, None]
    np.testing.assert_allclose(
        REFERENCE["06.3"]["stride_2"],
        _keras_conv(RAMP_4[..., None], stride_kernel, 2, "valid")[..., 0],
    )
    dilated = _keras_conv(ramp, SOBEL[..., None, None], 1, "valid", dilation=2)
    assert dilated.shape[:2] == REFERENCE["06.6"]["shape"]
    np.testing.assert_allclose(dilated[0, 0, 0], REFERENCE["06.6"]["value"])


def test_pooling_references_match_keras():
    x = POOL_INPUT[None, :, :, None].astype("float32")
    np.testing.assert_allclose(layers.MaxPooling2D(2)(x)[0, ..., 0], REFERENCE["06.7"]["max"])
    np.testing.assert_allclose(
        layers.AveragePooling2D(2)(x)[0, ..., 0], REFERENCE["06.7"]["average"]
    )
    # unpooling puts each maximum back where the gradient of max pooling points
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        pooled = layers.MaxPooling2D(2)(x)
    positions = tape.gradient(pooled, x)[0, ..., 0].numpy()
    np.testing.assert_allclose(REFERENCE["06.7"]["unpooled"], positions * POOL_INPUT)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_transposed_convolution_reference_matches_keras(padding):
    layer = layers.Conv2DTranspose(1, 3, strides=2, padding=padding, use_bias=False)
    layer.build((None, 2, 2, 1))
    layer.set_weights([TRANSPOSE_KERNEL.reshape(3, 3, 1, 1).astype("float32")])
    out = layer(TRANSPOSE_INPUT.reshape(1, 2, 2, 1).astype("float32")).numpy()[0, ..., 0]
    np.testing.assert_allclose(out, REFERENCE["06.8"][padding])


def test_parameter_counts_match_keras():
    simple_cnn = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(4, 3),
            layers.MaxPooling2D(2),
            layers.Conv2D(8, 3),
            layers.MaxPooling2D(2),
            layers.Conv2D(8, 3),
            layers.Flatten(),
            layers.Dense(120),
            layers.Dense(10),
        ]
    )
    counts = [layer.count_params() for layer in simple_cnn.layers if layer.count_params()]
    np.testing.assert_array_equal(counts, REFERENCE["06.9"]["layer_params"])
    assert simple_cnn.count_params() == REFERENCE["06.9"]["total"]
    assert simple_cnn.layers[5].output.shape[1] == REFERENCE["06.9"]["flatten_length"]

    def params(*stack, channels):
        model = keras.Sequential([keras.Input((16, 16, channels)), *stack])
        return model.count_params()

    ref = REFERENCE["06.11"]
    assert params(layers.Conv2D(64, 3), layers.Conv2D(64, 3), channels=64) == ref["two_3x3"]
    assert params(layers.Conv2D(64, 5), channels=64) == ref["one_5x5"]
    bottleneck = (layers.Conv2D(64, 1), layers.Conv2D(64, 3), layers.Conv2D(256, 1))
    assert params(*bottleneck, channels=256) == ref["bottleneck"]
    assert params(layers.Conv2D(256, 3), layers.Conv2D(256, 3), channels=256) == ref["two_3x3_256"]
    assert params(layers.SeparableConv2D(64, 3), channels=32) == ref["separable_keras"]
    depthwise_pointwise = (layers.DepthwiseConv2D(3), layers.Conv2D(64, 1))
    assert params(*depthwise_pointwise, channels=32) == ref["separable_torch"]
    assert params(layers.Conv2D(64, 3), channels=32) == ref["standard"]


def test_output_sizes_match_keras():
    conv = layers.Conv2D(32, 3)
    assert tuple(conv(keras.Input((28, 28, 3))).shape[1:]) == REFERENCE["06.2"]["valid_shape"]
    assert conv.count_params() == REFERENCE["06.2"]["params"]
    same = layers.Conv2D(32, 3, padding="same")(keras.Input((28, 28, 3)))
    assert tuple(same.shape[1:]) == REFERENCE["06.2"]["same_shape"]
    ref = REFERENCE["06.13"]
    alexnet = layers.Conv2D(96, 11, strides=4)
    for size, pad, key in [
        (227, 0, "alexnet_p0"),
        (227, 2, "alexnet_p2"),
        (224, 2, "alexnet_224_p2"),
    ]:
        padded = layers.ZeroPadding2D(pad)(keras.Input((size, size, 3)))
        assert layers.Conv2D(96, 11, strides=4)(padded).shape[1] == ref[key]
    assert alexnet(keras.Input((227, 227, 3))).shape[1] == ref["alexnet_p0"]
    assert alexnet.count_params() == ref["alexnet_params"]
    same = layers.Conv2D(96, 11, strides=4, padding="same")(keras.Input((227, 227, 3)))
    assert same.shape[1] == ref["alexnet_same"]
    features = layers.Conv2D(64, 3)(layers.Conv2D(32, 3)(keras.Input((28, 28, 1))))
    assert layers.Flatten()(features).shape[1] == ref["flatten_length"]
    pooled = layers.Flatten()(layers.MaxPooling2D(2)(features))
    assert pooled.shape[1] == ref["flatten_pooled"]
    dense = layers.Dense(128)
    dense(pooled)
    assert dense.count_params() == ref["dense_params_pooled"]


def _ones_stack(stack, size):
    model = keras.Sequential([keras.Input((size, size, 1))])
    for kind, k, s, d in stack:
        if kind == "conv":
            model.add(
                layers.Conv2D(
                    1, k, strides=s, dilation_rate=d, use_bias=False, kernel_initializer="ones"
                )
            )
        else:  # average pooling: its gradient reaches every pixel of the window
            model.add(layers.AveragePooling2D(k, strides=s))
    return model


def _measured_receptive_field(model, row, col):
    x = tf.zeros((1, *model.input_shape[1:]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        unit = model(x)[0, row, col, 0]
    gradient = tape.gradient(unit, x)[0, ..., 0].numpy()
    rows = np.flatnonzero(np.any(gradient != 0, axis=1))
    return rows[-1] - rows[0] + 1


@pytest.mark.parametrize(
    "stack, size, expected",
    [
        ([("conv", 3, s, 1) for s in (1, 2, 1, 2, 1)], 64, ("06.10", "strided_rf")),
        ([("conv", 3, 1, d) for d in (1, 2, 4, 8)], 64, ("06.10", "dilated_rf")),
        (
            [("conv", 3, 1, 1), ("pool", 2, 2, 1)] * 2 + [("conv", 3, 1, 1)],
            28,
            ("06.9", "receptive_field"),
        ),
    ],
)
def test_receptive_fields_match_a_gradient_measurement(stack, size, expected):
    model = _ones_stack(stack, size)
    assert _measured_receptive_field(model, 1, 1) == REFERENCE[expected[0]][expected[1]]


def test_digits_verdict_rejects_an_mlp_and_a_too_large_model():
    mlp = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(), layers.Dense(10)])
    passed, message = digits_cnn_verdict(mlp)
    assert not passed and "Conv2D" in message
    large = keras.Sequential(
        [keras.Input((8, 8, 1)), layers.Conv2D(64, 3), layers.Flatten(), layers.Dense(10)]
    )
    passed, message = digits_cnn_verdict(large)
    assert not passed and "parameters" in message
    wrong_input = keras.Sequential([keras.Input((64,)), layers.Dense(10)])
    assert not digits_cnn_verdict(wrong_input)[0]
    assert not digits_cnn_verdict(WRONG["06.15"])[0]
    assert digits_cnn_verdict(REFERENCE["06.15"])[0]
