"""dlkit.graphs: layers against dense-matrix formulas, symmetry, masking, data helpers."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit.graphs import (
    GATConv,
    GCNConv,
    GraphReadout,
    SAGEConv,
    karate_club,
    masked_sparse_categorical_crossentropy,
    normalized_adjacency,
    pad_graphs,
)

RNG = np.random.default_rng(0)


def _random_graph(n: int = 7, p: float = 0.4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.random((n, n)) < p, 1).astype("float32")
    return upper + upper.T


def _permutation(n: int, seed: int = 1) -> np.ndarray:
    return np.eye(n, dtype="float32")[np.random.default_rng(seed).permutation(n)]


def test_normalized_adjacency_matches_kipf_formula():
    a = _random_graph()
    a_tilde = a + np.eye(len(a))
    d_inv_sqrt = np.diag(1 / np.sqrt(a_tilde.sum(1)))
    np.testing.assert_allclose(normalized_adjacency(a), d_inv_sqrt @ a_tilde @ d_inv_sqrt, 1e-6)


def test_normalized_adjacency_guards_padding_and_isolated_nodes():
    a, _, mask = pad_graphs([np.array([[0, 1], [1, 0]])], [np.ones((2, 1))], max_nodes=4)
    a_hat = normalized_adjacency(a, mask=mask)
    assert np.isfinite(a_hat).all()
    np.testing.assert_allclose(a_hat[0, :2, :2], 0.5)
    assert (a_hat[0, 2:] == 0).all() and (a_hat[0, :, 2:] == 0).all()
    no_loops = normalized_adjacency(np.zeros((3, 3)), add_self_loops=False)
    assert (no_loops == 0).all()
    with pytest.raises(ValueError, match="mask"):
        normalized_adjacency(a, mask=np.ones(3))
    with pytest.raises(ValueError, match="adjacency"):
        normalized_adjacency(np.ones((2, 3)))


def test_gcn_matches_dense_formula_batched_and_unbatched():
    a = _random_graph()
    a_hat = normalized_adjacency(a)
    x = RNG.normal(size=(7, 3)).astype("float32")
    layer = GCNConv(4, activation="relu")
    out = layer([x, a_hat]).numpy()
    kernel, bias = (w.numpy() for w in layer.weights)
    assert kernel.shape == (3, 4)  # sized from the features, not the number of nodes
    np.testing.assert_allclose(out, np.maximum(a_hat @ x @ kernel + bias, 0), atol=1e-5)
    batched = layer([np.stack([x, 2 * x]), np.stack([a_hat, a_hat])]).numpy()
    np.testing.assert_allclose(batched[0], out, atol=1e-5)
    np.testing.assert_allclose(batched[1], np.maximum(a_hat @ (2 * x) @ kernel + bias, 0), 1e-5)


def test_sage_matches_mean_aggregation_formula():
    a = _random_graph()
    a[0, :] = a[:, 0] = 0  # an isolated node gets a zero neighbour mean
    x = RNG.normal(size=(7, 3)).astype("float32")
    layer = SAGEConv(5)
    out = layer([x, a]).numpy()
    kernel, bias = (w.numpy() for w in layer.weights)
    assert kernel.shape == (6, 5)
    degree = a.sum(1, keepdims=True)
    mean = np.where(degree > 0, a @ x / np.maximum(degree, 1), 0)
    np.testing.assert_allclose(out, np.concatenate([x, mean], 1) @ kernel + bias, atol=1e-5)
    normalized = SAGEConv(5, normalize=True)([x, a]).numpy()
    np.testing.assert_allclose(np.linalg.norm(normalized, axis=1), 1, atol=1e-5)


def _gat_reference(x, a, kernel, a_src, a_dst, heads, units, concat):
    n = len(x)
    z = (x @ kernel).reshape(n, heads, units)
    outs, alphas = [], []
    for h in range(heads):
        e = (z[:, h] @ a_src[h])[:, None] + (z[:, h] @ a_dst[h])[None, :]
        e = np.where(e > 0, e, 0.2 * e)
        edges = (a != 0) | np.eye(n, dtype=bool)
        e = np.where(edges, e, -np.inf)
        alpha = np.exp(e - e.max(1, keepdims=True))
        alpha /= alpha.sum(1, keepdims=True)
        alphas.append(alpha)
        outs.append(alpha @ z[:, h])
    out = np.concatenate(outs, 1) if concat else np.mean(outs, 0)
    return out, np.stack(alphas)


@pytest.mark.parametrize("concat", [True, False])
def test_gat_matches_reference_and_masks_non_edges(concat):
    a = _random_graph(8, 0.3, seed=3)
    x = RNG.normal(size=(8, 5)).astype("float32")
    layer = GATConv(4, heads=3, concat=concat, use_bias=False)
    out, attention = layer([x, a], return_attention=True)
    kernel, a_src, a_dst = (w.numpy() for w in layer.weights)
    assert a_src.shape == (3, 4) and a_dst.shape == (3, 4)  # [a1 || a2] has 2F' entries
    expected, alpha = _gat_reference(x, a, kernel, a_src, a_dst, 3, 4, concat)
    np.testing.assert_allclose(out.numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(attention.numpy(), alpha, atol=1e-6)
    attention = attention.numpy()
    np.testing.assert_allclose(attention.sum(-1), 1, atol=1e-6)
    non_edges = (a == 0) & ~np.eye(8, dtype=bool)
    assert np.abs(attention[:, non_edges]).max() == 0
    assert out.shape == (8, 12 if concat else 4)


@pytest.mark.parametrize(
    "make_layer, normalise",
    [
        (lambda: GCNConv(4, activation="relu"), True),
        (lambda: SAGEConv(4, activation="relu"), False),
        (lambda: GATConv(3, heads=2), False),
    ],
)
def test_node_outputs_are_permutation_equivariant(make_layer, normalise):
    a = _random_graph(9, 0.35, seed=5)
    adjacency = normalized_adjacency(a) if normalise else a
    x = RNG.normal(size=(9, 3)).astype("float32")
    p = _permutation(9)
    layer = make_layer()
    out = layer([x, adjacency]).numpy()
    permuted = layer([p @ x, p @ adjacency @ p.T]).numpy()
    np.testing.assert_allclose(permuted, p @ out, atol=1e-5)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_readout_is_invariant_and_ignores_padding(mode):
    a = _random_graph(6, 0.5, seed=2)
    x = RNG.normal(size=(6, 3)).astype("float32")
    a_b, x_b, mask = pad_graphs([a], [x], max_nodes=9)
    x_b[0, 6:] = 100.0  # garbage in padded rows must not leak into the readout
    h = GCNConv(4)([x_b, normalized_adjacency(a_b, mask=mask)]).numpy()
    readout = GraphReadout(mode)
    pooled = readout([h, mask]).numpy()
    real = h[0, :6]
    expected = {"sum": real.sum(0), "mean": real.mean(0), "max": real.max(0)}[mode]
    np.testing.assert_allclose(pooled[0], expected, atol=1e-5)
    p = _permutation(9, seed=4)
    pooled_p = readout([np.einsum("ij,bjf->bif", p, h), mask @ p.T]).numpy()
    np.testing.assert_allclose(pooled_p, pooled, atol=1e-5)


def test_masked_loss_uses_labelled_nodes_only():
    logits = RNG.normal(size=(1, 5, 3)).astype("float32")
    labels = np.array([[2, -1, 0, -1, 1]])
    loss = masked_sparse_categorical_crossentropy(labels, logits).numpy()
    log_p = logits[0] - np.log(np.exp(logits[0]).sum(1, keepdims=True))
    expected = -np.mean([log_p[0, 2], log_p[2, 0], log_p[4, 1]])
    np.testing.assert_allclose(loss, [expected], rtol=1e-5)


def test_karate_club_is_unweighted_with_two_clubs():
    a, labels = karate_club()
    assert a.shape == (34, 34) and a.sum() == 156 and (a == a.T).all()
    assert set(np.unique(a)) == {0.0, 1.0}
    assert labels[0] == 0 and labels[33] == 1 and labels.sum() == 17


def test_pad_graphs_validates_arguments():
    with pytest.raises(ValueError, match="same length"):
        pad_graphs([np.zeros((2, 2))], [])
    with pytest.raises(ValueError, match="max_nodes"):
        pad_graphs([np.zeros((3, 3))], [np.zeros((3, 1))], max_nodes=2)
    with pytest.raises(ValueError, match="same nodes"):
        pad_graphs([np.zeros((3, 3))], [np.zeros((2, 1))])


def test_layers_validate_arguments_and_round_trip_through_config():
    with pytest.raises(ValueError, match="units"):
        GCNConv(0)
    with pytest.raises(ValueError, match="heads"):
        GATConv(4, heads=0)
    with pytest.raises(ValueError, match="mode"):
        GraphReadout("median")
    for layer in (GCNConv(3, "relu"), SAGEConv(2, normalize=True), GATConv(2, heads=2)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_model_with_graph_layers_saves_and_loads(tmp_path):
    x_in, a_in = keras.Input((5, 2)), keras.Input((5, 5))
    h = GATConv(3, heads=2, activation="elu")([x_in, a_in])
    h = SAGEConv(3)([h, a_in])
    out = GCNConv(2)([h, a_in])
    model = keras.Model([x_in, a_in], out)
    x = RNG.normal(size=(1, 5, 2)).astype("float32")
    a = normalized_adjacency(_random_graph(5, 0.5))[None]
    model.save(tmp_path / "gnn.keras")
    loaded = keras.saving.load_model(tmp_path / "gnn.keras", safe_mode=True)
    np.testing.assert_allclose(loaded([x, a]).numpy(), model([x, a]).numpy(), atol=1e-6)
