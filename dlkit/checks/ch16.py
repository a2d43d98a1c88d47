"""Public checks of chapter 16 (performance and scale).

Used by ``dlkit.exercises.check("16.k", answer)``. Exercises 16.1 to 16.10 and 16.12 are
numeric (float16 range and loss scaling, training-state memory, batch arithmetic, the
replica-loss and accumulation mistakes, step-time and input-pipeline models, Amdahl's law,
costs of architecture patterns); 16.11 and 16.16 ask for functions (min-max quantisation,
a dynamic loss-scale schedule); 16.13 and 16.14 are multiple choice; 16.15 counts traces.

No reference value is written here: each check compares a fingerprint of the answer
(:func:`dlkit.exercises.fingerprint`) with the teacher's, pasted as a hex string. The exact
values and stricter checks are in the teacher's hidden checks (``hidden_checks/ch16.py``).
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
QUANTIZE_INPUTS = [
    (np.array([-1.0, -0.5, 0.0, 0.25, 1.0]), 8),
    (np.array([0.0, 0.3, 0.7, 1.0]), 2),
]
SCHEDULE_INPUTS = [
    ([True, True, True, False, True, True], 32768.0, 2),
    ([False, True, True, True], 4.0, 3),
]


def _numbers(**digests: str):
    return expect_dict({key: expect_number(digest) for key, digest in digests.items()})


register(
    Exercise(
        id="16.1",
        points=2,
        produce="a dict with 'plain' and 'unscaled', each an array of shape (3,): the value "
        "after the round trip divided by the original gradient",
        hint="np.float16(g); for the scaled path multiply by 2**15 in float32, cast to float16, "
        "cast back to float32 and divide by 2**15",
        check=expect_dict(
            {
                "plain": expect_array((3,), "2da0e89a6b2561eb"),
                "unscaled": expect_array((3,), "610d5aa4373c0ed3"),
            }
        ),
    )
)

register(
    Exercise(
        id="16.2",
        points=1,
        produce="a dict with 'threshold' (smallest true gradient magnitude that overflows) and "
        "'scale_after' (the loss scale after that step)",
        hint="the scaled gradient must stay below float16's maximum; dynamic scaling halves",
        check=_numbers(threshold="ee5f838fa1a0c508", scale_after="7289c83293f89ff5"),
    )
)

register(
    Exercise(
        id="16.3",
        points=2,
        produce="a dict with 'log2_smallest_subnormal', 'log2_smallest_normal', 'max', "
        "'log2_epsilon' and 'rounded_sum' (computed in float16)",
        hint="float16 has 5 exponent bits (bias 15) and 10 fraction bits; np.finfo(np.float16)",
        check=_numbers(
            log2_smallest_subnormal="c989dddce68834cc",
            log2_smallest_normal="51032eaa4d5d736d",
            max="1bf8b883bbdc5c12",
            log2_epsilon="35560e3d5684e42e",
            rounded_sum="959c862f99a2b324",
        ),
    )
)

register(
    Exercise(
        id="16.4",
        points=1,
        produce="a dict with 'weights_and_moments_mib' (MiB, 2**20 bytes) and "
        "'with_gradients_mb' (MB, 10**6 bytes)",
        hint="4 bytes per float32 number; Adam keeps two moments per parameter",
        check=_numbers(
            weights_and_moments_mib="6f15b61a9635b547", with_gradients_mb="5eeb16287d638f9f"
        ),
    )
)

register(
    Exercise(
        id="16.5",
        points=1,
        produce="a dict with 'effective_batch', 'batches' and 'last_batch'",
        hint="effective batch = accumulation steps x replicas x per-replica batch; "
        "Keras keeps the last partial batch",
        check=_numbers(
            effective_batch="6bb309ebc9edea0c",
            batches="f443834c6518271b",
            last_batch="4f871da1260d5eaf",
        ),
    )
)

register(
    Exercise(
        id="16.6",
        points=2,
        produce="a dict with 'per_replica_mean_ratio' and 'global_batch_ratio' (each a ratio "
        "to the true mean loss, computed from the losses given)",
        hint="the all-reduce sums what the replicas return",
        check=_numbers(
            per_replica_mean_ratio="5ac91d6d0ab76470", global_batch_ratio="40a8063ffa22f77d"
        ),
    )
)

register(
    Exercise(
        id="16.7",
        points=2,
        produce="a dict with 'max_difference' (mean of micro-gradients vs full-batch gradient) "
        "and 'sum_ratio' (summed micro-gradients / full-batch gradient, one component)",
        hint="the MSE gradient of w for a batch is 2 X^T (Xw + b - y) / n",
        check=_numbers(max_difference="19860ca65bab10e7", sum_ratio="98a0d8efb57eb053"),
    )
)

register(
    Exercise(
        id="16.8",
        points=2,
        produce="a dict with 'time_1' and 'time_32' (seconds) and 'speedup'",
        hint="T(N) = N t_c + ceil(N / k) t_o",
        check=_numbers(
            time_1="36ab4e5437f1080f", time_32="a2abe0f6b2ef3f62", speedup="898dd4ed3eb20219"
        ),
    )
)

register(
    Exercise(
        id="16.9",
        points=2,
        produce="a dict with 'sequential' and 'prefetched' (seconds) and 'speedup'",
        hint="with prefetching the first batch still has to be loaded before the first step",
        check=_numbers(
            sequential="4f871da1260d5eaf", prefetched="bdb9b50ae929082f", speedup="19ddb02c563719b2"
        ),
    )
)

register(
    Exercise(
        id="16.10",
        points=1,
        produce="a dict with 'amdahl_speedup' and 'learning_rate'",
        hint="S = 1 / ((1 - f) + f / p); linear scaling multiplies the rate by B'/B",
        check=_numbers(amdahl_speedup="2cf97ec59d35ac98", learning_rate="f3fc4eb2bbeabb17"),
    )
)

register(
    Exercise(
        id="16.11",
        points=3,
        produce="a function answer_16_11(w, bits) returning the dequantised values (a NumPy "
        "array shaped like w)",
        hint="codes = round((w - min) / (max - min) * (2**bits - 1)); np.round rounds half to even",
        check=expect_function(QUANTIZE_INPUTS, "9d59637d595b6b30"),
    )
)

# Weight counts are fingerprinted to whole units: a relative 1e-9 float error must pass.
register(
    Exercise(
        id="16.12",
        points=3,
        produce="a dict with 'bottleneck_weights', 'conv_weights', 'bottleneck_mmacs', "
        "'conv_mmacs', 'separable_weights', 'standard_weights', 'five_by_five_weights', "
        "'two_3x3_weights' and 'receptive_field'",
        hint="a bias-free k x k conv has k*k*C_in*C_out weights and H*W times as many MACs",
        check=expect_dict(
            {
                "bottleneck_weights": expect_number("3f320217622399bb", decimals=0),
                "conv_weights": expect_number("4e7bdac231b08eb3", decimals=0),
                "separable_weights": expect_number("430b72e0343d1e3d", decimals=0),
                "standard_weights": expect_number("6717f8dda6ae874f", decimals=0),
                "five_by_five_weights": expect_number("24eb31746ee2a197", decimals=0),
                "two_3x3_weights": expect_number("5d6bee98267d2f6d", decimals=0),
                "bottleneck_mmacs": expect_number("161c75082c22b67a"),
                "conv_mmacs": expect_number("aa7056e87ef0f95b"),
                "receptive_field": expect_number("17cf9e7b388f942b"),
            }
        ),
    )
)

register(
    Exercise(
        id="16.13",
        points=1,
        produce='one of "a", "b", "c", "d"',
        hint="validation_split takes samples from one end of the arrays, before any shuffling",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="16.14",
        points=1,
        produce='one of "a", "b", "c", "d"',
        hint="what does a Python number contribute to a tf.function's signature?",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="16.15",
        points=2,
        produce="a dict with 'traces' (the function's tracing count) and 'graph_calls' (how "
        "many times the tf.function was called)",
        hint="f.experimental_get_tracing_count(); a Python bool is part of the signature",
        check=_numbers(traces="98a0d8efb57eb053", graph_calls="8c6191392f0539b4"),
    )
)

register(
    Exercise(
        id="16.16",
        points=3,
        produce="a function answer_16_16(finite, initial_scale, growth_interval) returning "
        "the loss scale after each step (a NumPy array, one value per step)",
        hint="non-finite: halve and reset the counter; finite: count, and double when the "
        "count reaches growth_interval",
        check=expect_function(SCHEDULE_INPUTS, "83aa6b46378f4bb2"),
    )
)
