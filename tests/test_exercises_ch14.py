"""Chapter 14: the hidden references agree with the curriculum digest, dlkit and Keras.

The generic tests (``tests/test_exercises.py``, ``tests/test_grading.py``) already check
that references pass, wrong answers fail and the grading round trip works. Here the
reference values, which ``hidden_checks/ch14.py`` recomputes with NumPy, are compared with
the numbers printed in ``shared/curriculum/14-self-supervised.md`` §4; the NT-Xent
reference of 14.12 with ``dlkit.training.nt_xent_loss`` and with a plain loop; the EMA
answer of 14.13 with ``dlkit.selfsup.ema_update``; and the wrong answers with the mistakes
they stand for.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dlkit import selfsup
from dlkit.checks.ch14 import NT_XENT_INPUTS
from dlkit.training import nt_xent_loss
from hidden_checks.ch14 import (
    CHECKS,
    PROBES,
    REFERENCE,
    WRONG,
    nt_xent_per_anchor,
    nt_xent_reference,
)

# The digest's answers, as printed there (§4, exercises 1-9 and 13).
DIGEST = {
    "14.1": {
        "normalised": [
            [0.1302, 0.3906, 0.9113],
            [0.3714, 0.5571, 0.7428],
            [0.4767, 0.8581, 0.1907],
            [0.7379, 0.5270, 0.4216],
        ],
        "loss_tau_1": 0.9853,
        "loss_tau_05": 0.8853,
    },
    "14.2": {"cosines": [0.9899, 1.0, 0.9995], "losses": [0.0201, 0.0, 0.0010], "mse": 0.04},
    "14.3": {
        "logits": [[0.38, 0.26, 0.77], [0.38, 0.27, 0.69], [0.48, 0.33, 0.96]],
        "losses": [1.2131, 1.2915, 0.7661],
        "mean": 1.0902,
    },
    "14.4": {
        "loss_tau_1": 1.0896,
        "bound_tau_1": 0.0090,
        "loss_tau_01": 1.0155,
        "bound_tau_01": 0.0832,
    },
    "14.5": {"small_batch": 1.9459, "large_batch": 6.2364},
    "14.6": {"losses": [1.1888, 0.9072, 0.3157], "shares": [0.3963, 0.5542, 0.9908]},
    "14.7": {"tau_007_times_1e5": 5.7, "tau_1": 0.8389},
    "14.8": {"steps": [459, 1149, 4603], "half_life": 68.97},
    "14.9": {
        "negatives": 510,
        "queue_steps_4096": 16,
        "queue_steps_65536": 256,
        "probe_params": 650,
        "rotation_size": 7188,
    },
    "14.13": {"after_one": 0.01},
}
TOLERANCE = {"14.7": 0.01, "14.8": 0.005}


@pytest.mark.parametrize("exercise_id", sorted(DIGEST))
def test_references_match_the_digest(exercise_id):
    atol = TOLERANCE.get(exercise_id, 1e-4)
    for key, value in DIGEST[exercise_id].items():
        np.testing.assert_allclose(REFERENCE[exercise_id][key], value, atol=atol, err_msg=key)


def test_digest_per_anchor_losses_and_cosines():
    h = np.array([[0.1, 0.3, 0.7], [0.4, 0.6, 0.8], [0.5, 0.9, 0.2], [0.7, 0.5, 0.4]])
    np.testing.assert_allclose(
        nt_xent_per_anchor(h, 1.0, np.array([1, 0, 3, 2])),
        [0.9014, 1.0310, 0.9734, 1.0355],
        atol=1e-4,
    )
    cosine = REFERENCE["14.1"]["cosine"]
    off_diagonal = [cosine[0, 1], cosine[0, 2], cosine[0, 3], cosine[1, 2], cosine[1, 3]]
    np.testing.assert_allclose(off_diagonal, [0.9428, 0.5710, 0.6862, 0.7967, 0.8808], atol=1e-4)


@pytest.mark.parametrize("args", NT_XENT_INPUTS + PROBES["14.12"])
def test_nt_xent_reference_matches_the_library(args):
    z1, z2, tau = args
    np.testing.assert_allclose(
        nt_xent_reference(*args), float(nt_xent_loss(z1, z2, temperature=tau)), rtol=1e-5
    )


def test_collapsed_batches_give_log_2n_minus_1_and_the_wrong_loss_differs():
    for n in (4, 8, 256):
        z = np.ones((n, 5))
        np.testing.assert_allclose(nt_xent_reference(z, z, 0.3), np.log(2 * n - 1), rtol=1e-9)
    # the collapsed probe is among the hidden ones: a loss without the positive fails it
    z1, z2, tau = PROBES["14.12"][3]
    assert abs(WRONG["14.12"](z1, z2, tau) - nt_xent_reference(z1, z2, tau)) > 0.1
    assert not CHECKS["14.12"](WRONG["14.12"])[0]


def test_ema_reference_matches_dlkit_selfsup():
    online = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="ones"),
        ]
    )
    target = keras.models.clone_model(online)
    target.set_weights([np.zeros_like(w) for w in online.get_weights()])
    selfsup.ema_update(target, online, momentum=0.99)
    np.testing.assert_allclose(target.get_weights()[0], REFERENCE["14.13"]["after_one"], rtol=1e-5)
    for _ in range(9):
        selfsup.ema_update(target, online, momentum=0.99)
    np.testing.assert_allclose(target.get_weights()[0], REFERENCE["14.13"]["after_ten"], rtol=1e-5)
    shared = keras.Sequential([keras.Input((3,)), online.layers[0]])
    with pytest.raises(ValueError, match="share"):
        selfsup.ema_update(shared, online)


def test_ema_steps_are_the_first_below_one_percent():
    for m, k in zip((0.99, 0.996, 0.999), REFERENCE["14.8"]["steps"]):
        k = int(k)
        assert m**k < 0.01 <= m ** (k - 1)
