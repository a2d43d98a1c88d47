"""Public checks of chapter 04 (optimizers), used by ``dlkit.exercises.check("04.k", answer)``.

The exercises follow the curriculum's exercise list (some with other numbers than the lesson,
so that the lesson's printed values are not the answers): stability limits (04.1, 04.2), single
optimizer steps (04.3), Adam's epsilon and bias correction (04.4, 04.5), an Adam step to write
(04.6), L2 penalty versus weight decay (04.7, 04.8, 04.9), Adam's step size (04.10),
schedules and step counting (04.11, 04.12), a warm-up cosine schedule to write (04.13) and
gradient clipping (04.14).

No reference value is written in this module. Each check compares a *fingerprint* of the
answer (:func:`dlkit.exercises.fingerprint`, a hash of the values rounded to a few decimals),
or of the normalised text of a choice, with the fingerprint of the reference answer. Function
answers are fingerprinted through their outputs on a few public inputs. The exact reference
values and stricter comparisons are the teacher's hidden checks (``hidden_checks/ch04.py``).
"""

from __future__ import annotations

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

register(
    Exercise(
        id="04.1",
        points=2,
        produce="a dict with keys 'max_lr' (the supremum of the stable learning rates), "
        "'factor' (the contraction factor per step) and 'steps' (an integer), all numbers",
        hint="one GD step multiplies θ by 1 - ηλ; it shrinks while |1 - ηλ| < 1, which allows "
        "overshooting to the other side; the number of steps is the smallest n with "
        "factor**n <= 1e-6",
        check=expect_dict(
            {
                "max_lr": expect_number("c35b532e93e26e89", decimals=4),
                "factor": expect_number("594e385f378126a6"),
                "steps": expect_number("2967c9151cf22aec", decimals=0),
            }
        ),
    )
)

register(
    Exercise(
        id="04.2",
        points=3,
        produce="a dict with keys 'amplification' (2 numbers), 'heavy_ball_max_lr', "
        "'nesterov_max_lr', 'heavy_ball_radius' and 'nesterov_radius' (numbers)",
        hint="with a constant gradient the velocity settles where v = μv - ηg; for the limits "
        "and radii build the 2×2 iteration matrix of each method on the state (θ, v) and take "
        "the largest |eigenvalue| (np.linalg.eigvals); Nesterov's matrix is not the heavy "
        "ball's",
        check=expect_dict(
            {
                "amplification": expect_array((2,), "6761b356d319b6b3", decimals=2),
                "heavy_ball_max_lr": expect_number("e7b4ea702d9a884e", decimals=4),
                "nesterov_max_lr": expect_number("a913d3cfcb057d75", decimals=4),
                "heavy_ball_radius": expect_number("866950b2740f1d30"),
                "nesterov_radius": expect_number("b1678952d17cfd57"),
            }
        ),
    )
)

register(
    Exercise(
        id="04.3",
        points=3,
        produce="a dict with keys 'sgd', 'sgd_second', 'momentum_first', 'momentum_second', "
        "'nesterov', 'adagrad', 'adagrad_textbook', 'rmsprop', 'adam', each the value of θ "
        "(a number)",
        hint="run each keras.optimizers optimizer on a keras.Variable(1.0) with "
        "apply_gradients, recomputing the gradient 2θ before each step; Keras's Adagrad "
        "starts its accumulator at initial_accumulator_value, not at 0",
        check=expect_dict(
            {
                "sgd": expect_number("411aec2285746103", decimals=4),
                "sgd_second": expect_number("622edf47065865f2", decimals=4),
                "momentum_first": expect_number("411aec2285746103", decimals=4),
                "momentum_second": expect_number("853d9fe0972e99de", decimals=4),
                "nesterov": expect_number("a8f1787ddd00c717", decimals=4),
                "adagrad": expect_number("05d09576b121ad62", decimals=4),
                "adagrad_textbook": expect_number("c2632b8eff58191a", decimals=4),
                "rmsprop": expect_number("84e6a553939afab3", decimals=4),
                "adam": expect_number("c2632b8eff58191a", decimals=4),
            }
        ),
    )
)

register(
    Exercise(
        id="04.4",
        points=2,
        produce="a dict with keys 'keras' and 'paper', each an array of 3 numbers "
        "(|first step| / η for the three gradients)",
        hint="at t = 1 the bias-corrected moments are m̂ = g and v̂ = g²; Keras adds ε to √v "
        "before the bias correction, which acts like ε / √(1 - β₂) after it",
        check=expect_dict(
            {
                "keras": expect_array((3,), "2cce0ad2d8315c7d"),
                "paper": expect_array((3,), "d801a4ff18db7dd5"),
            }
        ),
    )
)

register(
    Exercise(
        id="04.5",
        points=1,
        produce="a dict with keys 'first' and 'second', each an array of 3 numbers (the "
        "multipliers at t = 1, 10, 100)",
        hint="m̂ = m / (1 - β₁ᵗ): the multiplier is the reciprocal 1 / (1 - βᵗ), large at the "
        "start and tending to 1",
        check=expect_dict(
            {
                "first": expect_array((3,), "6e8ee2f59a9472f5"),
                "second": expect_array((3,), "305a3102ba3c6b37"),
            }
        ),
    )
)

register(
    Exercise(
        id="04.6",
        points=3,
        produce="a function adam_step(theta, m, v, g, t, lr) that takes numbers and returns "
        "the tuple (new theta, new m, new v)",
        hint="update m and v first, then step with lr·√(1 - β₂ᵗ)/(1 - β₁ᵗ) · m / (√v + ε): "
        "Keras adds ε before the bias correction, so tiny gradients give smaller steps than in "
        "the paper's form",
        check=expect_function(
            [
                (1.0, 0.0, 0.0, 2.0, 1, 0.1),
                (0.5, 0.1, 0.013, -0.3, 5, 0.01),
                (0.0, 0.0, 0.0, 1e-6, 1, 0.01),
            ],
            "eb4e860a98feb2a4",
            decimals=4,
        ),
    )
)

register(
    Exercise(
        id="04.7",
        points=3,
        produce="a dict with keys 'adam_l2' and 'adamw', each an array of 3 numbers (θ after "
        "the last step, one per λ)",
        hint="feed AdamW an explicit zero gradient (tf.zeros_like(theta)): with a None "
        "gradient Keras skips the variable, weight decay included; Adam with the penalty sees "
        "the gradient λθ",
        check=expect_dict(
            {
                "adam_l2": expect_array((3,), "f9f7cc243932bda1"),
                "adamw": expect_array((3,), "95ec30da6a11f84c"),
            }
        ),
    )
)

register(
    Exercise(
        id="04.8",
        points=2,
        produce="a dict with keys 'l2_over_lambda' and 'torch_over_lambda' (numbers) and "
        "'same_with_momentum' ('yes' or 'no')",
        hint="write out one SGD step for each: decoupled decay subtracts ηλθ, the penalty "
        "c·Σθ² has gradient 2cθ, PyTorch adds w·θ to the gradient; with momentum the penalty "
        "passes through the velocity",
        check=expect_dict(
            {
                "l2_over_lambda": expect_number("1516d73f5050f68a"),
                "torch_over_lambda": expect_number("40a8063ffa22f77d"),
                "same_with_momentum": expect_choice(("yes", "no"), "9390298f3fb0c5b1"),
            }
        ),
    )
)

register(
    Exercise(
        id="04.9",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="PyTorch's Adam adds weight_decay·θ to the gradient before the moment estimates "
        "(an L2 penalty); in Keras 3 the weight_decay argument of every optimizer is decoupled",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="04.10",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="run the Adam rule for a few hundred steps on a constant, an alternating and a "
        "tiny gradient and look at |Δθ| / η",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="04.11",
        points=2,
        produce="a dict with keys 'cosine' (an array of 5 numbers), 'cosine_alpha', "
        "'exponential' and 'staircase' (numbers)",
        hint="evaluate the keras.optimizers.schedules objects at the steps (schedule(step)); "
        "cosine decay decays once and then stays at its final value; alpha is a fraction of "
        "the initial rate",
        check=expect_dict(
            {
                "cosine": expect_array((5,), "735fe4763384f1bf", decimals=4),
                "cosine_alpha": expect_number("d6b85c547850d375", decimals=4),
                "exponential": expect_number("64ca2af1e76f2882", decimals=4),
                "staircase": expect_number("af4392ced9eb7f04", decimals=4),
            }
        ),
    )
)

register(
    Exercise(
        id="04.12",
        points=2,
        produce="a dict with keys 'lr_epoch_25' (a number) and 'steps_per_epoch', "
        "'decay_steps', 'steps_per_epoch_all' (integers)",
        hint="epochs are counted from 0, so epoch 25 has seen two drops; Keras schedules count "
        "optimizer steps (batches), and the last, partial batch of an epoch is a step too",
        check=expect_dict(
            {
                "lr_epoch_25": expect_number("4ca5b5a32c5a5feb", decimals=4),
                "steps_per_epoch": expect_number("3741ebd2e26cd122", decimals=0),
                "decay_steps": expect_number("707cce5e83561b68", decimals=0),
                "steps_per_epoch_all": expect_number("a429b29c9d71a1ef", decimals=0),
            }
        ),
    )
)

register(
    Exercise(
        id="04.13",
        points=3,
        produce="a function warmup_cosine(step, peak_lr, warmup_steps, decay_steps) that "
        "returns the learning rate at that step (a number)",
        hint="during the warm-up the rate rises linearly from 0; the cosine's clock starts "
        "when the warm-up ends and stops after decay_steps more steps; compare with "
        "keras.optimizers.schedules.CosineDecay(0.0, decay_steps, warmup_target=peak_lr, "
        "warmup_steps=warmup_steps)",
        check=expect_function(
            [
                (0, 0.1, 100, 1000),
                (30, 0.1, 100, 1000),
                (600, 0.1, 100, 1000),
                (1500, 0.1, 100, 1000),
            ],
            "440f7a0fbd16902e",
            decimals=4,
        ),
    )
)

register(
    Exercise(
        id="04.14",
        points=2,
        produce="a dict with keys 'clipnorm', 'global_clipnorm' and 'clipvalue', each an array "
        "of 3 numbers (the clipped g1 followed by the clipped g2)",
        hint="apply SGD(learning_rate=1.0, clipnorm=...) etc. to two zero-initialised "
        "variables: the new weights are minus the clipped gradients; the global norm is "
        "√(‖g1‖² + ‖g2‖²)",
        check=expect_dict(
            {
                "clipnorm": expect_array((3,), "a66054f8a33d14a6"),
                "global_clipnorm": expect_array((3,), "966e02818663d76d"),
                "clipvalue": expect_array((3,), "75c5100065cdf80a"),
            }
        ),
    )
)
