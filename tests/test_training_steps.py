"""dlkit.training step factories (GAN, VAE, contrastive), their losses and fit_steps."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import runtime

runtime.import_tensorflow_quietly()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from dlkit import training  # noqa: E402


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------- GAN losses
def test_discriminator_loss_matches_the_formula_with_one_sided_smoothing():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(16, 1)), rng.normal(size=(16, 1))
    for s in (0.0, 0.1):
        t = 1.0 - s
        expected = -np.mean(t * np.log(_sigmoid(real)) + (1 - t) * np.log(1 - _sigmoid(real)))
        expected += -np.mean(np.log(1 - _sigmoid(fake)))
        got = training.discriminator_loss(real, fake, label_smoothing=s)
        np.testing.assert_allclose(float(got), expected, rtol=1e-5)


def test_generator_losses_and_the_saturation_of_minimax():
    f = np.array([-6.0, -1.0, 0.5, 3.0])
    np.testing.assert_allclose(
        float(training.generator_loss(f)), -np.mean(np.log(_sigmoid(f))), rtol=1e-5
    )
    np.testing.assert_allclose(
        float(training.generator_loss(f, kind="minimax")),
        np.mean(np.log(1 - _sigmoid(f))),
        rtol=1e-5,
    )
    np.testing.assert_allclose(float(training.generator_loss(f, kind="wasserstein")), -f.mean())
    # a confident discriminator (logit -6 on fakes): the minimax gradient vanishes
    logit = tf.Variable([[-6.0]])
    grads = {}
    for kind in ("non_saturating", "minimax"):
        with tf.GradientTape() as tape:
            loss = training.generator_loss(logit, kind=kind)
        grads[kind] = abs(float(tape.gradient(loss, logit)[0, 0]))
    assert grads["non_saturating"] > 0.99 and grads["minimax"] < 0.01
    with pytest.raises(ValueError, match="kind must be one of"):
        training.generator_loss(f, kind="hinge")


def test_gradient_penalty_of_a_linear_critic_is_exact():
    w = np.array([[3.0], [4.0]], dtype="float32")  # ||w|| = 5 -> penalty (5 - 1)^2
    critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    critic.layers[0].set_weights([w])
    real = np.ones((8, 2), "float32")
    penalty = training.gradient_penalty(critic, real, np.zeros((8, 2), "float32"))
    np.testing.assert_allclose(float(penalty), 16.0, rtol=1e-5)


def _gaussian_gan(seed=0):
    keras.utils.set_random_seed(seed)
    generator = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
    )
    discriminator = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
    )
    return generator, discriminator


@pytest.mark.parametrize("loss", ["non_saturating", "wasserstein"])
def test_gan_step_learns_a_shifted_gaussian(loss):
    generator, discriminator = _gaussian_gan()
    lr = 2e-3 if loss == "non_saturating" else 5e-3
    step = training.gan_step(
        generator,
        discriminator,
        keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.9),
        keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.9),
        latent_dim=4,
        loss=loss,
        d_steps=1 if loss != "wasserstein" else 3,
    )
    real = np.random.default_rng(0).normal(3.0, 0.5, size=(2048, 1)).astype("float32")
    history = training.fit_steps(step, real, batch_size=128, epochs=25, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert len(history.history["d_loss"]) == 25
    samples = generator(np.random.default_rng(1).normal(size=(2000, 4)).astype("float32"))
    # before training the generator's output is centred near 0; now near the data's mean 3
    assert abs(float(np.mean(samples)) - 3.0) < 0.5


def test_conditional_gan_step_checks_its_inputs():
    z = keras.Input((3,))
    y = keras.Input((), dtype="int32")
    h = keras.layers.Concatenate()([z, keras.layers.CategoryEncoding(2, "one_hot")(y)])
    generator = keras.Model([z, y], keras.layers.Dense(2)(h))
    x = keras.Input((2,))
    yd = keras.Input((), dtype="int32")
    hd = keras.layers.Concatenate()([x, keras.layers.CategoryEncoding(2, "one_hot")(yd)])
    discriminator = keras.Model([x, yd], keras.layers.Dense(1)(hd))
    step = training.gan_step(
        generator,
        discriminator,
        keras.optimizers.Adam(),
        keras.optimizers.Adam(),
        latent_dim=3,
        conditional=True,
    )
    logs = step(np.ones((4, 2), "float32"), np.array([0, 1, 0, 1], "int32"))
    assert np.isfinite(float(logs["d_loss"])) and 0 < float(logs["d_fake"]) < 1
    with pytest.raises(ValueError, match="needs step\\(real, labels\\)"):
        step(np.ones((4, 2), "float32"))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"latent_dim": 0}, "latent_dim must be >= 1"),
        ({"latent_dim": 4, "loss": "hinge"}, "loss must be one of"),
        ({"latent_dim": 4, "label_smoothing": 0.7}, "label_smoothing must be"),
        ({"latent_dim": 4, "d_steps": 0}, "d_steps must be >= 1"),
    ],
)
def test_gan_step_rejects_bad_arguments(kwargs, error):
    generator, discriminator = _gaussian_gan()
    with pytest.raises(ValueError, match=error):
        training.gan_step(
            generator, discriminator, keras.optimizers.Adam(), keras.optimizers.Adam(), **kwargs
        )
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two different optimizer"):
        training.gan_step(generator, discriminator, shared, shared, latent_dim=4)
    with pytest.raises(TypeError, match="generator must be a keras.Model"):
        training.gan_step(
            "G", discriminator, keras.optimizers.Adam(), keras.optimizers.Adam(), latent_dim=4
        )


# ----------------------------------------------------------------- VAE
def test_vae_kl_matches_the_closed_form_and_a_monte_carlo_estimate():
    mean = np.array([[0.5, -1.0], [0.0, 0.0]], "float32")
    log_var = np.array([[np.log(0.25), np.log(2.0)], [0.0, 0.0]], "float32")
    kl = training.vae_kl(mean, log_var).numpy()
    var = np.exp(log_var)
    np.testing.assert_allclose(kl, 0.5 * np.sum(mean**2 + var - 1 - log_var, axis=1), rtol=1e-6)
    assert kl[1] == 0.0  # q equal to the prior
    rng = np.random.default_rng(0)
    z = mean[0] + np.sqrt(var[0]) * rng.normal(size=(400_000, 2))
    log_q = -0.5 * np.sum((z - mean[0]) ** 2 / var[0] + np.log(2 * np.pi * var[0]), axis=1)
    log_p = -0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=1)
    assert abs(np.mean(log_q - log_p) - kl[0]) < 0.01


def test_vae_losses_sum_over_pixels_and_average_over_the_batch():
    x = np.array([[[1.0, 0.0]], [[0.0, 1.0]]], "float32")  # (2, 1, 2)
    logits = np.zeros_like(x)
    zeros = np.zeros((2, 3), "float32")
    logs = training.vae_losses(x, logits, zeros, zeros)
    np.testing.assert_allclose(float(logs["reconstruction"]), 2 * np.log(2), rtol=1e-6)
    assert float(logs["kl"]) == 0.0
    mse = training.vae_losses(x, np.full_like(x, 0.5), zeros, zeros, reconstruction="mse")
    np.testing.assert_allclose(float(mse["reconstruction"]), 2 * 0.5 * 0.25, rtol=1e-6)
    with pytest.raises(ValueError, match="reconstruction must be one of"):
        training.vae_losses(x, logits, zeros, zeros, reconstruction="l1")


def test_vae_step_lowers_the_negative_elbo():
    keras.utils.set_random_seed(0)
    x_in = keras.Input((16,))
    h = keras.layers.Dense(32, activation="relu")(x_in)
    encoder = keras.Model(x_in, [keras.layers.Dense(2)(h), keras.layers.Dense(2)(h)])
    decoder = keras.Sequential(
        [keras.Input((2,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(16)]
    )
    step = training.vae_step(encoder, decoder, keras.optimizers.Adam(3e-3))
    rng = np.random.default_rng(0)
    prototypes = (rng.random((4, 16)) > 0.5).astype("float32")
    x = prototypes[rng.integers(0, 4, 1024)]
    history = training.fit_steps(step, x, batch_size=64, epochs=15, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert history.history["kl"][-1] > 0.1  # the latent code is used
    # the same seed repeats the run exactly
    assert np.isfinite(loss).all()


# ----------------------------------------------------------------- contrastive
def _nt_xent_numpy(z1, z2, t):
    z = np.concatenate([z1, z2])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = z @ z.T / t
    n = len(z1)
    losses = []
    for i in range(2 * n):
        p = (i + n) % (2 * n)
        others = [k for k in range(2 * n) if k != i]
        losses.append(-(s[i, p] - np.log(np.sum(np.exp(s[i, others])))))
    return np.mean(losses)


def test_nt_xent_matches_a_loop_implementation():
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    for t in (0.1, 0.5):
        got = float(training.nt_xent_loss(z1, z2, temperature=t))
        np.testing.assert_allclose(got, _nt_xent_numpy(z1, z2, t), rtol=1e-5)
    # identical views of well-separated samples give a small loss, shuffled pairs a large one
    eye = np.eye(5) * 10
    assert float(training.nt_xent_loss(eye, eye, temperature=0.1)) < 0.01
    assert float(training.nt_xent_loss(eye, eye[::-1], temperature=0.1)) > 5


def test_contrastive_step_brings_views_together():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(8)]
    )

    def augment(x, training=True):
        return x + tf.random.normal(tf.shape(x), stddev=0.1)

    step = training.contrastive_step(model, keras.optimizers.Adam(1e-2), augment, temperature=0.2)
    x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    history = training.fit_steps(step, x, batch_size=32, epochs=10, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["positive_similarity"][-1] > 0.9
    with pytest.raises(TypeError, match="augment must be callable"):
        training.contrastive_step(model, keras.optimizers.Adam(), "flip")


# ----------------------------------------------------------------- fit_steps
def test_fit_steps_runs_the_same_updates_as_an_eager_loop():
    def make():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        return model, keras.optimizers.SGD(0.1)

    def make_step(model, optimizer):
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(model(x) - y))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return {"loss": loss}

        return step

    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")
    compiled_model, opt = make()
    step = make_step(compiled_model, opt)
    history = training.fit_steps(
        step, (x, y), batch_size=16, epochs=3, shuffle=False, steps_per_call=4, verbose=0
    )
    eager_model, opt2 = make()
    eager_step = make_step(eager_model, opt2)
    losses = []
    for _ in range(3):
        epoch = [float(eager_step(x[i : i + 16], y[i : i + 16])["loss"]) for i in range(0, 96, 16)]
        losses.append(np.mean(epoch))  # 6 full batches, the last 4 samples dropped
    for a, b in zip(compiled_model.get_weights(), eager_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    # two chunk sizes (4 and 2) share one trace: first/count are tensors
    assert step._dlkit_step_loop.run.experimental_get_tracing_count() == 1


def test_fit_steps_callbacks_and_errors(capsys):
    seen = []

    def step(x):
        return {"mean": tf.reduce_mean(x)}

    x = np.arange(8, dtype="float32")[:, None]
    history = training.fit_steps(
        step, x, batch_size=4, epochs=2, callbacks=[lambda e, logs: seen.append((e, logs))]
    )
    assert [e for e, _ in seen] == [0, 1] and history.history["mean"] == [3.5, 3.5]
    assert "epoch 2/2 - mean 3.5000" in capsys.readouterr().out
    with pytest.raises(ValueError, match="same length"):
        training.fit_steps(step, (x, x[:5]), batch_size=2, verbose=0)
    with pytest.raises(ValueError, match="batch_size \\(16\\) is larger"):
        training.fit_steps(step, x, batch_size=16, verbose=0)
    with pytest.raises(TypeError, match="step must be callable"):
        training.fit_steps("step", x)
    with pytest.raises(TypeError, match="dict of scalar tensors"):
        training.fit_steps(lambda x: tf.reduce_mean(x), x, batch_size=4, verbose=0)
