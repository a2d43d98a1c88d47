"""dlkit.transformer: position encodings, masks, the position embedding and the block."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.transformer import (
    PositionEmbedding,
    TransformerBlock,
    causal_mask,
    padding_mask,
    sinusoidal_encoding,
)


def test_sinusoidal_encoding_follows_the_formula():
    table = sinusoidal_encoding(50, 16)
    assert table.shape == (50, 16) and table.dtype == np.float32
    p, i = 7, 3  # position 7, dimension pair 3
    angle = p / 10000 ** (2 * i / 16)
    np.testing.assert_allclose(table[p, 2 * i], np.sin(angle), rtol=1e-6)
    np.testing.assert_allclose(table[p, 2 * i + 1], np.cos(angle), rtol=1e-6)
    np.testing.assert_allclose(table[0], np.tile([0.0, 1.0], 8))
    # the values of the curriculum's d = 4 example
    np.testing.assert_allclose(
        sinusoidal_encoding(5, 4)[1], [0.841471, 0.540302, 0.010000, 0.999950], atol=1e-6
    )


def test_sinusoidal_offsets_are_rotations():
    table = sinusoidal_encoding(40, 8).astype(np.float64)
    k = 5
    for pair in range(4):
        omega = 1 / 10000 ** (2 * pair / 8)
        c, s = np.cos(k * omega), np.sin(k * omega)
        rotation = np.array([[c, -s], [s, c]])  # (sin, cos)(p + k) = (sin, cos)(p) @ rotation
        block = table[:, 2 * pair : 2 * pair + 2]
        np.testing.assert_allclose(block[:-k] @ rotation, block[k:], atol=1e-6)


def test_sinusoidal_encoding_rejects_bad_arguments():
    with pytest.raises(ValueError, match="even"):
        sinusoidal_encoding(4, 5)
    with pytest.raises(ValueError, match="length"):
        sinusoidal_encoding(0, 4)
    with pytest.raises(ValueError, match="base"):
        sinusoidal_encoding(4, 4, base=1.0)


def test_causal_and_padding_masks():
    mask = causal_mask(4)
    assert mask.dtype == bool and mask.shape == (4, 4)
    assert mask.sum() == 10 and mask.diagonal().all() and not np.triu(mask, 1).any()
    pad = padding_mask(np.array([[3, 4, 0, 0], [1, 2, 3, 0]]))
    assert pad.shape == (2, 4, 4)
    np.testing.assert_array_equal(pad[0, 2], [True, True, False, False])
    np.testing.assert_array_equal(pad[1, 0], [True, True, True, False])
    with pytest.raises(ValueError, match="length"):
        causal_mask(0)
    with pytest.raises(ValueError, match="2-D integer"):
        padding_mask(np.zeros(3, dtype=int))


def test_causal_mask_matches_keras_use_causal_mask():
    x = keras.random.normal((2, 6, 8), seed=1)
    mha = keras.layers.MultiHeadAttention(2, 4)
    expected = mha(x, x, use_causal_mask=True)
    mask = np.broadcast_to(causal_mask(6), (2, 6, 6))
    np.testing.assert_allclose(mha(x, x, attention_mask=mask), expected, atol=1e-6)


def test_position_embedding_adds_the_first_rows_of_its_table():
    layer = PositionEmbedding(10)
    x = np.ones((3, 10, 4), "float32")
    layer(x)
    table = layer.embeddings.numpy()
    np.testing.assert_allclose(layer(x[:, :6]), 1 + np.broadcast_to(table[:6], (3, 6, 4)))
    with pytest.raises(ValueError, match="max_length"):
        PositionEmbedding(0)
    with pytest.raises(ValueError, match="max_length"):
        PositionEmbedding(4)(np.ones((1, 5, 2), "float32"))


def test_transformer_block_parameters_and_shape():
    block = TransformerBlock(num_heads=4, key_dim=16, ff_dim=128)
    y = block(np.zeros((2, 10, 64), "float32"))
    assert y.shape == (2, 10, 64)
    d, ff = 64, 128
    assert block.count_params() == (4 * d * d + 4 * d) + (2 * d * ff + ff + d) + 4 * d == 33472
    y, scores = block(np.ones((2, 10, 64), "float32"), return_attention_scores=True)
    assert scores.shape == (2, 4, 10, 10)
    np.testing.assert_allclose(np.sum(scores, axis=-1), 1.0, rtol=1e-5)


def test_transformer_block_is_pre_ln_residual():
    # with the attention and FFN output projections zeroed the block is the identity
    block = TransformerBlock(num_heads=2, key_dim=4, ff_dim=16)
    x = keras.random.normal((2, 5, 8), seed=2)
    block(x)
    for layer in (block.attention.output_dense, block.ffn_down):
        layer.kernel.assign(np.zeros(layer.kernel.shape))
        layer.bias.assign(np.zeros(layer.bias.shape))
    np.testing.assert_allclose(block(x), x, atol=1e-6)


def test_causal_block_does_not_see_the_future():
    block = TransformerBlock(num_heads=2, key_dim=4, ff_dim=16, causal=True)
    x = keras.random.normal((1, 8, 8), seed=3).numpy()
    changed = x.copy()
    changed[0, 5] = np.random.default_rng(0).normal(
        size=8
    )  # not a constant shift: LN removes those
    before, after = block(x).numpy(), block(changed).numpy()
    np.testing.assert_array_equal(before[0, :5], after[0, :5])
    assert np.abs(before[0, 5:] - after[0, 5:]).max() > 1e-3
    open_block = TransformerBlock(num_heads=2, key_dim=4, ff_dim=16)
    assert np.abs(open_block(x)[0, :5] - open_block(changed)[0, :5]).max() > 1e-3


def test_transformer_block_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_heads"):
        TransformerBlock(0, 4, 8)
    with pytest.raises(ValueError, match="dropout"):
        TransformerBlock(2, 4, 8, dropout=1.5)
    with pytest.raises(TypeError, match="causal"):
        TransformerBlock(2, 4, 8, causal="yes")
    with pytest.raises(ValueError, match="batch, T, d"):
        TransformerBlock(2, 4, 8)(np.zeros((3, 8), "float32"))


def test_model_with_the_layers_survives_a_keras_file(tmp_path):
    inputs = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(20, 8)(inputs)
    x = PositionEmbedding(12)(x)
    x = TransformerBlock(2, 4, 16, causal=True, dropout=0.1)(x)
    model = keras.Model(inputs, keras.layers.Dense(20)(x))
    ids = np.random.default_rng(0).integers(0, 20, (2, 12))
    path = tmp_path / "tiny_gpt.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded(ids), model(ids), atol=1e-6)
    assert loaded.layers[3].get_config()["causal"] is True
