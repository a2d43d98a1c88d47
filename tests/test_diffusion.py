"""Tests of dlkit.diffusion: schedules, q_sample, embeddings, the DDPM step and the samplers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from dlkit import diffusion


def test_linear_schedule_values():
    sched = diffusion.linear_schedule(1000)
    bar = sched["alpha_bar"]
    np.testing.assert_allclose(sched["alphas"], 1 - sched["betas"])
    assert abs(bar[0] - 0.9999) < 1e-12
    assert abs(bar[249] - 0.524085) < 1e-6
    assert abs(bar[499] - 0.078587) < 1e-6
    assert abs(bar[999] - 4.036e-5) < 1e-8
    assert abs(diffusion.linear_schedule(200)["alpha_bar"][-1] - 0.1322) < 1e-4


def test_cosine_schedule_values():
    sched = diffusion.cosine_schedule(1000)
    assert abs(sched["alpha_bar"][249] - 0.847012) < 1e-6
    assert abs(sched["alpha_bar"][499] - 0.493844) < 1e-6
    assert abs(sched["betas"][0] - 4.13e-5) < 1e-7
    assert abs(sched["betas"][-1] - 0.999) < 1e-12
    np.testing.assert_allclose(np.cumprod(sched["alphas"]), sched["alpha_bar"])


@pytest.mark.parametrize(
    "call",
    [
        lambda: diffusion.linear_schedule(0),
        lambda: diffusion.linear_schedule(10, 0.1, 0.01),
        lambda: diffusion.cosine_schedule(10, max_beta=1.0),
        lambda: diffusion.schedule_from_betas([0.1, 1.2]),
        lambda: diffusion.timestep_embedding([1.0], 3),
    ],
)
def test_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


def test_q_sample_formula_and_shapes():
    bar = diffusion.linear_schedule(10)["alpha_bar"]
    rng = np.random.default_rng(0)
    x0, eps = rng.normal(size=(3, 4, 4, 1)), rng.normal(size=(3, 4, 4, 1))
    t = np.array([0, 5, 9])
    out = diffusion.q_sample(x0, t, eps, bar).numpy()
    expected = (
        np.sqrt(bar[t])[:, None, None, None] * x0 + np.sqrt(1 - bar[t])[:, None, None, None] * eps
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        diffusion.q_sample(x0, t, eps[:2], bar)


def test_timestep_embedding_layer():
    t = np.array([0.0, 3.0])
    emb = diffusion.timestep_embedding(t, 4).numpy()
    freqs = np.array([1.0, 0.01])
    expected = np.concatenate([np.sin(t[:, None] * freqs), np.cos(t[:, None] * freqs)], 1)
    np.testing.assert_allclose(emb, expected, atol=1e-6)
    layer = diffusion.TimeEmbedding(4)
    np.testing.assert_allclose(layer(t.astype("float32")).numpy(), expected, atol=1e-6)
    assert diffusion.TimeEmbedding.from_config(layer.get_config()).dim == 4


def _tiny_model():
    keras.utils.set_random_seed(0)
    x, t = keras.Input((2,)), keras.Input(())
    h = keras.layers.Concatenate()([x, diffusion.TimeEmbedding(4)(t)])
    return keras.Model([x, t], keras.layers.Dense(2)(h))


def test_ddpm_step_reduces_loss_and_repeats():
    sched = diffusion.cosine_schedule(20)
    data = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    losses = []
    for _ in range(2):
        model = _tiny_model()
        step = diffusion.ddpm_step(model, keras.optimizers.Adam(1e-2), sched["alpha_bar"], seed=3)
        run = [float(step(data)["loss"]) for _ in range(30)]
        losses.append(run)
    assert losses[0] == losses[1]  # seeded: exactly repeatable
    assert np.mean(losses[0][-5:]) < np.mean(losses[0][:5])
    with pytest.raises(TypeError):
        diffusion.ddpm_step(lambda x: x, keras.optimizers.Adam(), sched["alpha_bar"])


def test_ancestral_sampler_exact_denoiser_recovers_gaussian():
    sched = diffusion.linear_schedule(1000)
    bar = tf.constant(sched["alpha_bar"], tf.float32)

    def eps_star(x, i):
        ab = tf.gather(bar, i)
        return tf.sqrt(1 - ab) * (x - 2 * tf.sqrt(ab)) / (0.25 * ab + 1 - ab)

    x_T = np.random.default_rng(1).normal(size=(20000, 1)).astype("float32")
    for variance in ("beta", "posterior"):
        out = diffusion.ancestral_sampler(eps_star, sched, variance=variance)(x_T).numpy()
        assert abs(out.mean() - 2) < 0.02 and abs(out.std() - 0.5) < 0.02
    clipped = diffusion.ancestral_sampler(eps_star, sched, clip=(-5, 5))(x_T).numpy()
    assert abs(clipped.mean() - 2) < 0.02 and abs(clipped.std() - 0.5) < 0.02
    sampler = diffusion.ancestral_sampler(eps_star, sched)
    np.testing.assert_array_equal(sampler(x_T[:10], seed=4), sampler(x_T[:10], seed=4))
    out = diffusion.ddim_sampler(eps_star, sched, 250)(x_T).numpy()
    assert abs(out.mean() - 2) < 0.02 and abs(out.std() - 0.5) < 0.03
    with pytest.raises(ValueError):
        diffusion.ancestral_sampler(eps_star, sched, variance="other")
    with pytest.raises(ValueError):
        diffusion.ddim_sampler(eps_star, sched, 2000)


def test_sampler_accepts_keras_model():
    sched = diffusion.cosine_schedule(5)
    out = diffusion.ancestral_sampler(_tiny_model(), sched)(np.zeros((3, 2), "float32"))
    assert out.shape == (3, 2)
