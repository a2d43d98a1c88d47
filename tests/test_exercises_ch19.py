"""Chapter 19: the hidden references agree with the curriculum digest and with dlkit.diffusion.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check that
references pass, wrong answers fail and the grading round trip works. Here the reference values,
recomputed with NumPy in ``hidden_checks/ch19.py``, are compared with the numbers printed in
``shared/curriculum/19-diffusion-models.md`` §4 and with the library schedules.
"""

from __future__ import annotations

import numpy as np

from dlkit import diffusion
from dlkit.checks.ch19 import STEP_INPUTS
from hidden_checks.ch19 import CHECKS, PROBES, REFERENCE, WRONG


def test_digest_numbers():
    np.testing.assert_allclose(
        REFERENCE["19.1"]["alpha_bar"], [0.9999, 0.524085, 0.078587, 4.036e-5], rtol=1e-3
    )
    assert REFERENCE["19.1"]["first_t"] == 260
    r2 = REFERENCE["19.2"]
    np.testing.assert_allclose(
        [r2["alpha_bar_250"], r2["alpha_bar_500"], r2["beta_1"], r2["beta_500"]],
        [0.847012, 0.493844, 4.13e-5, 0.003146],
        rtol=1e-3,
    )
    assert r2["first_t"] == 497
    np.testing.assert_allclose(REFERENCE["19.3"]["x_t"], [1.1, -0.68])
    np.testing.assert_allclose(REFERENCE["19.3"]["x0"], [1.0, -1.0])
    assert abs(REFERENCE["19.4"]["var_composed"] - 0.28) < 1e-12
    assert abs(REFERENCE["19.4"]["mean_factor"] - 0.848528) < 1e-6
    np.testing.assert_allclose(
        list(REFERENCE["19.5"].values()), [0.071429, 0.677631, 0.319438], atol=1e-6
    )
    np.testing.assert_allclose(
        [REFERENCE["19.6"]["x_prev"], REFERENCE["19.6"]["x0_hat"]], [0.759145, 0.972792], atol=1e-6
    )
    np.testing.assert_allclose(
        list(REFERENCE["19.7"].values()), [0.625, 0.662742, -0.468629], atol=1e-6
    )
    np.testing.assert_allclose(REFERENCE["19.9"], [0.1322, 0.00612, 3.16e-5], rtol=2e-3)
    assert REFERENCE["19.10"] == 19202
    assert abs(REFERENCE["19.11"]["tv"] - 0.14) < 1e-12 and REFERENCE["19.11"]["under_class"] == 1
    r13 = REFERENCE["19.13"]
    assert abs(r13["chain_mean"] - 2) < 0.02 and abs(r13["chain_std"] - 0.5) < 0.02
    assert r13["one_shot_std"] < 1e-4


def test_references_match_library_schedules():
    lin = diffusion.linear_schedule(1000)["alpha_bar"]
    np.testing.assert_allclose(REFERENCE["19.1"]["alpha_bar"], lin[[0, 249, 499, 999]])
    cos = diffusion.cosine_schedule(1000)
    assert abs(REFERENCE["19.2"]["alpha_bar_500"] - cos["alpha_bar"][499]) < 1e-12
    assert abs(REFERENCE["19.2"]["beta_500"] - cos["betas"][499]) < 1e-12
    short = [diffusion.linear_schedule(200, 1e-4, b)["alpha_bar"][-1] for b in (0.02, 0.05, 0.1)]
    np.testing.assert_allclose(REFERENCE["19.9"], short)


def test_step_function_matches_posterior_mean_form():
    # With sigma = 0 the ancestral step is the posterior mean mu_tilde(x0_hat, x_t).
    beta, bar, bar_prev = 0.05, 0.3, 0.3 / 0.95
    x_t, eps = np.array([0.4, -1.2]), np.array([0.7, 0.1])
    x0_hat = (x_t - np.sqrt(1 - bar) * eps) / np.sqrt(bar)
    mu = (
        np.sqrt(bar_prev) * beta / (1 - bar) * x0_hat
        + np.sqrt(1 - beta) * (1 - bar_prev) / (1 - bar) * x_t
    )
    step = REFERENCE["19.8"](x_t, eps, beta, bar, np.zeros(2))
    np.testing.assert_allclose(step, mu, rtol=1e-10)


def test_probes_differ_from_public_inputs_and_wrong_fails():
    public = {tuple(np.ravel(a[0])) for a in STEP_INPUTS}
    assert all(tuple(np.ravel(p[0])) not in public for p in PROBES["19.8"])
    for key, check in CHECKS.items():
        assert check(REFERENCE[key])[0], key
        assert not check(WRONG[key])[0], key
