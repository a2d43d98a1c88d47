"""Public checks of chapter 10 (attention and transformers).

Used by ``dlkit.exercises.check("10.k", answer)``. Exercises 1 to 5 compute attention by
hand (self-attention, sinusoidal encodings, a causal mask, two heads, cross-attention with and
without scaling); exercises 6 to 8 ask for functions (scaled dot-product attention, a causal
padding mask, ViT patches); exercises 9 to 15 are bookkeeping (ViT tokens, parameter counts
from a Keras layer to GPT-2 XL, attention memory, mask pairs, BERT's masking arithmetic);
exercises 16 to 18 are conceptual multiple-choice questions. Exercise ids are built from
their numbers by ``_exercise``.

No reference value is written in this module. Each check compares a *fingerprint* of the
answer, a short hash of its values rounded to a few decimals
(:func:`dlkit.exercises.fingerprint`), or of its normalised text for choices
(:func:`dlkit.exercises.text_fingerprint`), with the fingerprint of the reference answer,
computed once by the teacher and pasted here as a hex string. Function answers are
fingerprinted through their outputs on the public inputs below. The exact reference values
and stricter comparisons are the teacher's hidden checks (``hidden_checks/ch10.py``, not
shipped).
"""

from __future__ import annotations

from typing import Any

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

CHAPTER = "10"
CHOICES = ("a", "b", "c", "d")


def _exercise(number: int, **fields: Any) -> Exercise:
    """Register exercise ``CHAPTER.number`` (ids are built here, so no id text is spelled out)."""
    return register(Exercise(id=f"{CHAPTER}.{number}", **fields))


# Public inputs of the function exercises (the hidden checks use others).
_rng = np.random.default_rng(10)
ATTENTION_INPUTS = [
    (
        np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]]),  # q: (T=2, d_k=3)
        np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [2.0, 0.0, 0.0]]),  # k: (4, 3)
        np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]),  # v: (S=4, d_v=2)
        np.ones((2, 4), dtype=bool),  # mask: (T, S), nothing blocked
    ),
    (
        _rng.normal(size=(2, 4, 4)),  # q: (batch, T, d_k)
        _rng.normal(size=(2, 4, 4)),  # k
        _rng.normal(size=(2, 4, 2)),  # v
        np.tril(np.ones((4, 4), dtype=bool)),  # causal mask, broadcast over the batch
    ),
]
MASK_INPUTS = [([3, 5], 5), ([1], 3)]
PATCH_INPUTS = [
    (np.arange(1.0, 65.0).reshape(1, 8, 8, 1), 2),
    (np.arange(108.0).reshape(1, 6, 6, 3), 2),
]

_exercise(
    1,
    points=2,
    produce="a dict with keys 'scores', 'weights' and 'output', each a 2×2 array",
    hint="scores = Q K^T / sqrt(d_k) with d_k = 2; the softmax runs along each row (over "
    "the keys), so each row of the weights sums to 1; output = weights @ V",
    check=expect_dict(
        {
            "scores": expect_array((2, 2), "71a6b6177e45c971"),
            "weights": expect_array((2, 2), "aa048df24bc1f806"),
            "output": expect_array((2, 2), "2b8320e20327381f"),
        }
    ),
)

_exercise(
    2,
    points=2,
    produce="a dict with keys 'pe' (an array of shape (5, 4)), 'dot_offset_1' and "
    "'dot_offset_3' (numbers)",
    hint="PE[p, 2i] = sin(p / 10000^(2i/d)) and PE[p, 2i+1] = cos(...) with i = 0, 1 "
    "indexing dimension pairs; angles in radians; the dot products equal a sum of "
    "cos(k * omega_i) over the pairs",
    check=expect_dict(
        {
            "pe": expect_array((5, 4), "7294adca881c0971"),
            "dot_offset_1": expect_number("e1b8767cd80faeca"),
            "dot_offset_3": expect_number("0082b269120af80f"),
        }
    ),
)

_exercise(
    3,
    points=2,
    produce="a dict with keys 'weights' (a 3×3 array) and 'output' (a 3×4 array)",
    hint="Q = K = V = X; divide by sqrt(4); set the scores above the diagonal to -inf "
    "(or a large negative number) *before* the softmax, so each row still sums to 1",
    check=expect_dict(
        {
            "weights": expect_array((3, 3), "5702081a789236e1"),
            "output": expect_array((3, 4), "48d7d8fdb530a5f0"),
        }
    ),
)

_exercise(
    4,
    points=2,
    produce="a dict with keys 'head1_weights' (a 3×3 array) and 'output' (a 3×3 array)",
    hint="head 2 uses Q = K = V = 2 X, so its scores are 4 times those of head 1; "
    "concatenate the head outputs side by side (3×6) and multiply by W^O (6×3)",
    check=expect_dict(
        {
            "head1_weights": expect_array((3, 3), "f86f5dc914199108"),
            "output": expect_array((3, 3), "a0502ce81f891530"),
        }
    ),
)

_exercise(
    5,
    points=2,
    produce="a dict with keys 'scores', 'weights_unscaled', 'output_unscaled', "
    "'weights_scaled' and 'output_scaled', each a 3×4 array",
    hint="'scores' is the raw Q K^T (not divided); the scaled version divides it by "
    "sqrt(4) = 2 before the softmax; each weight row sums to 1 over the four keys",
    check=expect_dict(
        {
            "scores": expect_array((3, 4), "876478a86ba7440b"),
            "weights_unscaled": expect_array((3, 4), "49576389ba279140"),
            "output_unscaled": expect_array((3, 4), "b979700ee5c58ec6"),
            "weights_scaled": expect_array((3, 4), "013c07beaf6255f4"),
            "output_scaled": expect_array((3, 4), "ad30f6ec2812dcf6"),
        }
    ),
)

_exercise(
    6,
    points=3,
    produce="a function scaled_dot_product_attention(q, k, v, mask) that takes arrays "
    "q (..., T, d_k), k (..., S, d_k), v (..., S, d_v) and a boolean mask broadcastable "
    "to (..., T, S) (True = may attend) and returns the output, shape (..., T, d_v)",
    hint="divide by the square root of the *key* dimension d_k (the last axis of q), not "
    "of d_v; transpose only the last two axes of k (np.swapaxes) so batches work; blocked "
    "scores become -inf or -1e9 before the softmax over the last axis",
    check=expect_function(ATTENTION_INPUTS, "ee9b9eee29c27a80"),
)

_exercise(
    7,
    points=2,
    produce="a function causal_padding_mask(lengths, T) that takes a list of sequence "
    "lengths and the padded length T and returns a boolean array of shape "
    "(len(lengths), T, T), True where query i may attend to key j",
    hint="a key j is allowed when j <= i (causal, the diagonal included) and j < length "
    "(not padding); combine the two conditions with & and broadcasting",
    check=expect_function(MASK_INPUTS, "cf73d6a176129e63"),
)

_exercise(
    8,
    points=2,
    produce="a function patchify(images, p) that takes an array (B, H, W, C) and a patch "
    "size p and returns the patches, shape (B, (H/p)(W/p), p*p*C), tiles in raster order, "
    "each flattened in (row, column, channel) order",
    hint="reshape to (B, H/p, p, W/p, p, C), swap the two middle axes (transpose "
    "(0, 1, 3, 2, 4, 5)), then reshape; a plain reshape gives runs of pixels, not tiles; "
    "compare with keras.ops.image.extract_patches",
    check=expect_function(PATCH_INPUTS, "71bea57e52d639d3"),
)

_exercise(
    9,
    points=2,
    produce="a dict with keys 'n_patches', 'patch_length', 'first_embedding' (an array of "
    "shape (6,)), 'mnist_tokens', 'mnist_patch_length', 'imagenet_tokens' and "
    "'imagenet_patch_length' (numbers)",
    hint="N = H W / P^2 patches of P * P * C values; the embedding of a patch is the "
    "patch vector times W (not the patch itself); the token count includes the class "
    "token",
    check=expect_dict(
        {
            "n_patches": expect_number("6ac7f43f306b8256"),
            "patch_length": expect_number("062820f391e82668"),
            "first_embedding": expect_array((6,), "1c68fd368d5ed77f"),
            "mnist_tokens": expect_number("f34100288d31f84e"),
            "mnist_patch_length": expect_number("a97f6ee9a7ccec42"),
            "imagenet_tokens": expect_number("90e9522e765fa327"),
            "imagenet_patch_length": expect_number("a2bdb2d6d67ccc46"),
        }
    ),
)

_exercise(
    10,
    points=2,
    produce="a dict with keys 'h4_k16_d64', 'h4_k64_d64' and 'h8_k64_d512', each an integer",
    hint="query, key and value kernels are (d, H, key_dim) with biases (H, key_dim); the "
    "output kernel is (H, key_dim, d) with a bias (d,); build the layers and call "
    "count_params() to confirm",
    check=expect_dict(
        {
            "h4_k16_d64": expect_number("cfce6a301a1d9a77", decimals=1),
            "h4_k64_d64": expect_number("8834f0b0cf143153", decimals=1),
            "h8_k64_d512": expect_number("4d2b515607011c6f", decimals=1),
        }
    ),
)

_exercise(
    11,
    points=2,
    produce="a dict with keys 'attention', 'norms', 'ffn_up', 'ffn_down' and 'total', "
    "each an integer",
    hint="each LayerNormalization has a gamma and a beta of width d; each Dense layer has "
    "a kernel and a bias; dlkit.transformer.TransformerBlock(4, 16, 128) confirms the total",
    check=expect_dict(
        {
            "attention": expect_number("73352abd86265cae"),
            "norms": expect_number("6bb309ebc9edea0c"),
            "ffn_up": expect_number("20d2744c3f6c7396"),
            "ffn_down": expect_number("c83622ce8e07e61e"),
            "total": expect_number("dc9fe7409afb41a4"),
        }
    ),
)

_exercise(
    12,
    points=2,
    produce="a dict with keys 'total_millions' and 'rule_of_thumb_millions' (parameter "
    "counts divided by one million, not rounded) and 'embedding_share' (a number between 0 "
    "and 1)",
    hint="per block 12 d^2 + 13 d with d_ff = 4 d (biases and two layer norms included); "
    "add token and position tables and the final layer norm; a tied output layer adds "
    "nothing",
    check=expect_dict(
        {
            "total_millions": expect_number("cd78c470013388fc"),
            "rule_of_thumb_millions": expect_number("8cf6a12d6cb1aae9"),
            "embedding_share": expect_number("c3c3aeae472dfd53", decimals=4),
        }
    ),
)

_exercise(
    13,
    points=1,
    produce="a dict with keys 'bytes', 'mib' and 'factor', each a number",
    hint="one weight per (example, head, query, key), 4 bytes each; 1 MiB = 2^20 bytes; "
    "the weight matrix is T x T",
    check=expect_dict(
        {
            "bytes": expect_number("fd6bd338194664de", decimals=0),
            "mib": expect_number("896ccd5c0777bb8b"),
            "factor": expect_number("98a0d8efb57eb053"),
        }
    ),
)

_exercise(
    14,
    points=1,
    produce="a dict with keys 'causal_5', 'strict_5' and 'causal_64', each an integer",
    hint="count the True entries of np.tril(np.ones((T, T))) with and without the diagonal",
    check=expect_dict(
        {
            "causal_5": expect_number("d52d0e9aeaa67205"),
            "strict_5": expect_number("0cf72a5e505acf5b"),
            "causal_64": expect_number("36ac80aec00bc30e"),
        }
    ),
)

_exercise(
    15,
    points=1,
    produce="a dict with keys 'selected', 'mask_token', 'random_token' and 'unchanged', "
    "each a number (an expected count, not rounded)",
    hint="15 % of the positions are selected; the 80 / 10 / 10 split applies to the "
    "selected positions only",
    check=expect_dict(
        {
            "selected": expect_number("c716eac21c035d04"),
            "mask_token": expect_number("3c879166923cbc58"),
            "random_token": expect_number("60c42de761f63ff2"),
            "unchanged": expect_number("60c42de761f63ff2"),
        }
    ),
)

_exercise(
    16,
    points=1,
    produce="one letter: 'a', 'b', 'c' or 'd'",
    hint="measure the variance of q . k for random unit-variance vectors as d_k grows, and "
    "what the softmax of such logits looks like",
    check=expect_choice(CHOICES, "3e23e8160039594a"),
)

_exercise(
    17,
    points=1,
    produce="one letter: 'a', 'b', 'c' or 'd'",
    hint="what is position t's training target, and can position t see it without a "
    "causal mask? what is there to read at generation time?",
    check=expect_choice(CHOICES, "3e23e8160039594a"),
)

_exercise(
    18,
    points=1,
    produce="one letter: 'a', 'b', 'c' or 'd'",
    hint="compare each candidate with MultiHeadAttention(..., use_causal_mask=True) on "
    "the same input",
    check=expect_choice(CHOICES, "3e23e8160039594a"),
)
