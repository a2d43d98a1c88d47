"""Graph neural networks from scratch: dense graph tensors and message-passing Keras layers.

A graph with ``N`` nodes is held as dense tensors: node features ``x`` of shape ``(N, F)``
and an adjacency matrix ``a`` of shape ``(N, N)``; a batch of graphs padded to ``N`` nodes
adds a leading axis, ``(B, N, F)`` and ``(B, N, N)``, plus a node mask ``(B, N)``. Every
layer here accepts both forms. For graphs of a few dozen nodes a dense matrix is simpler
and faster than a sparse one.

* :func:`normalized_adjacency` builds Kipf and Welling's
  :math:`\\hat A = \\tilde D^{-1/2}(A + I)\\tilde D^{-1/2}` (zero rows of padded nodes stay zero).
* :class:`GCNConv`, :class:`SAGEConv` (mean aggregator) and :class:`GATConv` (multi-head
  attention with a masked softmax) are message-passing layers written with ``keras.ops``.
* :class:`GraphReadout` pools node embeddings into one vector per graph (masked sum, mean
  or max); :func:`masked_sparse_categorical_crossentropy` is the semi-supervised node loss.
* :func:`karate_club` and :func:`pad_graphs` prepare data.

Example:
    >>> a, labels = karate_club()
    >>> a_hat = normalized_adjacency(a)
    >>> x = np.eye(34, dtype="float32")
    >>> GCNConv(2)([x, a_hat]).shape
    TensorShape([34, 2])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "GATConv",
    "GCNConv",
    "GraphReadout",
    "SAGEConv",
    "karate_club",
    "masked_sparse_categorical_crossentropy",
    "normalized_adjacency",
    "pad_graphs",
]

_READOUTS = ("sum", "mean", "max")


def _square_adjacency(a: Any, name: str = "a") -> np.ndarray:
    array = np.asarray(a, dtype=np.float64)
    if array.ndim not in (2, 3) or array.shape[-1] != array.shape[-2]:
        raise ValueError(
            f"{name} must be an (N, N) or (B, N, N) adjacency matrix, got shape {array.shape}"
        )
    return array


def normalized_adjacency(
    a: Any, add_self_loops: bool = True, mask: Any = None, dtype: str = "float32"
) -> np.ndarray:
    """Symmetrically normalised adjacency :math:`\\tilde D^{-1/2}\\tilde A\\tilde D^{-1/2}`.

    With ``add_self_loops`` (Kipf and Welling's GCN rule) :math:`\\tilde A = A + I` and the
    degrees are those of :math:`A + I`; without it :math:`\\tilde A = A`. Nodes of degree 0
    (the padding of a batch, or isolated nodes without self-loops) get a zero row and column
    instead of a division by zero.

    Args:
        a: adjacency matrix, shape ``(N, N)`` or a padded batch ``(B, N, N)``; entries are
            edge weights (0 for no edge).
        add_self_loops: add the identity before normalising.
        mask: optional node mask, shape ``(N,)`` or ``(B, N)``, 1 on real nodes: self-loops
            are added only there, so padded nodes keep all-zero rows.
        dtype: dtype of the result.

    Returns:
        A NumPy array of the same shape as ``a``.

    Example:
        >>> normalized_adjacency([[0, 1], [1, 0]])
        array([[0.5, 0.5],
               [0.5, 0.5]], dtype=float32)
    """
    array = _square_adjacency(a)
    n = array.shape[-1]
    if add_self_loops:
        loops = np.ones(array.shape[:-1]) if mask is None else np.asarray(mask, dtype=np.float64)
        if loops.shape != array.shape[:-1]:
            raise ValueError(
                f"mask must have shape {array.shape[:-1]} to match a, got {loops.shape}"
            )
        array = array + loops[..., :, None] * np.eye(n)
    degree = array.sum(axis=-1)  # (..., N)
    inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(np.where(degree > 0, degree, 1.0)), 0.0)
    return (inv_sqrt[..., :, None] * array * inv_sqrt[..., None, :]).astype(dtype)


def pad_graphs(
    adjacencies: Sequence[Any], features: Sequence[Any], max_nodes: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pad graphs of different sizes into one batch.

    Args:
        adjacencies: one ``(n_g, n_g)`` adjacency per graph.
        features: one ``(n_g, F)`` feature matrix per graph (same ``F`` for all).
        max_nodes: padded size ``N``; the largest ``n_g`` when ``None``.

    Returns:
        ``(a, x, mask)`` of shapes ``(B, N, N)``, ``(B, N, F)`` and ``(B, N)`` (float32);
        padded rows and columns are zero and ``mask`` is 1 on real nodes.

    Example:
        >>> a, x, mask = pad_graphs([np.ones((2, 2))], [np.ones((2, 3))], max_nodes=4)
        >>> a.shape, x.shape, mask.tolist()
        ((1, 4, 4), (1, 4, 3), [[1.0, 1.0, 0.0, 0.0]])
    """
    if len(adjacencies) != len(features) or not adjacencies:
        raise ValueError(
            "adjacencies and features must be non-empty and of the same length, got "
            f"{len(adjacencies)} and {len(features)}"
        )
    mats = [_square_adjacency(a, "adjacencies[i]") for a in adjacencies]
    feats = [np.asarray(f, dtype=np.float64) for f in features]
    sizes = [m.shape[0] for m in mats]
    for i, (m, f) in enumerate(zip(mats, feats, strict=True)):
        if m.ndim != 2 or f.ndim != 2 or f.shape[0] != m.shape[0]:
            raise ValueError(
                f"graph {i}: adjacency {m.shape} and features {f.shape} do not describe the "
                "same nodes"
            )
    n = max(sizes) if max_nodes is None else int(max_nodes)
    if n < max(sizes):
        raise ValueError(f"max_nodes={n} is smaller than the largest graph ({max(sizes)} nodes)")
    width = feats[0].shape[1]
    a = np.zeros((len(mats), n, n), dtype=np.float32)
    x = np.zeros((len(mats), n, width), dtype=np.float32)
    mask = np.zeros((len(mats), n), dtype=np.float32)
    for g, (m, f, size) in enumerate(zip(mats, feats, sizes, strict=True)):
        a[g, :size, :size] = m
        x[g, :size] = f
        mask[g, :size] = 1.0
    return a, x, mask


def karate_club() -> tuple[np.ndarray, np.ndarray]:
    """Zachary's karate club from ``networkx`` (no download): 0/1 adjacency and club labels.

    Returns:
        ``(a, labels)``: ``a`` is the unweighted ``(34, 34)`` adjacency (78 edges; the edge
        weights networkx attaches are dropped), ``labels[i]`` is 0 for "Mr. Hi" and 1 for
        "Officer" (17 nodes each).
    """
    import networkx as nx

    graph = nx.karate_club_graph()
    a = nx.to_numpy_array(graph, nodelist=range(graph.number_of_nodes()), weight=None)
    labels = np.array([0 if graph.nodes[i]["club"] == "Mr. Hi" else 1 for i in range(len(a))])
    return a.astype("float32"), labels


def masked_sparse_categorical_crossentropy(y_true: Any, logits: Any) -> Any:
    """Semi-supervised node loss: cross-entropy averaged over the labelled nodes only.

    Args:
        y_true: integer labels of shape ``(B, N)`` (or ``(N,)``); ``-1`` marks an unlabelled
            node, which still takes part in the forward pass but adds nothing to the loss.
        logits: ``(B, N, C)`` (or ``(N, C)``) unnormalised class scores.

    Returns:
        One loss per graph, shape ``(B,)`` (a scalar for unbatched input): the mean of the
        labelled nodes' cross-entropies, so the weight of an L2 penalty does not depend on
        how many nodes are unlabelled.
    """
    y_true = ops.cast(y_true, "int32")
    if len(y_true.shape) == len(logits.shape):  # (B, N, 1) targets from Keras
        y_true = ops.squeeze(y_true, axis=-1)
    labelled = ops.cast(y_true >= 0, logits.dtype)
    per_node = keras.losses.sparse_categorical_crossentropy(
        ops.maximum(y_true, 0), logits, from_logits=True
    )
    total = ops.sum(per_node * labelled, axis=-1)
    return total / ops.maximum(ops.sum(labelled, axis=-1), 1.0)


class _GraphLayer(keras.layers.Layer):
    """Shared argument handling: ``units``, ``activation``, bias and initialisers."""

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        kernel_regularizer: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    @staticmethod
    def _feature_dim(input_shape: Any, name: str) -> int:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(f"{name} is called on [x, adjacency], got input shape {input_shape}")
        x_shape = input_shape[0]
        if x_shape[-1] is None:
            raise ValueError(f"{name} needs a known feature dimension, got x shape {x_shape}")
        return int(x_shape[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            units=self.units,
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer)
            if self.kernel_regularizer is not None
            else None,
        )
        return config


@keras.saving.register_keras_serializable(package="dlkit")
class GCNConv(_GraphLayer):
    """Graph convolution (Kipf and Welling): :math:`H' = \\sigma(\\hat A H W + b)`.

    Called on ``[x, a_hat]`` with ``x`` of shape ``(N, F)`` or ``(B, N, F)`` and the
    *already normalised* adjacency ``a_hat`` (``(N, N)`` or ``(B, N, N)``, see
    :func:`normalized_adjacency`). The kernel has shape ``(F, units)``, sized from the feature
    dimension; the bias is added once per node after aggregation.

    Args:
        units: output features per node.
        activation: applied last; leave ``None`` on the last layer so it outputs logits.
        use_bias: add a bias vector.
        kernel_initializer, kernel_regularizer: as in ``keras.layers.Dense``.

    Example:
        >>> layer = GCNConv(16, activation="relu")
        >>> layer([np.ones((5, 3)), np.eye(5)]).shape
        TensorShape([5, 16])
    """

    def build(self, input_shape: Any) -> None:
        features = self._feature_dim(input_shape, "GCNConv")
        self.kernel = self.add_weight(
            shape=(features, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs: Any) -> Any:
        x, a_hat = inputs
        h = ops.matmul(a_hat, ops.matmul(x, self.kernel))  # (..., N, units)
        if self.bias is not None:
            h = h + self.bias
        return self.activation(h)


@keras.saving.register_keras_serializable(package="dlkit")
class SAGEConv(_GraphLayer):
    """GraphSAGE with the mean aggregator: :math:`h_i' = \\sigma([h_i \\Vert m_i]W + b)`.

    :math:`m_i` is the mean of the neighbours' features (full-batch: all neighbours),
    :math:`M = D^{-1}AH`; a node without neighbours gets :math:`m_i = 0`. Called on ``[x, a]``
    with the raw (unnormalised, no self-loops) adjacency ``a``. The kernel has shape
    ``(2F, units)``.

    Args:
        units: output features per node.
        activation: applied after the affine map.
        normalize: divide each output row by its L2 norm.
        use_bias, kernel_initializer, kernel_regularizer: as in ``keras.layers.Dense``.
    """

    def __init__(self, units: int, activation: Any = None, normalize: bool = False, **kwargs):
        super().__init__(units, activation, **kwargs)
        self.normalize = bool(normalize)

    def build(self, input_shape: Any) -> None:
        features = self._feature_dim(input_shape, "SAGEConv")
        self.kernel = self.add_weight(
            shape=(2 * features, self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs: Any) -> Any:
        x, a = inputs
        degree = ops.sum(a, axis=-1, keepdims=True)  # (..., N, 1)
        neighbour_mean = ops.matmul(a, x) / ops.maximum(degree, 1e-12)  # (..., N, F)
        neighbour_mean = ops.where(degree > 0, neighbour_mean, 0.0)
        h = ops.matmul(ops.concatenate([x, neighbour_mean], axis=-1), self.kernel)
        if self.bias is not None:
            h = h + self.bias
        h = self.activation(h)
        if self.normalize:
            h = h / ops.maximum(ops.norm(h, axis=-1, keepdims=True), 1e-12)
        return h

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "normalize": self.normalize}


@keras.saving.register_keras_serializable(package="dlkit")
class GATConv(_GraphLayer):
    """Graph attention (Veličković et al.), ``heads`` heads with a masked softmax.

    Per head: :math:`z_i = h_i W`, :math:`e_{ij} = \\mathrm{LeakyReLU}(a_1^\\top z_i +
    a_2^\\top z_j)` (the attention vector :math:`a=[a_1\\Vert a_2]` has :math:`2F'` entries),
    :math:`\\alpha_{ij}` = softmax of :math:`e_{ij}` over :math:`j\\in\\mathcal N(i)\\cup\\{i\\}`
    (non-edges are set to -1e9 before the softmax), :math:`h_i' = \\sum_j\\alpha_{ij}z_j`.
    Heads are concatenated (``concat=True``, hidden layers) or averaged (output layer); the
    bias and activation come after that.

    Called on ``[x, a]`` with the raw adjacency ``a`` (any non-zero entry is an edge;
    self-loops are added). ``call(..., return_attention=True)`` also returns the attention
    weights, shape ``(..., heads, N, N)``.

    Args:
        units: features per head.
        heads: number of attention heads.
        concat: concatenate heads (output ``heads * units``) or average them (``units``).
        negative_slope: slope of the LeakyReLU on the scores.
        attention_initializer: initialiser of the attention vectors :math:`a_1, a_2`.
        activation, use_bias, kernel_initializer, kernel_regularizer: as in ``Dense``.
    """

    def __init__(
        self,
        units: int,
        heads: int = 1,
        concat: bool = True,
        activation: Any = None,
        negative_slope: float = 0.2,
        attention_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ):
        super().__init__(units, activation, **kwargs)
        self.attention_initializer = keras.initializers.get(attention_initializer)
        if not isinstance(heads, (int, np.integer)) or heads < 1:
            raise ValueError(f"heads must be a positive integer, got {heads!r}")
        self.heads = int(heads)
        self.concat = bool(concat)
        self.negative_slope = float(negative_slope)

    def build(self, input_shape: Any) -> None:
        features = self._feature_dim(input_shape, "GATConv")
        self.kernel = self.add_weight(
            shape=(features, self.heads * self.units),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.attention_source = self.add_weight(
            shape=(self.heads, self.units),
            initializer=self.attention_initializer,
            name="attention_source",
        )
        self.attention_target = self.add_weight(
            shape=(self.heads, self.units),
            initializer=self.attention_initializer,
            name="attention_target",
        )
        out = self.heads * self.units if self.concat else self.units
        self.bias = (
            self.add_weight(shape=(out,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )

    def call(self, inputs: Any, return_attention: bool = False) -> Any:
        x, a = inputs
        unbatched = len(x.shape) == 2
        if unbatched:
            x, a = ops.expand_dims(x, 0), ops.expand_dims(a, 0)
        n = x.shape[1] if x.shape[1] is not None else ops.shape(x)[1]
        z = ops.matmul(x, self.kernel)  # (B, N, heads * units)
        z = ops.reshape(z, (-1, n, self.heads, self.units))  # (B, N, H, U)
        source = ops.einsum("bnhu,hu->bhn", z, self.attention_source)  # a_1 . z_i
        target = ops.einsum("bnhu,hu->bhn", z, self.attention_target)  # a_2 . z_j
        scores = source[:, :, :, None] + target[:, :, None, :]  # (B, H, N, N)
        scores = ops.leaky_relu(scores, negative_slope=self.negative_slope)
        edges = ops.logical_or(ops.not_equal(a, 0), ops.cast(ops.eye(n), "bool"))  # (B, N, N)
        scores = ops.where(edges[:, None, :, :], scores, ops.cast(-1e9, scores.dtype))
        attention = ops.softmax(scores, axis=-1)  # rows sum to 1 over N(i) and i
        h = ops.einsum("bhij,bjhu->bihu", attention, z)  # (B, N, H, U)
        # hidden layers concatenate the heads, an output layer averages them
        heads_out = self.heads * self.units
        h = ops.reshape(h, (-1, n, heads_out)) if self.concat else ops.mean(h, axis=2)
        if self.bias is not None:
            h = h + self.bias
        h = self.activation(h)
        if unbatched:
            h, attention = h[0], attention[0]
        return (h, attention) if return_attention else h

    def compute_output_shape(self, input_shape: Any) -> tuple:
        x_shape = tuple(input_shape[0])
        out = self.heads * self.units if self.concat else self.units
        return (*x_shape[:-1], out)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "heads": self.heads,
            "concat": self.concat,
            "negative_slope": self.negative_slope,
            "attention_initializer": keras.initializers.serialize(self.attention_initializer),
        }


@keras.saving.register_keras_serializable(package="dlkit")
class GraphReadout(keras.layers.Layer):
    """Pool node embeddings into one vector per graph, ignoring padded nodes.

    Called on ``[h, mask]`` with ``h`` of shape ``(B, N, F)`` and ``mask`` ``(B, N)`` (1 on
    real nodes). ``mode`` is ``"sum"`` (:math:`\\sum_i m_i h_i`), ``"mean"`` (divided by the
    number of real nodes) or ``"max"`` (over real nodes only). All three are permutation
    invariant.

    Example:
        >>> GraphReadout("mean")([np.ones((2, 3, 4)), np.ones((2, 3))]).shape
        TensorShape([2, 4])
    """

    def __init__(self, mode: str = "mean", **kwargs: Any):
        super().__init__(**kwargs)
        if mode not in _READOUTS:
            raise ValueError(f"mode must be one of {_READOUTS}, got {mode!r}")
        self.mode = mode

    def call(self, inputs: Any) -> Any:
        h, mask = inputs
        mask = ops.cast(mask, h.dtype)[..., None]  # (B, N, 1)
        if self.mode == "max":
            return ops.max(ops.where(mask > 0, h, ops.cast(-1e9, h.dtype)), axis=-2)
        total = ops.sum(h * mask, axis=-2)  # (B, F)
        if self.mode == "sum":
            return total
        return total / ops.maximum(ops.sum(mask, axis=-2), 1.0)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        h_shape = tuple(input_shape[0])
        return (*h_shape[:-2], h_shape[-1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}
