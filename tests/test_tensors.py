"""dlkit.tensors: unfoldings, mode products and CP / Tucker / TT decompositions.

Everything is checked against explicit loops or ``np.einsum`` in float64.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dlkit import tensors

RNG = np.random.default_rng(0)


def kolda_unfold_loop(x: np.ndarray, mode: int) -> np.ndarray:
    """Kolda–Bader unfolding written as the textbook index formula (earliest mode fastest)."""
    others = [k for k in range(x.ndim) if k != mode]
    out = np.zeros((x.shape[mode], x.size // x.shape[mode]))
    for index in itertools.product(*[range(s) for s in x.shape]):
        column, stride = 0, 1
        for k in others:
            column += index[k] * stride
            stride *= x.shape[k]
        out[index[mode], column] = x[index]
    return out


@pytest.mark.parametrize("mode", [0, 1, 2, 3])
def test_unfold_matches_the_index_formula_and_numpy_fortran_order(mode):
    x = RNG.normal(size=(3, 4, 5, 2))
    expected = kolda_unfold_loop(x, mode)
    np.testing.assert_array_equal(tensors.unfold(x, mode).numpy(), expected)
    fortran = np.reshape(np.moveaxis(x, mode, 0), (x.shape[mode], -1), order="F")
    np.testing.assert_array_equal(expected, fortran)
    np.testing.assert_array_equal(tensors.fold(expected, mode, x.shape).numpy(), x)


def test_unfold_of_a_small_tensor_by_hand():
    t = np.fromfunction(lambda i, j, k: (i + 1) + (j + 1) - (k + 1), (2, 2, 2))
    np.testing.assert_array_equal(tensors.unfold(t, 0).numpy(), [[1, 2, 0, 1], [2, 3, 1, 2]])


def test_mode_n_product_matches_einsum_and_the_unfolding_identity():
    x = RNG.normal(size=(3, 4, 5))
    u = RNG.normal(size=(7, 4))
    y = tensors.mode_n_product(x, u, 1).numpy()
    np.testing.assert_allclose(y, np.einsum("ijk,rj->irk", x, u), atol=1e-12)
    np.testing.assert_allclose(tensors.unfold(y, 1).numpy(), u @ tensors.unfold(x, 1).numpy())
    assert y.shape == (3, 7, 5)


def test_khatri_rao_columns_are_kronecker_products():
    a, b = RNG.normal(size=(3, 2)), RNG.normal(size=(4, 2))
    kr = tensors.khatri_rao([a, b]).numpy()
    for r in range(2):
        np.testing.assert_allclose(kr[:, r], np.kron(a[:, r], b[:, r]))


def test_tucker_and_cp_reconstruction_match_einsum():
    core = RNG.normal(size=(2, 3, 4))
    factors = [RNG.normal(size=(n, r)) for n, r in zip((5, 6, 7), (2, 3, 4), strict=True)]
    expected = np.einsum("abc,ia,jb,kc->ijk", core, *factors)
    np.testing.assert_allclose(tensors.tucker_to_tensor(core, factors).numpy(), expected)
    # X_(1) = U1 G_(1) (U3 ⊗ U2)^T
    np.testing.assert_allclose(
        tensors.unfold(expected, 0).numpy(),
        factors[0] @ tensors.unfold(core, 0).numpy() @ np.kron(factors[2], factors[1]).T,
        atol=1e-10,
    )
    cp = [RNG.normal(size=(n, 3)) for n in (4, 5, 6)]
    weights = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(
        tensors.cp_to_tensor(cp, weights).numpy(), np.einsum("r,ir,jr,kr->ijk", weights, *cp)
    )


def test_cp_als_recovers_an_exact_low_rank_tensor():
    rng = np.random.default_rng(42)
    factors = [rng.normal(size=(n, 3)) for n in (10, 12, 14)]
    x = np.einsum("ir,jr,kr->ijk", *factors)
    weights, fitted, errors = tensors.cp_als(x, 3, n_iter=500, seed=1)
    assert errors[-1] < 1e-6
    assert tensors.relative_error(x, tensors.cp_to_tensor(fitted, weights)) < 1e-6
    _, _, errors2 = tensors.cp_als(x, 2, n_iter=500)
    assert errors2[-1] > 0.3


def test_hosvd_and_hooi():
    rng = np.random.default_rng(1)
    qs = [np.linalg.qr(rng.normal(size=(10, r)))[0] for r in (2, 3, 4)]
    x = np.einsum("abc,ia,jb,kc->ijk", rng.normal(size=(2, 3, 4)), *qs)
    core, factors = tensors.hosvd(x, (2, 3, 4))
    assert tensors.relative_error(x, tensors.tucker_to_tensor(core, factors)) < 1e-10
    noisy = x + 0.3 * rng.normal(size=x.shape)
    _, _, errors = tensors.tucker_hooi(noisy, (2, 2, 2))
    assert all(b <= a + 1e-12 for a, b in zip(errors, errors[1:], strict=False))
    core, factors = tensors.hosvd(x, (None, 3, None))  # Tucker-1 on mode 1
    assert core.shape == (10, 3, 10)
    np.testing.assert_allclose(factors[0].numpy(), np.eye(10))


def test_tt_svd_of_a_sine_has_rank_two():
    v = np.sin(np.linspace(0, 10, 1024))
    cores = tensors.tt_svd(v.reshape([2] * 10))
    assert [c.shape[2] for c in cores] == [2] * 9 + [1]
    assert sum(int(np.prod(c.shape)) for c in cores) == 72
    np.testing.assert_allclose(tensors.tt_to_tensor(cores).numpy().ravel(), v, atol=1e-12)
    capped = tensors.tt_svd(RNG.normal(size=(4, 4, 4)), max_rank=2)
    assert max(c.shape[2] for c in capped) <= 2


def test_truncated_svd_is_eckart_young():
    m = np.diag([4.0, 3.0, 1.0])
    p, q = tensors.truncated_svd(m, 1)
    assert np.isclose(np.linalg.norm(m - p.numpy() @ q.numpy()), np.sqrt(10))


def test_bad_arguments_say_what_is_wrong():
    x = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match="mode must be in 0..2"):
        tensors.unfold(x, 3)
    with pytest.raises(TypeError, match="mode must be an int"):
        tensors.unfold(x, 1.0)
    with pytest.raises(ValueError, match="matrix must have shape"):
        tensors.mode_n_product(x, np.ones((2, 2)), 1)
    with pytest.raises(ValueError, match="rank must be an int >= 1"):
        tensors.cp_als(x, 0)
    with pytest.raises(ValueError, match="exceeds the size"):
        tensors.hosvd(x, (3, 1, 1))
    with pytest.raises(ValueError, match="fold along mode"):
        tensors.fold(np.zeros((3, 8)), 0, (2, 3, 4))
