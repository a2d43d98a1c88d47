"""Public checks of chapter 11 (autoencoders and variational autoencoders).

Used by ``dlkit.exercises.check("11.k", answer)``. Exercises 11.1 to 11.4 and 11.7 to
11.14 are numeric (forward passes, gradients, denoising losses, the Gaussian KL, a
one-sample negative ELBO, sparsity penalties, PCA and the subspace of a linear
autoencoder, parameter counts, a toy ELBO, the beta hidden in a mean-reduced loss);
11.5 and 11.6 ask for functions (the reparameterisation trick and the per-example KL);
11.15 to 11.17 are conceptual multiple-choice questions.

No reference value is written in this module. Each check compares a *fingerprint* of
the answer (:func:`dlkit.exercises.fingerprint`, or
:func:`dlkit.exercises.text_fingerprint` for choices) with the fingerprint of the
reference answer, pasted here as a hex string. Function answers are fingerprinted
through their outputs on the public inputs below. The exact reference values and the
stricter comparisons are the teacher's hidden checks (``hidden_checks/ch11.py``, not
shipped).
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

# Public inputs of the function exercises (the hidden checks use others).
REPARAMETERIZE_INPUTS = [
    (np.array([[0.2, 0.5]]), 2 * np.log(np.array([[0.1, 0.3]])), np.array([[1.0, -0.5]])),
    (
        np.array([[0.0, 1.0], [-1.0, 0.5]]),
        np.array([[0.0, -2.0], [1.0, 0.3]]),
        np.array([[0.5, 0.5], [-1.0, 2.0]]),
    ),
]
KL_INPUTS = [
    (np.array([[0.2, 0.5]]), 2 * np.log(np.array([[0.1, 0.3]]))),
    (
        np.array([[0.0, 0.0], [1.0, -2.0], [0.5, 0.5]]),
        np.array([[0.0, 0.0], [0.0, 1.0], [-1.0, -3.0]]),
    ),
]

register(
    Exercise(
        id="11.1",
        points=1,
        produce="a dict with keys 'z' (array of shape (2,)) and 'x_hat' (array of shape (4,))",
        hint="z = relu(W_e x), then x_hat = sigmoid(W_d z); W_e is (2, 4) and W_d is (4, 2), so "
        "both products are matrix-vector products in that order",
        check=expect_dict(
            {
                "z": expect_array((2,), "3cb8c9b363cac0b1"),
                "x_hat": expect_array((4,), "d0c46d37a47ede60"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.2",
        points=2,
        produce="a dict with keys 'mse' (a number), 'grad_w_d' (array of shape (4, 2)) and "
        "'grad_w_e' (array of shape (2, 4))",
        hint="the loss is the mean over the four outputs (divide by 4); let tf.GradientTape "
        "differentiate it with respect to two tf.Variables holding W_d and W_e",
        check=expect_dict(
            {
                "mse": expect_number("ebaa8812061877b3"),
                "grad_w_d": expect_array((4, 2), "a1172ec1cec64da6"),
                "grad_w_e": expect_array((2, 4), "81af16b07de79457"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.3",
        points=1,
        produce="a dict with keys 'z' (shape (2,)), 'x_hat' (shape (4,)), 'loss_clean' and "
        "'loss_noisy' (numbers)",
        hint="encode and decode the corrupted input; the denoising loss compares the output "
        "with the clean x, the other loss with the corrupted input itself (means over 4 values)",
        check=expect_dict(
            {
                "z": expect_array((2,), "6b204f60143af4e1"),
                "x_hat": expect_array((4,), "e5b548d23ac08d35"),
                "loss_clean": expect_number("ebaa8812061877b3"),
                "loss_noisy": expect_number("108cfd73400ee185"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.4",
        points=1,
        produce="a dict with keys 'kl' and 'flipped', each a number",
        hint="KL = 1/2 sum(mu^2 + sigma^2 - log sigma^2 - 1): the formula takes the variance, "
        "not the standard deviation; the flipped formula is +1/2 sum(1 + log sigma^2 - mu^2 - "
        "sigma^2)",
        check=expect_dict(
            {
                "kl": expect_number("45fd7e104ad2d64a"),
                "flipped": expect_number("a702cf32784a1f63"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.5",
        points=2,
        produce="a function reparameterize(mean, log_var, eps) that takes three arrays of shape "
        "(batch, latent) and returns z, an array of the same shape",
        hint="the encoder predicts log sigma^2, so sigma = exp(log_var / 2); z = mean + sigma * "
        "eps, elementwise",
        check=expect_function(REPARAMETERIZE_INPUTS, "03fbc38d6918bfcd"),
    )
)

register(
    Exercise(
        id="11.6",
        points=2,
        produce="a function gaussian_kl(mean, log_var) that takes two arrays of shape (batch, "
        "latent) and returns one KL per example, an array of shape (batch,)",
        hint="sum over the latent axis only (axis=-1), never over the batch; the result is >= 0 "
        "and exactly 0 when mean = 0 and log_var = 0",
        check=expect_function(KL_INPUTS, "33f99e5a37488075"),
    )
)

register(
    Exercise(
        id="11.7",
        points=3,
        produce="a dict with keys 'mu', 'sigma', 'z', 'x_hat' (arrays of shape (2,)) and 'kl', "
        "'bce', 'neg_elbo' (numbers)",
        hint="the second head gives log sigma^2, so sigma = exp(head / 2); the BCE is summed "
        "over the two pixels; the negative ELBO is BCE + KL",
        check=expect_dict(
            {
                "mu": expect_array((2,), "cc348a447acae254"),
                "sigma": expect_array((2,), "05a924b30b7bb241"),
                "z": expect_array((2,), "a9225a084240591d"),
                "x_hat": expect_array((2,), "40f287c83f0ed277"),
                "kl": expect_number("5cc40201b6ce9f38"),
                "bce": expect_number("0fa2594a5fa0ad24"),
                "neg_elbo": expect_number("95726a2c3e190a0c"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.8",
        points=1,
        produce="a dict with keys 'per_unit' (array of shape (3,)) and 'total' (a number)",
        hint="KL(rho || rho_hat) = rho log(rho / rho_hat) + (1 - rho) log((1 - rho) / (1 - "
        "rho_hat)); the target rho comes first; a unit exactly at the target costs nothing",
        check=expect_dict(
            {
                "per_unit": expect_array((3,), "735d4a461239be49"),
                "total": expect_number("8d4c3cb5292b0b44"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.9",
        points=2,
        produce="a dict with keys 'h', 'x_hat' (arrays of shape (2,)) and 'mse', 'sparsity', "
        "'total' (numbers)",
        hint="h = sigmoid(W1 x + b1), x_hat = W2 h + b2 (linear); the sparsity term is the sum "
        "over the two units of KL(rho || h_j); total = mse + beta * sparsity",
        check=expect_dict(
            {
                "h": expect_array((2,), "04cc60b8612d6dd4"),
                "x_hat": expect_array((2,), "83c6a42563878723"),
                "mse": expect_number("08a0cf2c088b57bf"),
                "sparsity": expect_number("3241914f633b6a4e"),
                "total": expect_number("c1f7545b515c8982"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.10",
        points=2,
        produce="a dict with keys 'covariance' (shape (2, 2)), 'eigenvalues' (shape (2,), "
        "largest first), 'direction' (shape (2,), unit length, first entry positive) and "
        "'error' (a number)",
        hint="divide by N (np.cov(..., bias=True)), np.linalg.eigh sorts eigenvalues in "
        "increasing order; the best rank-1 error per point is the discarded eigenvalue",
        check=expect_dict(
            {
                "covariance": expect_array((2, 2), "3f74777ee69cab13"),
                "eigenvalues": expect_array((2,), "1919945449b79053"),
                "direction": expect_array((2,), "e0c8dfef8e6975aa"),
                "error": expect_number("717ee4ef43ee9280"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.11",
        points=2,
        produce="a dict with keys 'max_angle_deg', 'mse_ratio' and 'gram_deviation', each a number",
        hint="scipy.linalg.subspace_angles takes two matrices whose *columns* span the spaces "
        "(transpose the (2, 6) decoder kernel and PCA's components_); the Gram matrix of the "
        "decoder's two basis vectors is W_d W_d^T, a 2 x 2 matrix",
        check=expect_dict(
            {
                "max_angle_deg": expect_number("7fe42db862bb0593"),
                "mse_ratio": expect_number("d0b2c6b8b493486b"),
                "gram_deviation": expect_number("88ba8b77b3ab8ee1"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.12",
        points=1,
        produce="a dict with keys 'ae', 'vae_encoder' and 'vae_decoder', each an integer",
        hint="a Dense layer from n to m inputs has n * m weights plus m biases; the encoder has "
        "two heads (mean and log-variance) on the same hidden layer; build the models and call "
        "count_params() to check",
        check=expect_dict(
            {
                "ae": expect_number("d1eafe51ea5d827f"),
                "vae_encoder": expect_number("23ac95659a704e24"),
                "vae_decoder": expect_number("2a3d738ac285d86a"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.13",
        points=2,
        produce="a dict with keys 'log_px', 'elbo_exact', 'elbo_prior' and 'gap', each a number",
        hint="the marginal of x is N(0, 1 + 1); for q = N(m, v): E_q[log p(x|z)] = -1/2 log(2 pi) "
        "- 1/2 ((x - m)^2 + v), and the KL from the prior has the closed form; the gap is "
        "log p(x) - ELBO",
        check=expect_dict(
            {
                "log_px": expect_number("baee6bd6fdc7884e"),
                "elbo_exact": expect_number("baee6bd6fdc7884e"),
                "elbo_prior": expect_number("00c2e92a745fc2bb"),
                "gap": expect_number("7146d7b0d795001a"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.14",
        points=1,
        produce="a dict with keys 'mnist' (28 x 28 images) and 'digits' (8 x 8 images), each a "
        "number",
        hint="write the mean over pixels as (1 / D) times the sum and multiply the whole loss by "
        "D: the KL term picks up the factor D",
        check=expect_dict(
            {
                "mnist": expect_number("320777eaa82bbd28"),
                "digits": expect_number("3e7c0cdc33acc66d"),
            }
        ),
    )
)

register(
    Exercise(
        id="11.15",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="replace (W_e, W_d) by (W_e A, A^-1 W_d) for an invertible 8 x 8 matrix A: what "
        "happens to the reconstruction, and to the individual rows?",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="11.16",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="with 1024 hidden units and a linear output, which function minimises the squared "
        "error between the output and the network's own input?",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="11.17",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="compare the sizes of the two terms: a reconstruction averaged over all the pixels "
        "against a KL summed over the latent dimensions",
        check=expect_choice(CHOICES, "18ac3e7343f01689"),
    )
)
