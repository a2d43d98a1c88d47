"""dlkit.text: character vocabulary, training windows and the compiled sampler."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import runtime, text

runtime.import_tensorflow_quietly()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402


def test_vocab_round_trip_and_sorted_ids():
    vocab = text.CharVocab("banana split")
    assert vocab.chars == sorted(set("banana split")) and len(vocab) == vocab.size == 9
    ids = vocab.encode("nab")
    assert ids.dtype == np.int32 and ids.tolist() == [vocab.chars.index(c) for c in "nab"]
    assert vocab.decode(vocab.encode("split banana")) == "split banana"
    assert vocab.decode(np.array([[1, 2]])) == vocab.chars[1] + vocab.chars[2]


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda v: text.CharVocab(""), "must not be empty"),
        (lambda v: text.CharVocab(["a"]), "text must be a str"),
        (lambda v: v.encode("abz"), "'z' is not in the vocabulary"),
        (lambda v: v.decode([0, 7]), "ids must lie in 0..2"),
    ],
)
def test_vocab_errors_name_the_problem(call, error):
    with pytest.raises((ValueError, TypeError), match=error):
        call(text.CharVocab("abc"))


def test_windows_targets_are_inputs_shifted_by_one():
    ids = np.arange(20)
    x, y = text.char_windows(ids, 5, stride=3)
    assert x.shape == y.shape == (5, 5) and x.dtype == np.int32
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x[:, 0], [0, 3, 6, 9, 12])
    assert y.max() <= 19
    x2, _ = text.char_windows(ids, 5, max_windows=2)
    assert x2.tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize(
    "args, kwargs, error",
    [
        ((np.arange(4), 4), {}, "at least seq_len"),
        ((np.arange(10), 0), {}, "seq_len must be"),
        ((np.arange(10), 3), {"stride": 0}, "stride must be"),
        ((np.zeros((2, 5), int), 3), {}, "1-D integer"),
        ((np.linspace(0, 1, 9), 3), {}, "1-D integer"),
    ],
)
def test_windows_reject_bad_arguments(args, kwargs, error):
    with pytest.raises(ValueError, match=error):
        text.char_windows(*args, **kwargs)


class NextId(keras.Model):
    """Predicts (last id + 1) mod V with confident logits."""

    def __init__(self, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size

    def call(self, ids, training=False):
        return 20.0 * tf.one_hot((ids + 1) % self.vocab_size, self.vocab_size)


class WindowLength(keras.Model):
    """Predicts the length of the window it is shown (capped to the vocabulary)."""

    def __init__(self, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size

    def call(self, ids, training=False):
        n = tf.minimum(tf.shape(ids)[1], self.vocab_size - 1)
        return 20.0 * tf.one_hot(tf.fill(tf.shape(ids), n), self.vocab_size)


def test_greedy_sampling_follows_the_model():
    vocab = text.CharVocab("abcdefgh")
    out = text.sample(NextId(vocab.size), vocab, "c", 10, temperature=0.0)
    assert out == "defghabcde"


def test_sampling_is_seeded_and_temperature_matters():
    vocab = text.CharVocab("abcdefgh")
    flat = NextId(vocab.size)
    hot = [text.sample(flat, vocab, "a", 200, temperature=100.0, seed=s) for s in (1, 1, 2)]
    assert hot[0] == hot[1] and hot[0] != hot[2]
    # very high temperature: close to uniform, every character appears
    assert set(hot[0]) == set(vocab.chars)
    cold = text.sample(flat, vocab, "a", 200, temperature=0.05, seed=1)
    assert cold == ("bcdefgha" * 25)
    # the compiled loop is built once per model, not once per call
    assert flat._dlkit_sampler.experimental_get_tracing_count() <= 2


def test_context_limits_what_the_model_sees():
    vocab = text.CharVocab("0123456789")
    model = WindowLength(vocab.size)
    assert text.sample(model, vocab, "0", 6, temperature=0) == "123456"
    assert text.sample(model, vocab, "0", 6, temperature=0, context=3) == "123333"


def test_sample_with_a_trained_keras_lstm_runs_and_returns_vocab_chars():
    vocab = text.CharVocab("ab ")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(3, 4),
            keras.layers.LSTM(8, return_sequences=True),
            keras.layers.Dense(3),
        ]
    )
    out = text.sample(model, vocab, "ab", 15, temperature=1.0, context=8)
    assert len(out) == 15 and set(out) <= set(vocab.chars)
    assert text.sample(model, vocab, "ab", 0) == ""


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"prompt": ""}, "prompt must be"),
        ({"prompt": "x"}, "'x' is not in the vocabulary"),
        ({"length": -1}, "length must be"),
        ({"temperature": -0.5}, "temperature must be"),
        ({"context": 0}, "context must be"),
    ],
)
def test_sample_rejects_bad_arguments(kwargs, error):
    vocab = text.CharVocab("abc")
    args = {"prompt": "a", "length": 3} | kwargs
    with pytest.raises(ValueError, match=error):
        text.sample(NextId(3), vocab, args.pop("prompt"), args.pop("length"), **args)
    with pytest.raises(TypeError, match="vocab must be a CharVocab"):
        text.sample(NextId(3), "abc", "a", 3)
