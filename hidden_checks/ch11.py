"""Hidden checks of chapter 11 (autoencoders and variational autoencoders).

Every check takes the student's answer and returns ``(passed, message)``. Answers may
be lists, NumPy arrays or TensorFlow tensors; they are converted with
:func:`dlkit.exercises.as_float_array`. Numbers are compared with ``np.allclose`` at a
relative tolerance of 1e-4 (students compute in float32); parameter counts and the
equivalent beta are exact integers. Messages say what is wrong, never what is expected.

The reference values are recomputed here with NumPy from the tasks' inputs (they agree
with ``shared/curriculum/11-autoencoders-vae.md`` §4, which
``tests/test_exercises_ch11.py`` checks). Function answers (11.5, 11.6) are called on the
argument tuples in ``PROBES``, which differ from the public check's inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlkit.comparisons import (
    Result,
    choice,
    close_parts,
    exact_parts,
    function,
    safe,
)

# ---------------------------------------------------------------------------
# Inputs of the tasks (the same numbers as in the exercises notebook).
# ---------------------------------------------------------------------------

# 11.1-11.3: a bias-free autoencoder z = relu(W_E x), x_hat = sigmoid(W_D z).
W_E = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8]])  # (code 2, input 4)
W_D = np.array([[0.2, 0.1], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]])  # (output 4, code 2)
X_CLEAN = np.array([1.0, 2.0, 3.0, 4.0])
X_NOISY = np.array([1.1, 1.9, 3.2, 3.8])
# 11.4: KL of N(mu, diag sigma^2) from N(0, I).
KL_MU, KL_SIGMA = np.array([0.2, 0.5]), np.array([0.1, 0.3])
# 11.7: one VAE forward pass.
V_X = np.array([0.5, 0.9])
V_W_MU = np.array([[0.3, 0.2], [0.5, 0.7]])
V_W_LOGVAR = np.array([[0.1, 0.4], [0.6, 0.8]])
V_EPS = np.array([0.5, -1.0])
V_W_D = np.array([[0.2, 0.6], [0.3, 0.9]])
V_B_D = np.array([0.2, 0.5])
# 11.8: the KL sparsity penalty.
RHO = 0.05
RHO_HAT = np.array([0.1, 0.05, 0.2])
# 11.9: a sparse autoencoder with sigmoid code units and a linear decoder.
S_W1 = np.array([[0.4, 0.1], [0.2, 0.6]])
S_B1 = np.array([0.2, 0.3])
S_W2 = np.array([[0.7, 0.3], [0.5, 0.9]])
S_B2 = np.array([0.4, 0.5])
S_X = np.array([1.0, 0.8])
S_BETA = 3.0
# 11.10: six points in the plane.
POINTS = np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0], [1.0, 1.0], [-1.0, -1.0]])
# 11.12: the architectures whose parameters are counted.
AE_WIDTHS = (784, 64, 2, 64, 784)
VAE_INPUT, VAE_HIDDEN, VAE_LATENT = 784, 256, 2
# 11.13: p(z) = N(0, 1), p(x | z) = N(z, 1), observed x = 1.
TOY_X = 1.0


def linear_ae_data() -> dict[str, np.ndarray]:
    """11.11: centred data (300, 6) and the weights of a nearly trained linear autoencoder.

    The encoder kernel is ``U_k A`` and the decoder kernel ``A^{-1} U_k^T`` plus a small
    perturbation, with ``U_k`` the top-2 principal directions and ``A`` invertible, so the
    decoder spans nearly, but not exactly, the principal subspace in a non-orthonormal basis.
    """
    rng = np.random.default_rng(11)
    rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    data = rng.normal(size=(300, 6)) * np.array([3.0, 2.0, 1.0, 0.5, 0.3, 0.2]) @ rotation
    data = data - data.mean(axis=0)
    _, _, vt = np.linalg.svd(data, full_matrices=False)
    top = vt[:2].T  # (6, 2)
    mix = np.array([[1.5, 0.4], [-0.3, 0.8]])
    w_enc = top @ mix  # (6, 2): Keras Dense kernel (input, code)
    w_dec = np.linalg.inv(mix) @ top.T + 0.05 * rng.normal(size=(2, 6))  # (2, 6): (code, out)
    return {"x": data, "w_enc": w_enc, "w_dec": w_dec}


# ---------------------------------------------------------------------------
# Reference computations (plain NumPy).
# ---------------------------------------------------------------------------


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _ae_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.maximum(W_E @ x, 0.0)
    return z, _sigmoid(W_D @ z)


def _ae_gradients() -> dict[str, Any]:
    """11.2: MSE (mean over the 4 outputs) and its gradients, by the chain rule."""
    z, x_hat = _ae_forward(X_CLEAN)
    d_out = 2.0 * (x_hat - X_CLEAN) / 4.0  # dL/dx_hat
    d_pre = d_out * x_hat * (1.0 - x_hat)  # through the sigmoid
    grad_w_d = np.outer(d_pre, z)  # (4, 2)
    d_z = (W_D.T @ d_pre) * (W_E @ X_CLEAN > 0)  # through the ReLU
    grad_w_e = np.outer(d_z, X_CLEAN)  # (2, 4)
    return {
        "mse": np.mean((x_hat - X_CLEAN) ** 2),
        "grad_w_d": grad_w_d,
        "grad_w_e": grad_w_e,
    }


def _denoising(target_clean: bool = True) -> dict[str, Any]:
    z, x_hat = _ae_forward(X_NOISY)
    return {
        "z": z,
        "x_hat": x_hat,
        "loss_clean": np.mean((x_hat - X_CLEAN) ** 2),
        "loss_noisy": np.mean((x_hat - X_NOISY) ** 2),
    }


def gaussian_kl_reference(mean: Any, log_var: Any) -> np.ndarray:
    """KL(N(mean, diag exp(log_var)) || N(0, I)), summed over the last axis."""
    mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    return 0.5 * np.sum(mean**2 + np.exp(log_var) - 1.0 - log_var, axis=-1)


def reparameterize_reference(mean: Any, log_var: Any, eps: Any) -> np.ndarray:
    """z = mean + sigma * eps with sigma = exp(log_var / 2)."""
    mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
    return mean + np.exp(0.5 * log_var) * np.asarray(eps, np.float64)


def _vae_forward(log_var_is_sigma: bool = False) -> dict[str, Any]:
    mu = V_W_MU @ V_X
    log_var = V_W_LOGVAR @ V_X
    sigma = log_var if log_var_is_sigma else np.exp(0.5 * log_var)
    z = mu + sigma * V_EPS
    x_hat = _sigmoid(V_W_D @ z + V_B_D)
    kl = gaussian_kl_reference(mu, np.log(sigma**2))
    bce = -np.sum(V_X * np.log(x_hat) + (1 - V_X) * np.log(1 - x_hat))
    return {
        "mu": mu,
        "sigma": sigma,
        "z": z,
        "x_hat": x_hat,
        "kl": kl,
        "bce": bce,
        "neg_elbo": bce + kl,
    }


def _bernoulli_kl(rho: float, rho_hat: np.ndarray) -> np.ndarray:
    return rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))


def _sparse_ae(swap_kl: bool = False) -> dict[str, Any]:
    h = _sigmoid(S_W1 @ S_X + S_B1)
    x_hat = S_W2 @ h + S_B2
    mse = np.mean((x_hat - S_X) ** 2)
    sparsity = np.sum(_bernoulli_kl(h, np.full_like(h, RHO)) if swap_kl else _bernoulli_kl(RHO, h))
    return {
        "h": h,
        "x_hat": x_hat,
        "mse": mse,
        "sparsity": sparsity,
        "total": mse + S_BETA * sparsity,
    }


def _pca_2d(ddof: int = 0) -> dict[str, Any]:
    centred = POINTS - POINTS.mean(axis=0)
    cov = centred.T @ centred / (len(POINTS) - ddof)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    direction = vectors[:, 0] * np.sign(vectors[0, 0])
    return {
        "covariance": cov,
        "eigenvalues": values,
        "direction": direction,
        "error": values[1],
    }


def _principal_angles_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles (degrees) between the column spaces of a and b."""
    qa, _ = np.linalg.qr(a)
    qb, _ = np.linalg.qr(b)
    cosines = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)
    return np.degrees(np.arccos(cosines))


def _linear_ae_numbers(gram_of_columns: bool = False) -> dict[str, float]:
    data = linear_ae_data()
    x, w_enc, w_dec = data["x"], data["w_enc"], data["w_dec"]
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    top = vt[:2]  # (2, 6): the PCA components as rows
    pca_mse = np.mean((x - x @ top.T @ top) ** 2)
    ae_mse = np.mean((x - x @ w_enc @ w_dec) ** 2)
    gram = w_dec.T @ w_dec if gram_of_columns else w_dec @ w_dec.T
    return {
        "max_angle_deg": float(_principal_angles_deg(w_dec.T, top.T).max()),
        "mse_ratio": float(ae_mse / pca_mse),
        "gram_deviation": float(np.linalg.norm(gram - np.eye(len(gram)))),
    }


def _dense_params(widths: tuple[int, ...]) -> int:
    return int(sum(a * b + b for a, b in zip(widths[:-1], widths[1:])))


def _param_counts(biases: bool = True) -> dict[str, float]:
    extra = 1 if biases else 0
    encoder = (VAE_INPUT + extra) * VAE_HIDDEN + 2 * (VAE_HIDDEN + extra) * VAE_LATENT
    decoder = (VAE_LATENT + extra) * VAE_HIDDEN + (VAE_HIDDEN + extra) * VAE_INPUT
    ae = (
        _dense_params(AE_WIDTHS)
        if biases
        else sum(a * b for a, b in zip(AE_WIDTHS[:-1], AE_WIDTHS[1:]))
    )
    return {"ae": float(ae), "vae_encoder": float(encoder), "vae_decoder": float(decoder)}


def _log_normal(x: float, mean: float, var: float) -> float:
    return float(-0.5 * (np.log(2 * np.pi * var) + (x - mean) ** 2 / var))


def _toy_elbo(q_mean: float, q_var: float) -> float:
    """ELBO of q = N(q_mean, q_var) for p(z) = N(0, 1), p(x | z) = N(z, 1), x = TOY_X."""
    expected_log_lik = -0.5 * np.log(2 * np.pi) - 0.5 * ((TOY_X - q_mean) ** 2 + q_var)
    kl = 0.5 * (q_mean**2 + q_var - 1.0 - np.log(q_var))
    return float(expected_log_lik - kl)


def _toy(wrong_evidence_variance: bool = False) -> dict[str, float]:
    log_px = _log_normal(TOY_X, 0.0, 1.0 if wrong_evidence_variance else 2.0)
    exact_posterior = _toy_elbo(0.5, 0.5)
    prior = _toy_elbo(0.0, 1.0)
    return {
        "log_px": log_px,
        "elbo_exact": exact_posterior,
        "elbo_prior": prior,
        "gap": log_px - prior,
    }


# ---------------------------------------------------------------------------
# References, typical mistakes, probes.
# ---------------------------------------------------------------------------

_Z, _X_HAT = _ae_forward(X_CLEAN)

REFERENCE: dict[str, Any] = {
    "11.1": {"z": _Z, "x_hat": _X_HAT},
    "11.2": _ae_gradients(),
    "11.3": _denoising(),
    "11.4": {
        "kl": float(gaussian_kl_reference(KL_MU, np.log(KL_SIGMA**2))),
        "flipped": float(-gaussian_kl_reference(KL_MU, np.log(KL_SIGMA**2))),
    },
    "11.5": reparameterize_reference,
    "11.6": gaussian_kl_reference,
    "11.7": _vae_forward(),
    "11.8": {
        "per_unit": _bernoulli_kl(RHO, RHO_HAT),
        "total": float(np.sum(_bernoulli_kl(RHO, RHO_HAT))),
    },
    "11.9": _sparse_ae(),
    "11.10": _pca_2d(),
    "11.11": _linear_ae_numbers(),
    "11.12": _param_counts(),
    "11.13": _toy(),
    "11.14": {"mnist": 784.0, "digits": 64.0},
    "11.15": "c",
    "11.16": "b",
    "11.17": "d",
}

# One typical mistake per exercise.
WRONG: dict[str, Any] = {
    # Decoder applied with a ReLU instead of a sigmoid (x_hat = W_D z, unsquashed).
    "11.1": {"z": _Z, "x_hat": W_D @ _Z},
    # The MSE summed over the four outputs instead of averaged (gradients 4x too large).
    "11.2": {key: 4.0 * value for key, value in _ae_gradients().items()},
    # Loss against the noisy input as target reported as the denoising loss (swapped).
    "11.3": {
        **_denoising(),
        "loss_clean": _denoising()["loss_noisy"],
        "loss_noisy": _denoising()["loss_clean"],
    },
    # sigma used where the formula needs sigma^2 (and log sigma instead of log sigma^2).
    "11.4": {
        "kl": float(0.5 * np.sum(KL_MU**2 + KL_SIGMA - 1 - np.log(KL_SIGMA))),
        "flipped": float(-0.5 * np.sum(KL_MU**2 + KL_SIGMA - 1 - np.log(KL_SIGMA))),
    },
    # The variance exp(log_var) used as the scale instead of the standard deviation.
    "11.5": lambda mean, log_var, eps: (
        np.asarray(mean, np.float64) + np.exp(np.asarray(log_var, np.float64)) * np.asarray(eps)
    ),
    # The sign-flipped formula +1/2 sum(1 + log_var - mean^2 - exp(log_var)).
    "11.6": lambda mean, log_var: -gaussian_kl_reference(mean, log_var),
    # The encoder's second head read as sigma itself instead of log sigma^2.
    "11.7": _vae_forward(log_var_is_sigma=True),
    # KL(rho_hat || rho) instead of KL(rho || rho_hat): the arguments swapped.
    "11.8": {
        "per_unit": _bernoulli_kl(RHO_HAT, np.full(3, RHO)),
        "total": float(np.sum(_bernoulli_kl(RHO_HAT, np.full(3, RHO)))),
    },
    "11.9": _sparse_ae(swap_kl=True),
    # The sample covariance (divide by N - 1).
    "11.10": _pca_2d(ddof=1),
    # W_d^T W_d (a 6 x 6 rank-2 matrix) compared with the identity instead of W_d W_d^T.
    "11.11": _linear_ae_numbers(gram_of_columns=True),
    # Biases forgotten.
    "11.12": _param_counts(biases=False),
    # log p(x) with the prior's variance 1 instead of the marginal's variance 2.
    "11.13": _toy(wrong_evidence_variance=True),
    # The number of latent dimensions (2) read as the factor.
    "11.14": {"mnist": 2.0, "digits": 2.0},
    # "The training failed: PCA is unique, so the rows must match the components."
    "11.15": "a",
    # "It denoises just as well: the noise averages out."
    "11.16": "a",
    # "A larger learning rate."
    "11.17": "a",
}

WRONG_SOURCE: dict[str, str] = {
    "11.5": (
        "def answer_11_5(mean, log_var, eps):\n"
        "    return mean + np.exp(log_var) * eps  # variance instead of standard deviation\n"
    ),
    "11.6": (
        "def answer_11_6(mean, log_var):\n"
        "    mean, log_var = np.asarray(mean), np.asarray(log_var)\n"
        "    return 0.5 * np.sum(1 + log_var - mean**2 - np.exp(log_var), axis=-1)\n"
    ),
}

# Arguments the hidden checks call function answers with (read by the grader).
PROBES: dict[str, list[tuple[Any, ...]]] = {
    "11.5": [
        (np.array([[0.3, -1.2]]), np.array([[0.0, 0.0]]), np.array([[1.5, 0.25]])),
        (
            np.array([[1.0, 2.0, -0.5], [0.0, 0.1, 0.2]]),
            np.array([[-1.0, 0.5, 2.0], [-3.0, 1.0, 0.0]]),
            np.array([[0.2, -0.7, 1.1], [2.0, -1.0, 0.3]]),
        ),
        (np.array([[-0.4]]), np.array([[1.6]]), np.array([[-2.0]])),
    ],
    "11.6": [
        (np.array([[0.0, 0.0, 0.0]]), np.array([[0.0, 0.0, 0.0]])),
        (np.array([[0.3, -1.2], [2.0, 0.0]]), np.array([[-0.7, 0.4], [1.5, -2.5]])),
        (np.array([[1.0, -1.0, 0.5, 0.0]]), np.array([[0.2, 0.2, -1.0, 3.0]])),
    ],
}


def _ref(exercise_id: str, key: str | None = None) -> Any:
    value = REFERENCE[exercise_id]
    return value if key is None else value[key]


def _all_close(exercise_id: str, rtol: float = 1e-4, atol: float = 1e-6) -> Callable:
    """A check that compares every part of a dict answer with ``close``."""
    return close_parts(_ref(exercise_id), rtol, atol)


def _all_exact(exercise_id: str) -> Callable:
    return exact_parts(_ref(exercise_id))


# ---------------------------------------------------------------------------
# One check per exercise.
# ---------------------------------------------------------------------------


@safe
def check_11_1(answer: Any) -> Result:
    """Code and reconstruction of a bias-free autoencoder."""
    return _all_close("11.1")(answer)


@safe
def check_11_2(answer: Any) -> Result:
    """Reconstruction MSE and its gradients with respect to both weight matrices."""
    return _all_close("11.2", rtol=1e-3, atol=1e-7)(answer)


@safe
def check_11_3(answer: Any) -> Result:
    """A denoising forward pass and its losses against the clean and the noisy input."""
    return _all_close("11.3")(answer)


@safe
def check_11_4(answer: Any) -> Result:
    """Closed-form Gaussian KL and the sign-flipped formula."""
    return _all_close("11.4")(answer)


@safe
def check_11_5(answer: Any) -> Result:
    """A function reparameterize(mean, log_var, eps)."""
    return function(answer, _ref("11.5"), PROBES["11.5"])


@safe
def check_11_6(answer: Any) -> Result:
    """A function gaussian_kl(mean, log_var) -> (batch,)."""
    return function(answer, _ref("11.6"), PROBES["11.6"])


@safe
def check_11_7(answer: Any) -> Result:
    """One VAE forward pass: mu, sigma, z, x_hat, KL, BCE, negative ELBO."""
    return _all_close("11.7")(answer)


@safe
def check_11_8(answer: Any) -> Result:
    """The KL sparsity penalty per unit and in total."""
    return _all_close("11.8", atol=1e-7)(answer)


@safe
def check_11_9(answer: Any) -> Result:
    """A sparse autoencoder's code, reconstruction and penalised loss."""
    return _all_close("11.9")(answer)


@safe
def check_11_10(answer: Any) -> Result:
    """Covariance, eigenvalues, first direction and rank-1 error of six points."""
    return _all_close("11.10")(answer)


@safe
def check_11_11(answer: Any) -> Result:
    """Subspace angle, MSE ratio and basis non-orthonormality of a linear autoencoder."""
    return _all_close("11.11", rtol=1e-3, atol=1e-4)(answer)


@safe
def check_11_12(answer: Any) -> Result:
    """Parameter counts of a dense autoencoder and of a VAE's encoder and decoder."""
    return _all_exact("11.12")(answer)


@safe
def check_11_13(answer: Any) -> Result:
    """log p(x), two ELBOs and the gap of a Gaussian toy model."""
    return _all_close("11.13")(answer)


@safe
def check_11_14(answer: Any) -> Result:
    """The beta that mean-over-pixels reconstruction with a summed KL amounts to."""
    return _all_exact("11.14")(answer)


@safe
def check_11_15(answer: Any) -> Result:
    """Large angles between a linear autoencoder's decoder rows and the PCA components."""
    return choice(answer, _ref("11.15"))


@safe
def check_11_16(answer: Any) -> Result:
    """A denoising autoencoder trained with the noisy input as its target."""
    return choice(answer, _ref("11.16"))


@safe
def check_11_17(answer: Any) -> Result:
    """What cures posterior collapse caused by a mean-reduced reconstruction."""
    return choice(answer, _ref("11.17"))


CHECKS: dict[str, Callable[[Any], Result]] = {
    f"11.{k}": globals()[f"check_11_{k}"] for k in range(1, 18)
}
