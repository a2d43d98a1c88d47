"""Tests of dlkit.seq2seq: attention layers against Keras, SE gates, skip-gram helpers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit import seq2seq


def _qv(dq=6, dv=6, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(2, 3, dq)).astype("float32")
    v = rng.normal(size=(2, 5, dv)).astype("float32")
    return q, v


def test_bahdanau_matches_keras_additive_attention():
    q, v = _qv(dq=4, dv=6)
    layer = seq2seq.BahdanauAttention(8)
    ctx, w = layer([q, v])
    assert ctx.shape == (2, 3, 6) and w.shape == (2, 3, 5)
    np.testing.assert_allclose(np.sum(w, -1), 1.0, atol=1e-5)
    ref = keras.layers.AdditiveAttention(use_scale=True)
    qp, kp = layer.w_q(q), layer.w_k(v)
    ref.build([qp.shape, v.shape, kp.shape])
    ref.scale.assign(layer.v)
    rctx, rw = ref([qp, v, kp], return_attention_scores=True)
    np.testing.assert_allclose(w, rw, atol=1e-5)
    np.testing.assert_allclose(ctx, rctx, atol=1e-5)


@pytest.mark.parametrize("score", ["dot", "general"])
def test_luong_matches_keras_attention(score):
    q, v = _qv(dq=6, dv=6)
    layer = seq2seq.LuongAttention(score)
    ctx, w = layer([q, v])
    rctx, rw = keras.layers.Attention()([q, v, layer.keys(v)], return_attention_scores=True)
    np.testing.assert_allclose(w, rw, atol=1e-5)
    np.testing.assert_allclose(ctx, rctx, atol=1e-5)


def test_luong_dot_rejects_mismatched_widths():
    q, v = _qv(dq=4, dv=6)
    with pytest.raises(ValueError):
        seq2seq.LuongAttention("dot")([q, v])
    ctx, _ = seq2seq.LuongAttention("general")([q, v])
    assert ctx.shape == (2, 3, 6)


def test_squeeze_excite_gates_channels():
    x = np.random.default_rng(1).normal(size=(2, 5, 5, 8)).astype("float32")
    se = seq2seq.SqueezeExcite(ratio=4)
    y = se(x)
    g = np.asarray(se.gates(x))
    assert g.shape == (2, 8) and np.all((g > 0) & (g < 1))
    np.testing.assert_allclose(y, x * g[:, None, None, :], rtol=1e-5, atol=1e-6)
    assert se.fc1.units == 2


def test_serialization_round_trip():
    for layer in (seq2seq.BahdanauAttention(3), seq2seq.LuongAttention("general")):
        clone = layer.__class__.from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_skipgram_pairs_window():
    pairs = seq2seq.skipgram_pairs([0, 1, 2, 3], window=1)
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    assert len(seq2seq.skipgram_pairs(np.arange(10), window=2)) == 2 * (9 + 8)


def test_unigram_noise_and_negatives():
    p = seq2seq.unigram_noise([16, 1, 0])
    np.testing.assert_allclose(p, np.array([8.0, 1.0, 0.0]) / 9.0)
    neg = seq2seq.sample_negatives(np.random.default_rng(0), p, n=100, k=5)
    assert neg.shape == (100, 5) and not np.any(neg == 2)
