"""Chapter 13: the hidden references agree with the curriculum digest, networkx and Keras.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the reference
values, which ``hidden_checks/ch13.py`` recomputes with NumPy, are compared with the numbers
printed in ``shared/curriculum/13-gnns.md`` §4; the parameter counts of 13.12 with the Keras
layers of ``dlkit.graphs``; and the GCN reference of 13.14 with ``dlkit.graphs.GCNConv`` on
the public inputs and the hidden probes.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlkit.checks.ch13 import GCN_INPUTS
from dlkit.graphs import GATConv, GCNConv, SAGEConv, karate_club
from hidden_checks.ch13 import CHECKS, PROBES, REFERENCE, gcn_reference

S6 = 1 / np.sqrt(6)

# The digest's answers, as printed there (§4), to 4 decimals.
DIGEST = {
    "13.1": [[0.5, S6, 0], [S6, 1 / 3, S6], [0, S6, 0.5]],
    "13.2": {
        "h": [[0.2, 0.25], [0.4, 0.55], [0.2, 0.25], [0.4, 0.55]],
        "relu": [[0.2, 0.25], [0.4, 0.55], [0.2, 0.25], [0.4, 0.55]],
        "h_self_loops": [[0.2, 0.2667], [0.4, 0.5333], [0.3333, 0.4333], [0.2667, 0.3667]],
    },
    "13.3": [[7.6, 10], [4.9, 6.4], [7.6, 10], [4.9, 6.4]],
    "13.4": {"h": [[1.25, 0.85]] * 4},
    "13.5": {
        "h1": [[0.6991, 1.5706], [1.2648, 2.8746], [1.2991, 2.9706]],
        "h2": [[1.6083], [2.3060], [2.1783]],
    },
    "13.6": {
        "z": [[1.4, 0.7], [2.1, 0.7], [1.1, 1.0], [0.4, 1.0]],
        "alpha": [
            [0.3258, 0.4020, 0, 0.2722],
            [0.3064, 0.3779, 0.3157, 0],
            [0, 0.3980, 0.3325, 0.2695],
            [0.3490, 0, 0.3596, 0.2915],
        ],
        "h": [[1.4092, 0.7817], [1.5699, 0.7947], [1.3094, 0.8806], [1.0007, 0.8953]],
    },
    "13.7": {
        "mean": [[0.5, 1], [0.6667, 0.3333], [0.5, 0.5], [0, 1]],
        "h": [[1, 0.5], [1.1667, 0.8333], [1.5, 0.5], [0, 1]],
    },
    "13.8": {
        "messages": [[0.2, 0.4], [0.3, 0.5], [0.5, 0.9]],
        "received": [[0.8, 1.4], [0.7, 1.3], [0.5, 0.9]],
        "h": [[0.78, 1.42], [0.83, 1.43], [0.87, 1.55]],
    },
    "13.9": {
        "eigenvalues": [0, 1, 3],
        "fiedler": [1 / np.sqrt(2), 0, -1 / np.sqrt(2)],
        "l_tilde": [[-1 / 3, -2 / 3, 0], [-2 / 3, 1 / 3, -2 / 3], [0, -2 / 3, -1 / 3]],
        "y": [[-0.6667, -0.6667], [0, 0], [0.6667, 0.6667]],
    },
    "13.10": {
        "bbt": [[2, -1, -1], [-1, 2, -1], [-1, -1, 2]],
        "flipped": [[2, -1, -1], [-1, 2, -1], [-1, -1, 2]],
    },
    "13.11": {
        "nodes": 34,
        "edges": 78,
        "degree_0": 16,
        "degree_33": 17,
        "mr_hi": 17,
        "officer": 17,
        "weighted_sum": 462,
        "unweighted_sum": 156,
        "zero_eigenvalues": 1,
        "fiedler_agreement": 32 / 34,
    },
    "13.12": {"gcn": 594, "gat": 1152, "sage": 1104},
    "13.13": {
        "z": [[1, 1.3], [2.2, 2.9], [3.4, 4.5]],
        "alpha": [[0, 0.5, 0.5], [0.2689, 0, 0.7311], [0.2689, 0.7311, 0]],
        "h": [[2.8, 3.7], [2.7545, 3.6394], [1.8773, 2.4697]],
    },
}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_references_match_the_digest(exercise_id):
    expected, reference = DIGEST[exercise_id], REFERENCE[exercise_id]
    if not isinstance(expected, dict):
        np.testing.assert_allclose(reference, expected, atol=1e-4)
        return
    for key, value in expected.items():
        np.testing.assert_allclose(reference[key], value, atol=1e-4, err_msg=key)


def test_karate_facts_agree_with_dlkit_loader():
    a, labels = karate_club()
    facts = REFERENCE["13.11"]
    assert facts["unweighted_sum"] == a.sum() and facts["officer"] == labels.sum()
    assert facts["degree_0"] == a[0].sum() and facts["degree_33"] == a[33].sum()


def _count(layer, n_features=34):
    layer([np.zeros((5, n_features), "float32"), np.eye(5, dtype="float32")])
    return sum(int(np.prod(w.shape)) for w in layer.trainable_weights)


def test_parameter_counts_match_keras_layers():
    counts = REFERENCE["13.12"]
    assert _count(GCNConv(16)) + _count(GCNConv(2), 16) == counts["gcn"]
    assert _count(GATConv(8, heads=4, use_bias=False)) == counts["gat"]
    assert _count(SAGEConv(16)) == counts["sage"]


@pytest.mark.parametrize("args", GCN_INPUTS + PROBES["13.14"])
def test_gcn_reference_matches_dlkit_layer(args):
    x, a_hat, kernel, bias = args
    layer = GCNConv(kernel.shape[1])
    layer([x, a_hat])
    layer.set_weights([kernel, bias])
    np.testing.assert_allclose(layer([x, a_hat]), gcn_reference(*args), rtol=1e-5, atol=1e-5)


def test_probes_have_more_nodes_or_features_and_batches():
    shapes = [(x.shape, kernel.shape) for x, _, kernel, _ in PROBES["13.14"]]
    assert any(len(x) == 3 for x, _ in shapes), "a batched probe is needed"
    assert any(x[-2] != x[-1] for x, _ in shapes), "N != F catches a kernel sized by N"


def test_a_layer_sizing_its_kernel_from_the_node_count_fails():
    def kernel_from_nodes(x, a_hat, kernel, bias):
        if np.shape(x)[-2] != np.shape(kernel)[0]:
            raise ValueError("incompatible shapes")
        return gcn_reference(x, a_hat, kernel, bias)

    assert not CHECKS["13.14"](kernel_from_nodes)[0]
