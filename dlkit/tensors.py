"""Tensor methods: unfoldings, mode-n products, CP, Tucker and tensor-train decompositions.

Everything is written with TensorFlow ops and works in any float dtype (use float64 for
checks that go down to 1e-10). Inputs may be NumPy arrays, lists or tensors; outputs are
``tf.Tensor``. Modes are 0-based (mode 0 is the first axis).

Unfoldings follow Kolda & Bader (2009): the mode-``n`` unfolding :math:`X_{(n)}` has the
mode-``n`` fibres as columns, ordered so that the *earliest* remaining mode varies fastest.
NumPy writes it ``np.reshape(np.moveaxis(x, n, 0), (x.shape[n], -1), order="F")``; TensorFlow
reshapes in C order only, so :func:`unfold` first reverses the order of the remaining axes.

Example:
    >>> import numpy as np
    >>> from dlkit.tensors import unfold
    >>> unfold(np.arange(8.0).reshape(2, 2, 2), 0).numpy()
    array([[0., 2., 1., 3.],
           [4., 6., 5., 7.]])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "unfold",
    "fold",
    "mode_n_product",
    "multi_mode_product",
    "tucker_to_tensor",
    "khatri_rao",
    "cp_to_tensor",
    "cp_als",
    "hosvd",
    "tucker_hooi",
    "tt_svd",
    "tt_to_tensor",
    "truncated_svd",
    "relative_error",
]


def _tensor(x: Any, name: str, min_rank: int = 1) -> tf.Tensor:
    """``x`` as a float tensor (float64 for NumPy float64 / Python floats, else its dtype)."""
    try:
        tensor = tf.convert_to_tensor(x)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array or a tensor, got {type(x).__name__}") from error
    if not tensor.dtype.is_floating:
        tensor = tf.cast(tensor, tf.float64)
    if tensor.shape.rank is None or tensor.shape.rank < min_rank:
        raise ValueError(f"{name} must have at least {min_rank} axes, got shape {tensor.shape}")
    return tensor


def _check_mode(mode: Any, order: int) -> int:
    if isinstance(mode, bool) or not isinstance(mode, int | np.integer):
        raise TypeError(f"mode must be an int, got {type(mode).__name__}")
    if not 0 <= mode < order:
        raise ValueError(f"mode must be in 0..{order - 1} for an order-{order} tensor, got {mode}")
    return int(mode)


def _unfold_permutation(order: int, mode: int) -> list[int]:
    # Mode first, then the remaining modes in *reverse* order, so that a C-order reshape lets
    # the earliest remaining mode vary fastest (Kolda-Bader).
    return [mode] + [k for k in reversed(range(order)) if k != mode]


def unfold(x: Any, mode: int) -> tf.Tensor:
    """Mode-``mode`` unfolding :math:`X_{(n)}` in the Kolda–Bader convention.

    Args:
        x: a tensor of order N >= 1.
        mode: the mode whose fibres become the columns (0-based).

    Returns:
        A matrix of shape ``(x.shape[mode], prod of the other sizes)``; element
        ``(i_0, ..., i_{N-1})`` goes to row ``i_mode`` and to the column in which the
        earliest remaining index varies fastest.

    Raises:
        TypeError: ``x`` is not numeric or ``mode`` is not an int.
        ValueError: ``mode`` is out of range.

    Example:
        >>> unfold(np.arange(8.0).reshape(2, 2, 2), 1).numpy()
        array([[0., 4., 1., 5.],
               [2., 6., 3., 7.]])
    """
    x = _tensor(x, "x")
    mode = _check_mode(mode, x.shape.rank)
    moved = tf.transpose(x, _unfold_permutation(x.shape.rank, mode))
    return tf.reshape(moved, (x.shape[mode], -1))


def fold(matrix: Any, mode: int, shape: Sequence[int]) -> tf.Tensor:
    """Inverse of :func:`unfold`: ``fold(unfold(x, n), n, x.shape)`` is ``x``.

    Args:
        matrix: a mode-``mode`` unfolding, shape ``(shape[mode], prod of the others)``.
        mode: the mode it was unfolded along (0-based).
        shape: the shape of the tensor to rebuild.

    Returns:
        The tensor of shape ``shape``.

    Raises:
        ValueError: ``matrix`` does not have the size ``shape`` asks for.

    Example:
        >>> x = np.arange(24.0).reshape(2, 3, 4)
        >>> bool(np.all(fold(unfold(x, 2), 2, x.shape).numpy() == x))
        True
    """
    matrix = _tensor(matrix, "matrix", min_rank=2)
    shape = [int(s) for s in shape]
    mode = _check_mode(mode, len(shape))
    if matrix.shape.rank != 2 or matrix.shape[0] != shape[mode]:
        raise ValueError(
            f"matrix must have shape ({shape[mode]}, {math.prod(shape) // max(shape[mode], 1)}) "
            f"to fold along mode {mode} into {tuple(shape)}, got {tuple(matrix.shape)}"
        )
    if math.prod(matrix.shape) != math.prod(shape):
        raise ValueError(
            f"matrix has {math.prod(matrix.shape)} entries, shape {shape} needs {math.prod(shape)}"
        )
    permutation = _unfold_permutation(len(shape), mode)
    moved = tf.reshape(matrix, [shape[k] for k in permutation])
    return tf.transpose(moved, np.argsort(permutation).tolist())


def mode_n_product(x: Any, matrix: Any, mode: int) -> tf.Tensor:
    """Mode-``mode`` product :math:`\\mathcal X\\times_n U`: multiply every mode-n fibre by ``U``.

    Args:
        x: a tensor of order N.
        matrix: ``U`` of shape ``(R, x.shape[mode])``.
        mode: the mode to multiply (0-based).

    Returns:
        A tensor shaped like ``x`` with ``shape[mode]`` replaced by ``R``; its mode-n
        unfolding is ``U @ unfold(x, mode)``.

    Raises:
        ValueError: ``matrix`` is not 2-D or its columns do not match ``x.shape[mode]``.

    Example:
        >>> mode_n_product(np.ones((2, 3, 4)), np.ones((5, 3)), 1).shape
        TensorShape([2, 5, 4])
    """
    x = _tensor(x, "x")
    matrix = tf.cast(_tensor(matrix, "matrix", min_rank=2), x.dtype)
    mode = _check_mode(mode, x.shape.rank)
    if matrix.shape.rank != 2 or matrix.shape[1] != x.shape[mode]:
        raise ValueError(
            f"matrix must have shape (R, {x.shape[mode]}) for mode {mode} of a tensor of shape "
            f"{tuple(x.shape)}, got {tuple(matrix.shape)}"
        )
    # tensordot contracts axis `mode` of x with axis 1 of U and appends R last; move it back.
    product = tf.tensordot(x, matrix, axes=[[mode], [1]])
    return tf.experimental.numpy.moveaxis(product, -1, mode)


def multi_mode_product(x: Any, matrices: Sequence[Any | None]) -> tf.Tensor:
    """:math:`\\mathcal X\\times_1 U_1\\times_2\\cdots\\times_N U_N`; ``None`` skips a mode."""
    x = _tensor(x, "x")
    if len(matrices) != x.shape.rank:
        raise ValueError(f"need one matrix (or None) per mode: {x.shape.rank}, got {len(matrices)}")
    for mode, matrix in enumerate(matrices):
        if matrix is not None:
            x = mode_n_product(x, matrix, mode)
    return x


def tucker_to_tensor(core: Any, factors: Sequence[Any]) -> tf.Tensor:
    """Rebuild a Tucker tensor :math:`\\mathcal G\\times_1 U^{(1)}\\cdots\\times_N U^{(N)}`.

    ``core`` has shape ``(R_1, ..., R_N)``, ``factors[n]`` shape ``(I_n, R_n)``.

    Example:
        >>> tucker_to_tensor(np.ones((1, 1)), [np.ones((2, 1)), np.ones((3, 1))]).shape
        TensorShape([2, 3])
    """
    return multi_mode_product(core, list(factors))


def khatri_rao(matrices: Sequence[Any]) -> tf.Tensor:
    """Column-wise Kronecker (Khatri–Rao) product :math:`A\\odot B\\odot\\cdots`.

    The first factor's row index varies slowest, as in ``np.kron``.

    Args:
        matrices: matrices with the same number of columns ``R``.

    Returns:
        A ``(prod of the row counts, R)`` matrix whose column ``r`` is
        ``kron(A[:, r], B[:, r], ...)``.

    Raises:
        ValueError: no matrices, or they differ in their number of columns.
    """
    if len(matrices) == 0:
        raise ValueError("khatri_rao needs at least one matrix")
    mats = [_tensor(m, f"matrices[{i}]", min_rank=2) for i, m in enumerate(matrices)]
    columns = {int(m.shape[1]) for m in mats}
    if len(columns) != 1 or any(m.shape.rank != 2 for m in mats):
        raise ValueError(
            f"all matrices must be 2-D with the same column count, got "
            f"{[tuple(m.shape) for m in mats]}"
        )
    result = mats[0]
    for m in mats[1:]:
        result = tf.reshape(
            result[:, None, :] * tf.cast(m, result.dtype)[None, :, :], (-1, m.shape[1])
        )
    return result


def cp_to_tensor(factors: Sequence[Any], weights: Any = None) -> tf.Tensor:
    """Rebuild a CP tensor :math:`\\sum_r \\lambda_r\\, a^{(1)}_r\\circ\\cdots\\circ a^{(N)}_r`.

    ``factors[n]`` has shape ``(I_n, R)``; ``weights`` (``(R,)``) defaults to ones.

    Example:
        >>> cp_to_tensor([np.ones((2, 1)), np.ones((3, 1))], [2.0]).numpy().sum()
        12.0
    """
    mats = [_tensor(f, f"factors[{i}]", min_rank=2) for i, f in enumerate(factors)]
    shape = [int(m.shape[0]) for m in mats]
    first = mats[0]
    if weights is not None:
        first = first * tf.cast(tf.reshape(_tensor(weights, "weights"), (1, -1)), first.dtype)
    if len(mats) == 1:
        return tf.reduce_sum(first, axis=1)
    # X_(1) = A1 (A_N ⊙ ... ⊙ A_2)^T
    unfolding = tf.matmul(first, khatri_rao(mats[:0:-1]), transpose_b=True)
    return fold(unfolding, 0, shape)


def relative_error(x: Any, approximation: Any) -> float:
    """:math:`\\lVert\\mathcal X-\\hat{\\mathcal X}\\rVert_F/\\lVert\\mathcal X\\rVert_F`."""
    x = _tensor(x, "x")
    approximation = tf.cast(_tensor(approximation, "approximation"), x.dtype)
    if x.shape != approximation.shape:
        raise ValueError(f"shapes differ: {tuple(x.shape)} and {tuple(approximation.shape)}")
    return float(tf.norm(tf.reshape(x - approximation, [-1])) / tf.norm(tf.reshape(x, [-1])))


def _check_rank(rank: Any, name: str = "rank") -> int:
    if isinstance(rank, bool) or not isinstance(rank, int | np.integer) or rank < 1:
        raise ValueError(f"{name} must be an int >= 1, got {rank!r}")
    return int(rank)


@tf.function
def _cp_sweep(unfoldings, factors, x_norm):
    """One ALS sweep over every mode; returns the new weights, factors and relative error."""
    order = len(factors)
    factors = list(factors)
    weights = None
    for n in range(order):
        others = [factors[m] for m in reversed(range(order)) if m != n]
        rank = factors[n].shape[1]
        gram = tf.ones((rank, rank), factors[n].dtype)
        for m in range(order):
            if m != n:
                gram = gram * tf.matmul(factors[m], factors[m], transpose_a=True)
        kr = khatri_rao(others)
        mttkrp = tf.matmul(unfoldings[n], kr)  # X_(n) K_n
        updated = tf.matmul(mttkrp, tf.linalg.pinv(gram))
        norms = tf.norm(updated, axis=0)
        norms = tf.where(norms > 0, norms, tf.ones_like(norms))
        factors[n] = updated / norms
        weights = norms
    approximation = tf.matmul(factors[-1] * weights, kr, transpose_b=True)
    error = tf.norm(unfoldings[-1] - approximation) / x_norm
    return weights, factors, error


def cp_als(
    x: Any,
    rank: int,
    *,
    n_iter: int = 500,
    tol: float = 1e-12,
    seed: int = 0,
    init: Sequence[Any] | None = None,
) -> tuple[tf.Tensor, list[tf.Tensor], list[float]]:
    """Fit a rank-``rank`` CP model by alternating least squares.

    Each sweep updates one factor at a time with the others fixed:
    :math:`A^{(n)}\\leftarrow X_{(n)}K_n\\big(\\ast_{m\\ne n}A^{(m)\\top}A^{(m)}\\big)^{+}`, with
    :math:`K_n` the Khatri–Rao product of the other factors in unfolding order; columns are
    normalised and their norms kept in ``weights``.

    Args:
        x: the tensor (order >= 2).
        rank: the number of rank-one terms R.
        n_iter: maximum number of sweeps.
        tol: stop when the relative error changes by less than this between sweeps, or
            falls below it.
        seed: seed of the Gaussian initial factors.
        init: initial factors (``(I_n, R)`` each) instead of random ones.

    Returns:
        ``(weights, factors, errors)``: weights ``(R,)``, factors ``[(I_n, R), ...]`` with
        unit-norm columns, and the relative error after every sweep.

    Raises:
        ValueError: ``rank`` or ``n_iter`` is not a positive int, ``x`` has fewer than 2 axes,
            or ``init`` does not match.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = cp_to_tensor([rng.normal(size=(n, 2)) for n in (4, 5, 6)])
        >>> weights, factors, errors = cp_als(x, 2)
        >>> errors[-1] < 1e-8
        True
    """
    x = _tensor(x, "x", min_rank=2)
    rank = _check_rank(rank)
    n_iter = _check_rank(n_iter, "n_iter")
    shape = [int(s) for s in x.shape]
    if init is None:
        rng = np.random.default_rng(seed)
        factors = [tf.constant(rng.normal(size=(size, rank)), x.dtype) for size in shape]
    else:
        factors = [tf.cast(_tensor(f, "init", min_rank=2), x.dtype) for f in init]
        if [tuple(f.shape) for f in factors] != [(size, rank) for size in shape]:
            raise ValueError(f"init must be matrices of shapes {[(s, rank) for s in shape]}")
    unfoldings = [unfold(x, n) for n in range(len(shape))]
    x_norm = tf.norm(tf.reshape(x, [-1]))
    errors: list[float] = []
    weights = tf.ones((rank,), x.dtype)
    for _ in range(n_iter):
        weights, factors, error = _cp_sweep(unfoldings, factors, x_norm)
        errors.append(float(error))
        if errors[-1] < tol or (len(errors) > 1 and abs(errors[-2] - errors[-1]) < tol):
            break
    return weights, list(factors), errors


def _leading_left_vectors(matrix: tf.Tensor, rank: int) -> tf.Tensor:
    _, u, _ = tf.linalg.svd(matrix)  # tf returns (s, u, v), s descending
    return u[:, :rank]


def _tucker_ranks(x: tf.Tensor, ranks: Sequence[int | None]) -> list[int | None]:
    if len(ranks) != x.shape.rank:
        raise ValueError(f"need one rank (or None) per mode: {x.shape.rank}, got {len(ranks)}")
    checked = []
    for n, r in enumerate(ranks):
        if r is None:
            checked.append(None)
            continue
        r = _check_rank(r, f"ranks[{n}]")
        if r > x.shape[n]:
            raise ValueError(f"ranks[{n}] = {r} exceeds the size {x.shape[n]} of mode {n}")
        checked.append(r)
    return checked


def _core(x: tf.Tensor, factors: Sequence[tf.Tensor | None]) -> tf.Tensor:
    return multi_mode_product(x, [None if u is None else tf.transpose(u) for u in factors])


def _identity_factors(x: tf.Tensor, factors: list, ranks: list) -> list[tf.Tensor]:
    return [
        tf.eye(int(x.shape[n]), dtype=x.dtype) if ranks[n] is None else factors[n]
        for n in range(len(ranks))
    ]


def hosvd(x: Any, ranks: Sequence[int | None]) -> tuple[tf.Tensor, list[tf.Tensor]]:
    """Truncated higher-order SVD: a Tucker model of multilinear rank ``ranks``.

    :math:`U^{(n)}` holds the leading ``ranks[n]`` left singular vectors of :math:`X_{(n)}`;
    the core is :math:`\\mathcal G=\\mathcal X\\times_1U^{(1)\\top}\\cdots\\times_NU^{(N)\\top}`.

    Args:
        x: the tensor.
        ranks: one rank per mode; ``None`` leaves that mode uncompressed (identity factor),
            e.g. ``(None, None, 3, 4)`` for the Tucker-2 model of a conv kernel.

    Returns:
        ``(core, factors)`` with factors of shape ``(I_n, R_n)`` and orthonormal columns.

    Raises:
        ValueError: wrong number of ranks, or a rank outside ``1..I_n``.

    Example:
        >>> core, factors = hosvd(np.ones((3, 4, 5)), (1, 1, 1))
        >>> core.shape
        TensorShape([1, 1, 1])
    """
    x = _tensor(x, "x")
    ranks = _tucker_ranks(x, ranks)
    factors = [
        None if r is None else _leading_left_vectors(unfold(x, n), r) for n, r in enumerate(ranks)
    ]
    return _core(x, factors), _identity_factors(x, factors, ranks)


def tucker_hooi(
    x: Any, ranks: Sequence[int | None], *, n_iter: int = 50, tol: float = 1e-10
) -> tuple[tf.Tensor, list[tf.Tensor], list[float]]:
    """Tucker by higher-order orthogonal iteration (HOOI), started from the truncated HOSVD.

    For each mode in turn, :math:`U^{(n)}` becomes the leading left singular vectors of the
    tensor projected on all the *other* current factors; this never increases the error.

    Args:
        x: the tensor.
        ranks: one rank per mode (``None``: mode not compressed).
        n_iter: maximum number of sweeps.
        tol: stop when the relative error changes by less than this.

    Returns:
        ``(core, factors, errors)``; ``errors[0]`` is the HOSVD's relative error, then one per
        sweep.

    Example:
        >>> core, factors, errors = tucker_hooi(np.ones((3, 4, 5)), (1, 1, 1))
        >>> errors[-1] < 1e-12
        True
    """
    x = _tensor(x, "x")
    ranks = _tucker_ranks(x, ranks)
    n_iter = _check_rank(n_iter, "n_iter")
    core, factors = hosvd(x, ranks)
    x_norm = tf.norm(tf.reshape(x, [-1]))

    def error_of(core: tf.Tensor) -> float:
        # Orthonormal factors: ||X - X_hat||² = ||X||² - ||G||².
        gap = tf.maximum(x_norm**2 - tf.reduce_sum(core**2), 0.0)
        return float(tf.sqrt(gap) / x_norm)

    errors = [error_of(core)]
    for _ in range(n_iter):
        for n, r in enumerate(ranks):
            if r is None:
                continue
            projected = _core(x, [None if m == n else u for m, u in enumerate(factors)])
            factors[n] = _leading_left_vectors(unfold(projected, n), r)
        core = _core(x, factors)
        errors.append(error_of(core))
        if abs(errors[-2] - errors[-1]) < tol:
            break
    return core, factors, errors


def tt_svd(x: Any, *, rel_tol: float = 1e-10, max_rank: int | None = None) -> list[tf.Tensor]:
    """Tensor-train (matrix product state) decomposition by sequential truncated SVDs.

    Each step reshapes the remainder to ``(r_{n-1} I_n, rest)``, keeps the smallest rank whose
    discarded singular values have norm at most :math:`\\varepsilon\\lVert\\mathcal X\\rVert/
    \\sqrt{N-1}` (so the total relative error is at most ``rel_tol``), capped at ``max_rank``,
    and passes :math:`\\Sigma V^\\top` on.

    Args:
        x: the tensor (order N >= 1).
        rel_tol: target relative error ``ε``.
        max_rank: optional cap on every TT rank.

    Returns:
        The cores, ``cores[n]`` of shape ``(r_{n-1}, I_n, r_n)`` with ``r_0 = r_N = 1``.

    Example:
        >>> cores = tt_svd(np.ones((2, 2, 2, 2)))
        >>> [tuple(c.shape) for c in cores]
        [(1, 2, 1), (1, 2, 1), (1, 2, 1), (1, 2, 1)]
    """
    x = _tensor(x, "x")
    if not rel_tol >= 0:
        raise ValueError(f"rel_tol must be >= 0, got {rel_tol!r}")
    if max_rank is not None:
        max_rank = _check_rank(max_rank, "max_rank")
    shape = [int(s) for s in x.shape]
    order = len(shape)
    delta = rel_tol * tf.norm(tf.reshape(x, [-1])) / math.sqrt(max(order - 1, 1))
    cores = []
    rank = 1
    remainder = tf.reshape(x, (rank * shape[0], -1))
    for n in range(order - 1):
        remainder = tf.reshape(remainder, (rank * shape[n], -1))
        s, u, v = tf.linalg.svd(remainder)
        # tail[k] = norm of the singular values after the first k
        tail = tf.sqrt(tf.maximum(tf.cumsum(s**2, reverse=True, exclusive=False), 0.0))
        tail = tf.concat([tail[1:], tf.zeros((1,), s.dtype)], axis=0).numpy()
        keep = int(np.argmax(tail <= float(delta))) + 1 if np.any(tail <= float(delta)) else len(s)
        if max_rank is not None:
            keep = min(keep, max_rank)
        cores.append(tf.reshape(u[:, :keep], (rank, shape[n], keep)))
        remainder = s[:keep, None] * tf.transpose(v[:, :keep])
        rank = keep
    cores.append(tf.reshape(remainder, (rank, shape[-1], 1)))
    return cores


def tt_to_tensor(cores: Sequence[Any]) -> tf.Tensor:
    """Contract tensor-train cores ``(r_{n-1}, I_n, r_n)`` back into the full tensor."""
    mats = [_tensor(c, f"cores[{i}]", min_rank=3) for i, c in enumerate(cores)]
    result = mats[0]  # (1, I_1, r_1)
    for core in mats[1:]:
        result = tf.tensordot(result, tf.cast(core, result.dtype), axes=[[-1], [0]])
    return tf.squeeze(result, axis=[0, result.shape.rank - 1])


def truncated_svd(matrix: Any, rank: int) -> tuple[tf.Tensor, tf.Tensor]:
    """Best rank-``rank`` factors of a matrix (Eckart–Young), split as ``W ≈ P @ Q``.

    Args:
        matrix: ``W`` of shape ``(m, n)`` (a Dense kernel is ``(in, out)``).
        rank: ``r``, at most ``min(m, n)``.

    Returns:
        ``(P, Q)`` with ``P = U_r Σ_r^{1/2}`` of shape ``(m, r)`` and
        ``Q = Σ_r^{1/2} V_rᵀ`` of shape ``(r, n)``.

    Example:
        >>> p, q = truncated_svd(np.eye(3), 2)
        >>> p.shape, q.shape
        (TensorShape([3, 2]), TensorShape([2, 3]))
    """
    matrix = _tensor(matrix, "matrix", min_rank=2)
    rank = _check_rank(rank)
    if matrix.shape.rank != 2 or rank > min(matrix.shape):
        raise ValueError(f"rank must be <= min{tuple(matrix.shape)} of a 2-D matrix, got {rank}")
    s, u, v = tf.linalg.svd(matrix)
    root = tf.sqrt(s[:rank])
    return u[:, :rank] * root, root[:, None] * tf.transpose(v[:, :rank])
