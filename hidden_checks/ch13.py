"""Hidden checks of chapter 13 (graph neural networks).

Every check takes the student's answer and returns ``(passed, message)``; messages say what
is wrong, never what is expected. Numbers are compared with ``np.allclose`` (``rtol=1e-5``),
counts exactly (absolute tolerance 0.25), choices as letters.

The reference values are recomputed below with NumPy from the tasks' inputs, by the formulas
of the lesson; ``tests/test_exercises_ch13.py`` compares them with the numbers printed in
``shared/curriculum/13-gnns.md`` §4, with ``networkx`` (13.11), with Keras parameter counts of
``dlkit.graphs`` layers (13.12) and with ``dlkit.graphs.GCNConv`` (13.14).

* 13.14 is a function answer, ``gcn_apply(x, a_hat, kernel, bias)``, which builds the
  student's ``GCNConv`` layer, loads the given weights and calls it. The grader calls it in
  the student's kernel on ``PROBES``: other graphs than the public check's, with the number of
  nodes different from the number of features, and padded batches of shape ``(B, N, F)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import Result, choice, close, exact, parts, safe

# ---------------------------------------------------------------------------
# Exercise data (the same numbers the exercises notebook gives the student).
# ---------------------------------------------------------------------------

PATH3 = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float)
CYCLE4 = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]], dtype=float)
X2 = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float)  # 13.2, 13.7
W2 = np.array([[0.2, 0.3], [0.4, 0.5]])
X3 = np.arange(1.0, 13.0).reshape(4, 3)  # 13.3
W3 = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
X4 = np.array([[1, 0, 2], [0, 1, 3], [1, 1, 1], [2, 0, 0]], dtype=float)  # 13.4, 13.6
W4 = np.array([[0.2, 0.5], [0.3, 0.4], [0.6, 0.1]])
X5 = np.array([[1, 2], [3, 4], [5, 6]], dtype=float)  # 13.5, 13.9, 13.13
W5_1 = np.array([[0.1, 0.3], [0.2, 0.4]])
W5_2 = np.array([[0.5], [0.6]])
ATTENTION = np.array([0.1, 0.2, 0.3, 0.4])  # 13.6, 13.13
NEIGHBOURS7 = {1: [2, 3], 2: [1, 3, 4], 3: [1, 2], 4: [2]}
W7 = np.array([[0.5, -0.5], [0.5, 0.5], [1, 0], [0, 1]])
TRIANGLE = np.ones((3, 3)) - np.eye(3)
X8 = np.array([[1, 0], [0, 1], [1, 1]], dtype=float)
B10 = np.array([[1, 0, 1], [-1, 1, 0], [0, -1, -1]], dtype=float)
A13 = np.array([[0, 2, 1], [2, 0, 1], [1, 1, 0]], dtype=float)


def _sym(a: np.ndarray, self_loops: bool) -> np.ndarray:
    a = a + np.eye(len(a)) if self_loops else a
    inv_sqrt = np.diag(a.sum(axis=1) ** -0.5)
    return inv_sqrt @ a @ inv_sqrt


def gcn_reference(x: Any, a_hat: Any, kernel: Any, bias: Any) -> np.ndarray:
    """A GCN layer without activation: ``a_hat @ x @ kernel + bias`` (batched or not)."""
    x, a_hat = np.asarray(x, dtype=float), np.asarray(a_hat, dtype=float)
    return np.matmul(a_hat, np.matmul(x, np.asarray(kernel, float))) + np.asarray(bias, float)


def _attention(z: np.ndarray, a: np.ndarray, allowed: np.ndarray, extra, leaky: bool):
    half = len(a) // 2
    scores = (z @ a[:half])[:, None] + (z @ a[half:])[None, :] + extra
    if leaky:
        scores = np.where(scores > 0, scores, 0.2 * scores)
    weights = np.where(allowed, np.exp(scores), 0.0)
    return weights / weights.sum(axis=1, keepdims=True)


def _karate() -> dict[str, float]:
    import networkx as nx

    graph = nx.karate_club_graph()
    a = nx.to_numpy_array(graph, weight=None)
    officer = np.array([graph.nodes[i]["club"] == "Officer" for i in range(34)])
    values, vectors = np.linalg.eigh(np.diag(a.sum(1)) - a)
    agreement = float(np.mean((vectors[:, 1] > 0) == officer))
    return {
        "nodes": 34.0,
        "edges": 78.0,
        "degree_0": float(a[0].sum()),
        "degree_33": float(a[33].sum()),
        "mr_hi": float(np.sum(~officer)),
        "officer": float(np.sum(officer)),
        "weighted_sum": float(nx.to_numpy_array(graph).sum()),
        "unweighted_sum": float(a.sum()),
        "zero_eigenvalues": float(np.sum(values < 1e-9)),
        "fiedler_agreement": max(agreement, 1 - agreement),
    }


def _references() -> dict[str, Any]:
    a_hat2 = _sym(CYCLE4, False)
    h2 = a_hat2 @ X2 @ W2
    kipf3 = _sym(PATH3, True)
    h1 = np.maximum(kipf3 @ X5 @ W5_1, 0)
    z6 = X4 @ W4
    alpha6 = _attention(z6, ATTENTION, (CYCLE4 + np.eye(4)) > 0, 0.0, leaky=True)
    adjacency7 = np.zeros((4, 4))
    for i, js in NEIGHBOURS7.items():
        adjacency7[i - 1, [j - 1 for j in js]] = 1
    mean7 = adjacency7 @ X2 / adjacency7.sum(1, keepdims=True)
    messages = np.maximum(X8 @ W2.T, 0)
    received = TRIANGLE @ messages
    lap = np.diag(PATH3.sum(1)) - PATH3
    eigenvalues, eigenvectors = np.linalg.eigh(lap)
    l_tilde = 2 * lap / eigenvalues.max() - np.eye(3)
    flipped = B10.copy()
    flipped[:, 0] *= -1
    z13 = X5 @ W2
    alpha13 = _attention(z13, ATTENTION, A13 > 0, A13, leaky=False)
    return {
        "13.1": kipf3,
        "13.2": {
            "a_hat": a_hat2,
            "h": h2,
            "relu": np.maximum(h2, 0),
            "h_self_loops": _sym(CYCLE4, True) @ X2 @ W2,
        },
        "13.3": a_hat2 @ X3 @ W3,
        "13.4": {"h": a_hat2 @ X4 @ W4, "reason": "b"},
        "13.5": {"h1": h1, "h2": kipf3 @ h1 @ W5_2},
        "13.6": {"z": z6, "alpha": alpha6, "h": alpha6 @ z6, "reason": "b"},
        "13.7": {"mean": mean7, "h": np.maximum(np.concatenate([X2, mean7], 1) @ W7, 0)},
        "13.8": {
            "messages": messages,
            "received": received,
            "h": np.maximum((X8 + received) @ W2.T, 0),
        },
        "13.9": {
            "eigenvalues": eigenvalues,
            "fiedler": eigenvectors[:, 1] * np.sign(eigenvectors[0, 1]),
            "l_tilde": l_tilde,
            "y": 0.5 * X5 + 0.5 * l_tilde @ X5,
        },
        "13.10": {"bbt": B10 @ B10.T, "flipped": flipped @ flipped.T},
        "13.11": _karate(),
        "13.12": {"gcn": 594.0, "gat": 1152.0, "sage": 1104.0},
        "13.13": {"z": z13, "alpha": alpha13, "h": alpha13 @ z13},
        "13.14": gcn_reference,
        "13.15": "b",
        "13.16": "c",
        "13.17": "b",
    }


REFERENCE: dict[str, Any] = _references()


def _bias_inside(x: Any, a_hat: Any, kernel: Any, bias: Any) -> np.ndarray:
    x, a_hat = np.asarray(x, dtype=float), np.asarray(a_hat, dtype=float)
    return np.matmul(a_hat, np.matmul(x, np.asarray(kernel, float)) + np.asarray(bias, float))


_R = REFERENCE
# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Self-loops added, but normalised with the degrees of A instead of those of A + I.
    "13.1": np.diag(PATH3.sum(1) ** -0.5) @ (PATH3 + np.eye(3)) @ np.diag(PATH3.sum(1) ** -0.5),
    # (d) with self-loops but the degrees of A (2) instead of those of A + I (3).
    "13.2": {**_R["13.2"], "h_self_loops": (CYCLE4 + np.eye(4)) / 2 @ X2 @ W2},
    # Self-loops added although the task says no self-loops.
    "13.3": _sym(CYCLE4, True) @ X3 @ W3,
    # Over-smoothing named as the reason.
    "13.4": {**_R["13.4"], "reason": "c"},
    # The second layer propagates with the unnormalised A + I.
    "13.5": {**_R["13.5"], "h2": (PATH3 + np.eye(3)) @ _R["13.5"]["h1"] @ W5_2},
    # Softmax over all four nodes instead of the closed neighbourhood.
    "13.6": {
        **_R["13.6"],
        "alpha": _attention(X4 @ W4, ATTENTION, np.ones((4, 4), bool), 0.0, leaky=True),
    },
    # Mean over the closed neighbourhood (node itself included).
    "13.7": {
        **_R["13.7"],
        "mean": np.array(
            [X2[[i - 1] + [j - 1 for j in NEIGHBOURS7[i]]].mean(axis=0) for i in range(1, 5)]
        ),
    },
    # Row-vector convention X W_m instead of W_m x_j.
    "13.8": {**_R["13.8"], "messages": np.maximum(X8 @ W2, 0)},
    # Normalised Laplacian eigenvalues instead of those of D - A.
    "13.9": {**_R["13.9"], "eigenvalues": np.array([0.0, 1.0, 2.0])},
    # Bᵀ B (edge-by-edge) instead of B Bᵀ.
    "13.10": {**_R["13.10"], "bbt": B10.T @ B10},
    # The weighted adjacency's sum reported for both.
    "13.11": {**_R["13.11"], "unweighted_sum": _R["13.11"]["weighted_sum"]},
    # An attention vector with F' entries instead of 2F'.
    "13.12": {**_R["13.12"], "gat": 4 * (34 * 8 + 8)},
    # Softmax over all nodes including i (self-loop with A_ii = 0).
    "13.13": {
        **_R["13.13"],
        "alpha": _attention(X5 @ W2, ATTENTION, np.ones((3, 3), bool), A13, leaky=False),
    },
    # The bias inside the normalised neighbour sum (rescaled by the degrees).
    "13.14": _bias_inside,
    # Node outputs required to be invariant.
    "13.15": "a",
    # Mean readout.
    "13.16": "a",
    # "Exactly as intended."
    "13.17": "a",
}

# The non-literal wrong answers as code a student could type.
WRONG_SOURCE: dict[str, str] = {
    "13.14": (
        "class GCNConv(keras.layers.Layer):\n"
        "    def __init__(self, units, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.units = units\n"
        "    def build(self, input_shape):\n"
        "        f = input_shape[0][-1]\n"
        "        self.kernel = self.add_weight(shape=(f, self.units), name='kernel')\n"
        "        self.bias = self.add_weight(shape=(self.units,), name='bias')\n"
        "    def call(self, inputs):\n"
        "        x, a_hat = inputs\n"
        "        # bias inside the aggregation: rescaled by the degrees\n"
        "        return keras.ops.matmul(a_hat, keras.ops.matmul(x, self.kernel) + self.bias)\n"
        "\n"
        "\n"
        "def answer_13_14(x, a_hat, kernel, bias):\n"
        "    layer = GCNConv(kernel.shape[1])\n"
        "    layer([x, a_hat])\n"
        "    layer.set_weights([kernel, bias])\n"
        "    return np.asarray(layer([x, a_hat]))\n"
    ),
}


def _probe(seed: int, n: int, f: int, units: int, batch: int | None = None):
    rng = np.random.default_rng(seed)
    shape = (n,) if batch is None else (batch, n)
    upper = np.triu(rng.random((*shape, n)) < 0.5, 1).astype(float)
    a = upper + np.swapaxes(upper, -1, -2) + np.eye(n)
    inv_sqrt = a.sum(-1) ** -0.5
    a_hat = (inv_sqrt[..., :, None] * a * inv_sqrt[..., None, :]).astype("float32")
    x = rng.normal(size=(*shape, f)).round(2).astype("float32")
    kernel = rng.normal(size=(f, units)).round(2).astype("float32")
    bias = rng.normal(size=units).round(2).astype("float32")
    return (x, a_hat, kernel, bias)


# Arguments the hidden check of 13.14 calls the function with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "13.14": [
        _probe(131, 5, 3, 2),
        _probe(132, 3, 6, 4),
        _probe(133, 4, 2, 3, batch=2),
        _probe(134, 6, 4, 1, batch=3),
    ],
}


def _ref(exercise_id: str) -> Any:
    return REFERENCE[exercise_id]


def _make(exercise_id: str, doc: str, exact_keys: tuple[str, ...] = ()) -> Callable[[Any], Result]:
    """A check: dict parts (choices as letters, ``exact_keys`` exactly, others allclose)."""

    def one(expected: Any, key: str) -> Callable[[Any, str], Result]:
        if isinstance(expected, str):
            return lambda v, n: choice(v, expected)
        if key in exact_keys:
            return lambda v, n: exact(v, expected, n)
        return lambda v, n: close(v, expected, n)

    reference = _ref(exercise_id)

    def check(answer: Any) -> Result:
        if isinstance(reference, dict):
            return parts(answer, {key: one(value, key) for key, value in reference.items()})
        return close(answer, reference)

    check.__doc__ = doc
    return safe(check)


@safe
def check_13_14(answer: Any) -> Result:
    """The student's GCNConv (through gcn_apply) on the hidden probes."""
    if not callable(answer):
        return False, f"expected a function, got {type(answer).__name__}"
    probes = PROBES["13.14"]
    failed = 0
    for args in probes:
        ok, _ = close(answer(*args), gcn_reference(*args), rtol=1e-4, atol=1e-4)
        failed += not ok
    if failed:
        return False, f"the layer is wrong on {failed} of {len(probes)} hidden test graphs"
    return True, f"correct on {len(probes)} hidden test graphs"


def _choice_check(exercise_id: str, doc: str) -> Callable[[Any], Result]:
    def check(answer: Any) -> Result:
        return choice(answer, _ref(exercise_id))

    check.__doc__ = doc
    return safe(check)


_COUNTS = (
    "nodes",
    "edges",
    "degree_0",
    "degree_33",
    "mr_hi",
    "officer",
    "weighted_sum",
    "unweighted_sum",
    "zero_eigenvalues",
)

CHECKS: dict[str, Callable[[Any], Result]] = {
    "13.1": _make("13.1", "Kipf normalisation of a path."),
    "13.2": _make("13.2", "GCN layer on a 4-cycle, without and with self-loops."),
    "13.3": _make("13.3", "GCN layer with three features."),
    "13.4": _make("13.4", "Identical rows on the bipartite 4-cycle."),
    "13.5": _make("13.5", "Two-layer GCN by hand."),
    "13.6": _make("13.6", "One GAT head by hand."),
    "13.7": _make("13.7", "GraphSAGE mean aggregator."),
    "13.8": _make("13.8", "Message passing on a triangle."),
    "13.9": _make("13.9", "Laplacian spectrum and Chebyshev filter."),
    "13.10": _make("13.10", "Incidence matrix and Laplacian."),
    "13.11": _make("13.11", "Karate club facts.", _COUNTS),
    "13.12": _make("13.12", "Parameter counts.", ("gcn", "gat", "sage")),
    "13.13": _make("13.13", "Attention with edge weights."),
    "13.14": check_13_14,
    "13.15": _choice_check("13.15", "Equivariance and invariance."),
    "13.16": _choice_check("13.16", "Readouts on cycles."),
    "13.17": _choice_check("13.17", "Masked loss reduction in Keras."),
}
