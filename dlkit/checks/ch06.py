"""Public checks of chapter 06 (convolutional networks).

Used by ``dlkit.exercises.check("06.k", answer)``. Exercises 06.1 to 06.13 follow the
curriculum's numeric exercises (cross-correlation by hand with stride, padding, several
channels and dilation; pooling and unpooling; transposed convolution; output sizes,
parameter counts and receptive fields; Keras' "same" padding; AlexNet arithmetic); 06.14
asks for a function (a from-scratch ``conv2d``), 06.15 for a small trained CNN on the 8×8
digits, and 06.16 to 06.18 are conceptual multiple-choice questions.

No reference value is written in this module. Each check compares a *fingerprint* of the
answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices and shapes
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference answer,
computed once by the teacher and pasted here as a hex string. The function answer is
fingerprinted through its outputs on the public inputs below. The trained model of 06.15
is judged by the task's own criterion (:func:`digits_cnn_verdict`), which holds nothing
secret. The exact reference values and stricter comparisons are the teacher's hidden
checks (``hidden_checks/ch06.py``, not shipped).
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

# 06.15: what the trained model must achieve on the held-out digits.
DIGITS_MIN_ACCURACY = 0.95
DIGITS_MAX_PARAMS = 20_000


def _public_conv_inputs() -> list[tuple[Any, ...]]:
    """Integer-valued images and kernels, so the outputs are exact in float32 too."""
    rng = np.random.default_rng(6)
    laplacian = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    return [
        (
            np.arange(1.0, 26.0).reshape(5, 5, 1),
            np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]).reshape(3, 3, 1, 1),
            1,
            "valid",
        ),
        (
            (np.arange(36.0) % 7).reshape(6, 6, 1),
            np.stack([np.ones((3, 3)), laplacian], axis=-1)[:, :, None, :],  # (3, 3, 1, 2)
            2,
            "same",
        ),
        (
            rng.integers(-3, 4, size=(4, 5, 2)).astype(float),
            rng.integers(-2, 3, size=(2, 2, 2, 1)).astype(float),
            1,
            "same",
        ),
    ]


# Public inputs of the function exercise (the hidden check uses others).
CONV2D_INPUTS = _public_conv_inputs()


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 8x8 digits as (n, 8, 8, 1) images in [0, 1], split 80/20, stratified, seed 0.

    Returns:
        ``(x_train, x_test, y_train, y_test)`` as ``train_test_split`` returns them.
    """
    from sklearn.model_selection import train_test_split

    from dlkit.data import load_digits

    images, labels = load_digits(verbose=False)
    return train_test_split(
        images[..., None], labels, test_size=0.2, stratify=labels, random_state=0
    )


def _has_conv_layer(model: Any) -> bool:
    import keras

    convs = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
    for layer in getattr(model, "layers", []):
        if isinstance(layer, convs) or (isinstance(layer, keras.Model) and _has_conv_layer(layer)):
            return True
    return False


def digits_cnn_verdict(answer: Any) -> tuple[bool, str]:
    """Judge 06.15: a small Keras CNN that classifies the held-out 8x8 digits well.

    The criterion is the task statement itself (a Keras model with a convolution layer, at
    most ``DIGITS_MAX_PARAMS`` parameters, ten class scores per image, test accuracy at
    least ``DIGITS_MIN_ACCURACY``), so the public check and the hidden check both use it.
    """
    import keras  # imported on use: importing this module stays light

    if not isinstance(answer, keras.Model):
        return False, f"expected a Keras model, got {type(answer).__name__}"
    if not _has_conv_layer(answer):
        return False, "not right: the model has no Conv2D layer (this exercise asks for a CNN)"
    if answer.count_params() > DIGITS_MAX_PARAMS:
        return False, f"not right: the model has more than {DIGITS_MAX_PARAMS} parameters"
    _, x_test, _, y_test = digits_split()
    try:
        scores = np.asarray(answer(x_test.astype("float32"), training=False), dtype=np.float64)
    except Exception as error:  # wrong input shape, broken model
        return False, f"not right: the model cannot take (n, 8, 8, 1) images ({error})"[:300]
    if scores.shape != (len(x_test), 10):
        return False, f"not right: expected 10 class scores per image, got shape {scores.shape}"
    if not np.all(np.isfinite(scores)):
        return False, "not right: the model outputs inf or nan"
    accuracy = float(np.mean(scores.argmax(axis=1) == y_test))
    if accuracy < DIGITS_MIN_ACCURACY:
        return (
            False,
            f"not right yet: test accuracy {accuracy:.3f} is below {DIGITS_MIN_ACCURACY}",
        )
    return True, f"test accuracy at least {DIGITS_MIN_ACCURACY}"


register(
    Exercise(
        id="06.1",
        points=2,
        produce="a dict with keys 'valid' (a 3×3 array), 'same' (a 5×5 array) and "
        "'convolution' (a 3×3 array)",
        hint="Conv2D slides the kernel as it is (cross-correlation); true convolution flips it "
        "in both directions first; 'same' pads one ring of zeros here",
        check=expect_dict(
            {
                "valid": expect_array((3, 3), "7e25c92c031ccbd6"),
                "same": expect_array((5, 5), "39634929271887c8"),
                "convolution": expect_array((3, 3), "38a8cb877f258e22"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.2",
        points=1,
        produce="a dict with keys 'valid_shape' and 'same_shape' (tuples (height, width, "
        "channels)) and 'params' (an integer)",
        hint="o = floor((i + 2p - k) / s) + 1; each filter has k * k * C_in weights and one "
        "bias; check with a Conv2D layer's output shape and count_params()",
        check=expect_dict(
            {
                "valid_shape": expect_shape("458ab698d5cb9214"),
                "same_shape": expect_shape("8762be5d077377a3"),
                "params": expect_number("74cc251ead3cf322"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.3",
        points=1,
        produce="a dict with keys 'stride_1' (a 3×3 array) and 'stride_2' (a 2×2 array)",
        hint="with stride s the window moves s pixels at a time: output (i, j) reads the "
        "window whose top-left corner is (s i, s j); do not flip the kernel",
        check=expect_dict(
            {
                "stride_1": expect_array((3, 3), "13994254347eb485"),
                "stride_2": expect_array((2, 2), "717df29035dce596"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.4",
        points=2,
        produce="a dict with keys 'per_channel' (an array of shape (3, 2, 2), one map per input "
        "channel) and 'output' (a 2×2 array)",
        hint="one filter spans all input channels: correlate each channel with its own slice, "
        "then add the three maps (no averaging)",
        check=expect_dict(
            {
                "per_channel": expect_array((3, 2, 2), "78bde8c3d2569331"),
                "output": expect_array((2, 2), "ab843ddf2b46790b"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.5",
        points=1,
        produce="a dict with keys 'f1' and 'f2' (3×3 arrays) and 'relu' (an array of shape "
        "(3, 3, 2), channels last)",
        hint="a ramp has the same differences everywhere, so each map is constant; mind the "
        "signs: Conv2D does not flip the filters",
        check=expect_dict(
            {
                "f1": expect_array((3, 3), "98f226ad1ba866ca"),
                "f2": expect_array((3, 3), "0da572b59f5fd042"),
                "relu": expect_array((3, 3, 2), "d4ed584099c19def"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.6",
        points=1,
        produce="a dict with keys 'shape' (a tuple (height, width)) and 'value' (a number)",
        hint="dilation d spreads a k-tap kernel over d (k - 1) + 1 pixels; the taps read every "
        "d-th pixel; check with Conv2D(..., dilation_rate=2)",
        check=expect_dict(
            {
                "shape": expect_shape("d02b5ba5c34b34db"),
                "value": expect_number("bfb152803a68e7d1"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.7",
        points=2,
        produce="a dict with keys 'max_ramp', 'average' and 'max' (2×2 arrays) and "
        "'unpooled' (a 4×4 array)",
        hint="2×2 windows with stride 2 do not overlap; unpooling writes each maximum back at "
        "the position inside its window where it was found, zeros elsewhere",
        check=expect_dict(
            {
                "max_ramp": expect_array((2, 2), "67c5224427447707"),
                "average": expect_array((2, 2), "c4e05af834214d21"),
                "max": expect_array((2, 2), "4f219ae43ea58431"),
                "unpooled": expect_array((4, 4), "0f842fc8fff40c2e"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.8",
        points=2,
        produce="a dict with keys 'valid' (a 5×5 array) and 'same' (a 4×4 array)",
        hint="scatter-add: input value x[i, j] times the kernel, written at offset (2 i, 2 j), "
        "overlaps summed; compare with keras.layers.Conv2DTranspose(1, 3, strides=2) for "
        "both paddings",
        check=expect_dict(
            {
                "valid": expect_array((5, 5), "7cd4f00af268217a"),
                "same": expect_array((4, 4), "b1edab028c63dd3e"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.9",
        points=2,
        produce="a dict with keys 'layer_params' (an array of 5 integers: conv1, conv2, conv3, "
        "fc1, fc2), 'total', 'flatten_length' and 'receptive_field' (integers)",
        hint="build the model and read count_params() of each layer; pooling layers count in "
        "the receptive-field recursion r += (k - 1) * jump, jump *= stride",
        check=expect_dict(
            {
                "layer_params": expect_array((5,), "bb513662e9106491"),
                "total": expect_number("fa4ab7c10bab55ac"),
                "flatten_length": expect_number("152e30ef64eedef9"),
                "receptive_field": expect_number("b89035b392958d98"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.10",
        points=2,
        produce="a dict with keys 'strided_rf', 'strided_jump', 'dilated_rf' and "
        "'dilated_jump', each an integer",
        hint="r_l = r_(l-1) + (k_l - 1) * d_l * j_(l-1) and j_l = j_(l-1) * s_l, starting from "
        "r = j = 1; a stride multiplies the step of every later layer",
        check=expect_dict(
            {
                "strided_rf": expect_number("ae40901795f8dadd"),
                "strided_jump": expect_number("98a0d8efb57eb053"),
                "dilated_rf": expect_number("54c90fcdf8d62dbe"),
                "dilated_jump": expect_number("40a8063ffa22f77d"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.11",
        points=2,
        produce="a dict with keys 'two_3x3', 'one_5x5', 'bottleneck', 'two_3x3_256', "
        "'separable_keras', 'separable_torch' and 'standard', each an integer",
        hint="every convolution has k * k * C_in * C_out weights plus C_out biases; Keras' "
        "SeparableConv2D has a single bias vector (on the pointwise part), the PyTorch "
        "depthwise + pointwise pair has two",
        check=expect_dict(
            {
                "two_3x3": expect_number("d3e6ec5f28dec34f", decimals=0),
                "one_5x5": expect_number("f485b622c41f1f7f", decimals=0),
                "bottleneck": expect_number("926366d313219f24", decimals=0),
                "two_3x3_256": expect_number("78b01be032fba9dd", decimals=0),
                "separable_keras": expect_number("0467d10d2c4357af", decimals=0),
                "separable_torch": expect_number("ce4ead1f0ccd0f7c", decimals=0),
                "standard": expect_number("33fd05aa43d0e743", decimals=0),
            }
        ),
    )
)

register(
    Exercise(
        id="06.12",
        points=2,
        produce="a dict with keys 'size_28', 'size_7' and 'torch_size_28' (integers) and "
        "'pads_28', 'pads_7' (arrays [top, bottom])",
        hint="Keras 'same': o = ceil(i / s), total padding P = max((o - 1) s + k - i, 0), "
        "floor(P / 2) on top and the rest at the bottom",
        check=expect_dict(
            {
                "size_28": expect_number("f279730faa2be493"),
                "pads_28": expect_array((2,), "38012557b2482573"),
                "size_7": expect_number("98a0d8efb57eb053"),
                "pads_7": expect_array((2,), "13f8597c1f7ed5f4"),
                "torch_size_28": expect_number("f279730faa2be493"),
            }
        ),
    )
)

register(
    Exercise(
        id="06.13",
        points=2,
        produce="a dict with keys 'alexnet_p0', 'alexnet_p2', 'alexnet_224_p2', "
        "'alexnet_params', 'alexnet_same', 'flatten_length', 'dense_params', "
        "'flatten_pooled' and 'dense_params_pooled', each an integer",
        hint="o = floor((i + 2p - k) / s) + 1 and Keras 'same' gives ceil(i / s); two valid "
        "3×3 convolutions shrink 28 by 2 each; Flatten keeps every height × width × channel "
        "entry",
        check=expect_dict(
            {
                "alexnet_p0": expect_number("29d31a9282b3b00e", decimals=0),
                "alexnet_p2": expect_number("a39187e06d2544c3", decimals=0),
                "alexnet_224_p2": expect_number("29d31a9282b3b00e", decimals=0),
                "alexnet_params": expect_number("34822437076a2b9c", decimals=0),
                "alexnet_same": expect_number("44821ed104cb27ed", decimals=0),
                "flatten_length": expect_number("2714ae228c1aaf2f", decimals=0),
                "dense_params": expect_number("57df507faafc7963", decimals=0),
                "flatten_pooled": expect_number("38a8dd85bf7afdea", decimals=0),
                "dense_params_pooled": expect_number("674b0ecfa8742bf7", decimals=0),
            }
        ),
    )
)

register(
    Exercise(
        id="06.14",
        points=3,
        produce="a function conv2d(x, kernel, stride, padding) that takes an (H, W, C_in) "
        "array, a (kh, kw, C_in, C_out) kernel, an int and 'valid' or 'same' and returns what "
        "keras.layers.Conv2D (no bias) computes, an (H_out, W_out, C_out) array",
        hint="pad first ('same': total P = max((o - 1) s + k - i, 0) with o = ceil(i / s), "
        "floor(P / 2) before and the rest after, per axis), then loop over output positions "
        "and sum window * kernel over (kh, kw, C_in); compare with Conv2D on random inputs "
        "with strides 2 and 3",
        check=expect_function(CONV2D_INPUTS, "8bf45614c0b8d4a5"),
    )
)

register(
    Exercise(
        id="06.15",
        points=3,
        produce=f"a trained Keras model with a Conv2D layer and at most {DIGITS_MAX_PARAMS} "
        "parameters that maps (n, 8, 8, 1) digit images to 10 class scores with test accuracy "
        f"at least {DIGITS_MIN_ACCURACY}",
        hint="two small Conv2D layers with a pooling layer between them, Flatten and Dense(10) "
        "logits; Adam, sparse categorical cross-entropy with from_logits=True, 15-30 epochs "
        "with dlkit.training.fit; evaluate on x_test",
        check=digits_cnn_verdict,
    )
)

register(
    Exercise(
        id="06.16",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="run it: shift an image inside a zero frame, compare conv(shift(x)) with "
        "shift(conv(x)), and the GlobalAveragePooling2D outputs",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="06.17",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="look at the kernel's shape: which axes index the window, the input channels and "
        "the output channels, and which axis is missing",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="06.18",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="compare count_params() and the output shapes of the two layers on a 16-channel "
        "input; shift an input by one pixel and look at the max-pooled map",
        check=expect_choice(CHOICES, "ca978112ca1bbdca"),
    )
)
