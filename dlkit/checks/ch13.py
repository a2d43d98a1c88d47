"""Public checks of chapter 13 (graph neural networks).

Used by ``dlkit.exercises.check("13.k", answer)``. Exercises 13.1 to 13.13 are numeric
(normalised adjacencies and GCN layers by hand, GraphSAGE and GAT on small graphs, a
message-passing network, the Laplacian, a Chebyshev filter, the incidence matrix, facts about
the karate club, parameter counts), 13.14 asks for a function built on the student's own
``GCNConv`` layer, and 13.15 to 13.17 are multiple-choice questions (13.4 and 13.6 also ask
for one letter). Nodes are numbered from 1 in the tasks.

No reference value is written in this module. Each check compares a *fingerprint* of the
answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference answer. The
function answer is fingerprinted through its outputs on the public inputs below. The exact
reference values and stricter comparisons (other graphs, batches) are the teacher's hidden
checks (``hidden_checks/ch13.py``, not shipped).
"""

from __future__ import annotations

import numpy as np

from dlkit.exercises import (
    Exercise,
    expect_array,
    expect_choice,
    expect_dict,
    expect_function,
    expect_number,
    register,
)

CHOICES = ("a", "b", "c", "d")


def _kipf(a: np.ndarray) -> np.ndarray:
    a = a + np.eye(a.shape[-1])
    inv_sqrt = np.diag(a.sum(axis=1) ** -0.5)
    return (inv_sqrt @ a @ inv_sqrt).astype("float32")


_CYCLE = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]], dtype=float)
_PATH = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float)
_X = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype="float32")
_W = np.array([[0.2, 0.3], [0.4, 0.5]], dtype="float32")

# Public inputs of the function exercise 13.14, (x, a_hat, kernel, bias); the hidden check
# uses other graphs.
GCN_INPUTS = [
    (_X, _kipf(_CYCLE), _W, np.zeros(2, dtype="float32")),
    (
        np.array([[1, 2], [3, 4], [5, 6]], dtype="float32"),
        _kipf(_PATH),
        np.array([[0.1, 0.3], [0.2, 0.4]], dtype="float32"),
        np.array([0.1, -0.2], dtype="float32"),
    ),
    (
        np.stack([_X, 2 * _X]),
        np.stack([_kipf(_CYCLE)] * 2),
        _W,
        np.array([0.5, 0.0], dtype="float32"),
    ),
]

register(
    Exercise(
        id="13.1",
        points=1,
        produce="a (3, 3) array",
        hint="the self-loop counts in the degree: d̃ = d + 1 for every node",
        check=expect_array((3, 3), "a68da35f33dc6b3c"),
    )
)

register(
    Exercise(
        id="13.2",
        points=2,
        produce=(
            "a dict with keys 'a_hat' (4, 4), 'h' (4, 2), 'relu' (4, 2), 'h_self_loops' (4, 2)"
        ),
        hint=(
            "(a)-(c) use D^-1/2 A D^-1/2 without self-loops; only (d) uses A + I and its "
            "degrees (all 3), normalised symmetrically"
        ),
        check=expect_dict(
            {
                "a_hat": expect_array((4, 4), "55174ca6a4de8f13"),
                "h": expect_array((4, 2), "d81b6119404c2e5e"),
                "relu": expect_array((4, 2), "d81b6119404c2e5e"),
                "h_self_loops": expect_array((4, 2), "9d0385985c68c596"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.3",
        points=1,
        produce="a (4, 2) array",
        hint="no self-loops here; every node of the 4-cycle has degree 2, so Â = A / 2",
        check=expect_array((4, 2), "b4a42a1f359f6d39"),
    )
)

register(
    Exercise(
        id="13.4",
        points=2,
        produce="a dict with keys 'h' (a (4, 2) array) and 'reason' (one letter)",
        hint="compare which nodes each node averages on a bipartite graph",
        check=expect_dict(
            {
                "h": expect_array((4, 2), "e271730581a9addd"),
                "reason": expect_choice(CHOICES, "3e23e8160039594a"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.5",
        points=2,
        produce="a dict with keys 'h1' (3, 2) and 'h2' (3, 1)",
        hint="Kipf's Â uses the degrees of A + I (2, 3, 2); the second layer has no ReLU",
        check=expect_dict(
            {
                "h1": expect_array((3, 2), "83836dc71c89f9ea"),
                "h2": expect_array((3, 1), "6758d84a35683c67"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.6",
        points=3,
        produce="a dict with keys 'z' (4, 2), 'alpha' (4, 4), 'h' (4, 2), 'reason' (one letter)",
        hint=(
            "e_ij = LeakyReLU(a[:2]·z_i + a[2:]·z_j); softmax each row over the node and its "
            "two neighbours only"
        ),
        check=expect_dict(
            {
                "z": expect_array((4, 2), "bd7306178892ff10"),
                "alpha": expect_array((4, 4), "fa14c018534ce9a6"),
                "h": expect_array((4, 2), "9dd98a40e1ea6f59"),
                "reason": expect_choice(CHOICES, "3e23e8160039594a"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.7",
        points=2,
        produce="a dict with keys 'mean' (4, 2) and 'h' (4, 2)",
        hint=(
            "average the neighbours only (not the node itself), then concatenate [x_i, m_i] "
            "before multiplying by W"
        ),
        check=expect_dict(
            {
                "mean": expect_array((4, 2), "4c0c4b252472d965"),
                "h": expect_array((4, 2), "ba5e6f4c195c8236"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.8",
        points=2,
        produce="a dict with keys 'messages' (3, 2), 'received' (3, 2), 'h' (3, 2)",
        hint=(
            "column-vector convention: W_m x_j, i.e. X @ W_m.T in row form; every node "
            "receives from the other two"
        ),
        check=expect_dict(
            {
                "messages": expect_array((3, 2), "1d8fe00acf4a6953"),
                "received": expect_array((3, 2), "fc3c3934fa2583bb"),
                "h": expect_array((3, 2), "e901abe8e6cae564"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.9",
        points=3,
        produce=(
            "a dict with keys 'eigenvalues' (3,), 'fiedler' (3,), 'l_tilde' (3, 3), 'y' (3, 2)"
        ),
        hint=(
            "np.linalg.eigh sorts eigenvalues increasingly; λ_max of L = D - A for this path is 3"
        ),
        check=expect_dict(
            {
                "eigenvalues": expect_array((3,), "be02e574ff51f87b"),
                "fiedler": expect_array((3,), "91a0ca4f498adc56"),
                "l_tilde": expect_array((3, 3), "8405e60ffaff463e"),
                "y": expect_array((3, 2), "0cf0db77116985ab"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.10",
        points=1,
        produce="a dict with keys 'bbt' (3, 3) and 'flipped' (3, 3)",
        hint="each column of B enters B Bᵀ as an outer product with itself",
        check=expect_dict(
            {
                "bbt": expect_array((3, 3), "983c9a4d3561bebe"),
                "flipped": expect_array((3, 3), "983c9a4d3561bebe"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.11",
        points=2,
        produce=(
            "a dict of ten numbers: 'nodes', 'edges', 'degree_0', 'degree_33', 'mr_hi', "
            "'officer', 'weighted_sum', 'unweighted_sum', 'zero_eigenvalues', "
            "'fiedler_agreement'"
        ),
        hint=(
            "networkx attaches edge weights; weight=None gives the 0/1 adjacency, whose sum "
            "is twice the number of edges"
        ),
        check=expect_dict(
            {
                "nodes": expect_number("48fd9dfb81fca851"),
                "edges": expect_number("5e7ecd91c80f33b3"),
                "degree_0": expect_number("4955e4226f8cf4b2"),
                "degree_33": expect_number("f34100288d31f84e"),
                "mr_hi": expect_number("f34100288d31f84e"),
                "officer": expect_number("f34100288d31f84e"),
                "weighted_sum": expect_number("db8d1df2b583c532"),
                "unweighted_sum": expect_number("e04c835f79f8ee26"),
                "zero_eigenvalues": expect_number("40a8063ffa22f77d"),
                "fiedler_agreement": expect_number("27c57544ea986950"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.12",
        points=2,
        produce="a dict with keys 'gcn', 'gat', 'sage' (integers)",
        hint=("the attention vector acts on [z_i || z_j]; GraphSAGE's kernel acts on [h_i || m_i]"),
        check=expect_dict(
            {
                "gcn": expect_number("31f727f4cba2cf1b"),
                "gat": expect_number("2a86a94ce056da5f"),
                "sage": expect_number("497820feb0baa757"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.13",
        points=2,
        produce="a dict with keys 'z' (3, 2), 'alpha' (3, 3), 'h' (3, 2)",
        hint="no LeakyReLU and no self-loop: each row's softmax runs over the two other nodes",
        check=expect_dict(
            {
                "z": expect_array((3, 2), "d6efd6bdf5a5eedc"),
                "alpha": expect_array((3, 3), "be9d0f4ef955a0cb"),
                "h": expect_array((3, 2), "fa2595aa8fa4d7c0"),
            }
        ),
    )
)

register(
    Exercise(
        id="13.14",
        points=4,
        produce="the function gcn_apply, using your GCNConv layer",
        hint=(
            "kernel of shape (features, units) from input_shape[0][-1]; bias added after "
            "ops.matmul(a_hat, x @ kernel)"
        ),
        check=expect_function(GCN_INPUTS, "dfc9a34095541ac9"),
    )
)

register(
    Exercise(
        id="13.15",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint="node outputs move with the nodes; a mean over all nodes does not",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="13.16",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint=(
            "on a cycle every node gets the same embedding; which pooling still depends on "
            "the number of nodes?"
        ),
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="13.17",
        points=1,
        produce="one of 'a', 'b', 'c', 'd'",
        hint="what does 'sum_over_batch_size' divide by?",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)
