"""Chapter 10: the hidden references agree with the curriculum digest and with Keras.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch10.py`` recomputes with NumPy, are compared with
the numbers printed in ``shared/curriculum/10-attention-transformers.md`` §4, the reference
functions with the Keras operations they model (``ops.dot_product_attention``,
``MultiHeadAttention`` masks, ``ops.image.extract_patches``), and the parameter formulas
with ``count_params()`` of real layers.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.transformer import PositionEmbedding, TransformerBlock, causal_mask, padding_mask
from hidden_checks.ch10 import PROBES, REFERENCE, WRONG, _gpt_params, _mha_params

# The digest's answers, as printed there (rounded to six decimals).
DIGEST = {
    "10.1": {
        "scores": [[0.707107, 0.0], [1.414214, 0.707107]],
        "weights": [[0.669762, 0.330238], [0.669762, 0.330238]],
        "output": [[1.669762, 0.990715], [1.669762, 0.990715]],
    },
    "10.2": {
        "pe": [
            [0, 1, 0, 1],
            [0.841471, 0.540302, 0.010000, 0.999950],
            [0.909297, -0.416147, 0.019999, 0.999800],
            [0.141120, -0.989992, 0.029996, 0.999550],
            [-0.756802, -0.653644, 0.039989, 0.999200],
        ],
    },
    "10.3": {
        "weights": [[1, 0, 0], [0.372852, 0.627148, 0], [0.115182, 0.266803, 0.618015]],
        "output": [
            [0.1, 0.2, 0.3, 0.4],
            [0.350859, 0.450859, 0.550859, 0.650859],
            [0.701133, 0.801133, 0.901133, 1.001133],
        ],
    },
    "10.4": {
        "head1_weights": [
            [0.299353, 0.332137, 0.368511],
            [0.251379, 0.325958, 0.422663],
            [0.207817, 0.314931, 0.477252],
        ],
        "output": [
            [2.744069, 2.644069, 3.144069],
            [3.161297, 3.061297, 3.561297],
            [3.424766, 3.324766, 3.824766],
        ],
    },
    "10.9": {
        "n_patches": 9,
        "patch_length": 12,
        "first_embedding": [18, 20, 22, 24, 26, 28],
        "mnist_tokens": 17,
        "mnist_patch_length": 49,
        "imagenet_tokens": 197,
        "imagenet_patch_length": 768,
    },
    "10.10": {"h4_k16_d64": 16640, "h4_k64_d64": 66368, "h8_k64_d512": 1050624},
    "10.11": {"attention": 16640, "norms": 256, "ffn_up": 8320, "ffn_down": 8256, "total": 33472},
    "10.13": {"bytes": 402653184, "mib": 384, "factor": 4},
    "10.14": {"causal_5": 15, "strict_5": 10, "causal_64": 2080},
    "10.15": {"selected": 76.8, "mask_token": 61.44, "random_token": 7.68, "unchanged": 7.68},
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_reference_agrees_with_the_digest(exercise_id):
    for key, printed in DIGEST[exercise_id].items():
        np.testing.assert_allclose(
            REFERENCE[exercise_id][key], printed, rtol=2e-6, atol=1e-6, err_msg=key
        )


def test_cross_attention_reference_agrees_with_the_digest():
    reference = REFERENCE["10.5"]
    np.testing.assert_allclose(reference["scores"], [[4, 6, 3, 5], [6, 4, 7, 5], [10, 10, 10, 10]])
    np.testing.assert_allclose(
        reference["weights_unscaled"][0], [0.087144, 0.643914, 0.032059, 0.236883], atol=1e-6
    )
    np.testing.assert_allclose(
        reference["output_unscaled"],
        [
            [0.880797, 0.119203, 0.675973, 0.324027],
            [0.119203, 0.880797, 0.675973, 0.324027],
            [0.5, 0.5, 0.5, 0.5],
        ],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        reference["weights_scaled"][0], [0.167405, 0.455054, 0.101536, 0.276004], atol=1e-6
    )
    np.testing.assert_allclose(
        reference["output_scaled"],
        [
            [0.731059, 0.268941, 0.556591, 0.443409],
            [0.268941, 0.731059, 0.556591, 0.443409],
            [0.5, 0.5, 0.5, 0.5],
        ],
        atol=1e-6,
    )


def test_offset_dot_products_depend_on_the_offset_only():
    pe = REFERENCE["10.2"]["pe"]
    assert np.isclose(REFERENCE["10.2"]["dot_offset_1"], np.cos(1) + np.cos(0.01))
    assert np.isclose(REFERENCE["10.2"]["dot_offset_3"], np.cos(3) + np.cos(0.03))
    assert np.isclose(pe[2] @ pe[3], REFERENCE["10.2"]["dot_offset_1"])
    assert np.isclose(pe[0] @ pe[3], REFERENCE["10.2"]["dot_offset_3"])


def test_attention_reference_matches_keras_dot_product_attention():
    for q, k, v, mask in PROBES["10.6"]:
        q4, k4, v4 = (np.asarray(a, "float32").reshape((-1,) + a.shape[-2:]) for a in (q, k, v))
        full_mask = np.broadcast_to(mask, q.shape[:-2] + (q.shape[-2], k.shape[-2]))
        full_mask = full_mask.reshape((-1, 1) + full_mask.shape[-2:])  # (B, heads, T, S)
        expected = keras.ops.dot_product_attention(
            q4[:, :, None], k4[:, :, None], v4[:, :, None], mask=full_mask
        )
        np.testing.assert_allclose(
            REFERENCE["10.6"](q, k, v, mask).reshape(q4.shape[0], q.shape[-2], -1),
            expected[:, :, 0],
            atol=1e-5,
        )
        assert not np.allclose(WRONG["10.6"](q, k, v, mask), REFERENCE["10.6"](q, k, v, mask))


def test_mask_reference_matches_the_dlkit_masks_and_keras():
    for lengths, length in PROBES["10.7"]:
        ids = np.where(np.arange(length)[None, :] < np.asarray(lengths)[:, None], 7, 0)
        expected = padding_mask(ids) & causal_mask(length)
        np.testing.assert_array_equal(REFERENCE["10.7"](lengths, length), expected)
        assert not np.array_equal(WRONG["10.7"](lengths, length), expected)
    # with the mask, the real positions behave like the unpadded sequence under use_causal_mask
    mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    x = np.random.default_rng(0).normal(size=(2, 7, 8)).astype("float32")
    padded = mha(x, x, attention_mask=REFERENCE["10.7"]([3, 7], 7))
    alone = mha(x[:1, :3], x[:1, :3], use_causal_mask=True)
    np.testing.assert_allclose(padded[0, :3], alone[0], atol=1e-5)


def test_patch_reference_matches_keras_extract_patches():
    for images, p in PROBES["10.8"]:
        b, h, w, _ = images.shape
        expected = keras.ops.image.extract_patches(images.astype("float32"), p)
        expected = keras.ops.reshape(expected, (b, (h // p) * (w // p), -1))
        np.testing.assert_allclose(REFERENCE["10.8"](images, p), expected, rtol=1e-6)
        assert not np.allclose(WRONG["10.8"](images, p), expected)
    tiles = REFERENCE["10.8"](np.arange(1.0, 65.0).reshape(1, 8, 8, 1), 2)[0]
    assert tiles[:3].tolist() == [[1, 2, 9, 10], [3, 4, 11, 12], [5, 6, 13, 14]]
    assert tiles[-1].tolist() == [55, 56, 63, 64]


@pytest.mark.parametrize("d, heads, key_dim", [(64, 4, 16), (64, 4, 64), (512, 8, 64), (24, 3, 5)])
def test_mha_formula_matches_keras(d, heads, key_dim):
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim)
    layer.build((None, 4, d), (None, 4, d))
    assert layer.count_params() == _mha_params(d, heads, key_dim)


@pytest.mark.parametrize("tied", [False, True])
def test_gpt_formula_matches_a_keras_gpt(tied):
    vocab, context, d, layers = 30, 12, 16, 2
    tokens = keras.Input((None,), dtype="int32")
    h = keras.layers.Embedding(vocab, d)(tokens)
    h = PositionEmbedding(context)(h)
    for _ in range(layers):
        h = TransformerBlock(4, d // 4, 4 * d, causal=True)(h)
    h = keras.layers.LayerNormalization()(h)
    if not tied:  # a tied model reuses the embedding table: no extra weights
        h = keras.layers.Dense(vocab)(h)
    model = keras.Model(tokens, h)
    assert model.count_params() == _gpt_params(vocab, context, d, layers, 4 * d, tied)


def test_gpt_sizes_agree_with_published_counts():
    assert round(REFERENCE["10.12"]["total_millions"] * 1e6) == 1_557_611_200  # GPT-2 XL, tied
    assert round(REFERENCE["10.12"]["rule_of_thumb_millions"] * 1e6) == 1_474_560_000
    assert _gpt_params(50257, 2048, 12288, 96, 4 * 12288, tied=True) == 174_604_259_328  # GPT-3
