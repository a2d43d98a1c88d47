"""dlkit.plotting: each function draws on the given axes and returns it."""

from __future__ import annotations

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlkit import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_learning_curves_from_history_object():
    history = keras.callbacks.History()
    history.history = {
        "loss": [1.0, 0.5, 0.25],
        "val_loss": [1.1, 0.7, 0.6],
        "accuracy": [0.1, 0.5, 0.9],
    }
    _, ax = plt.subplots()
    assert plotting.learning_curves(history, ["loss"], ax=ax) is ax
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["train loss", "validation loss"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), [1.1, 0.7, 0.6])
    assert ax.get_xlabel() == "epoch"


def test_learning_curves_default_metrics_and_errors():
    ax = plotting.learning_curves({"loss": [3, 2], "accuracy": [0.2, 0.4]})
    assert len(ax.get_lines()) == 2
    with pytest.raises(ValueError, match="not in the history"):
        plotting.learning_curves({"loss": [1]}, ["accuracy"])
    with pytest.raises(ValueError, match="non-empty"):
        plotting.learning_curves({})


def test_image_grid_tiles_images_with_labels():
    images = np.random.default_rng(0).random((12, 8, 8))
    ax = plotting.image_grid(images, labels=list(range(12)), ncols=5)
    mosaic = ax.images[0].get_array()
    assert mosaic.shape[1] == 5 * (8 + 2)
    assert len(ax.texts) == 12
    # the first tile holds the first image unchanged
    finite = np.asarray(mosaic)
    assert np.isclose(np.nanmax(finite), images.max())


def test_image_grid_rejects_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        plotting.image_grid(np.zeros((4, 8)))
    with pytest.raises(ValueError, match="labels"):
        plotting.image_grid(np.zeros((4, 8, 8)), labels=[1, 2])


def test_confusion_matrix_counts():
    y_true = [0, 0, 1, 1, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 0]
    ax = plotting.confusion_matrix(y_true, y_pred)
    matrix = np.asarray(ax.images[0].get_array())
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    assert "0.667" in ax.get_title()
    ax = plotting.confusion_matrix(y_true, y_pred, normalize=True)
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()).sum(axis=1), 1.0)


def test_confusion_matrix_rejects_mismatch():
    with pytest.raises(ValueError, match="differ in length"):
        plotting.confusion_matrix([0, 1], [0])


def test_attention_map_draws_the_matrix_with_labels():
    weights = np.array([[1.0, 0.0, 0.0], [0.3, 0.7, 0.0], [0.2, 0.3, 0.5]])
    _, ax = plt.subplots()
    assert plotting.attention_map(weights, query_labels="abc", key_labels="xyz", ax=ax) is ax
    np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), weights)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert "key" in ax.get_xlabel() and "query" in ax.get_ylabel()
    assert ax.get_title() == "Attention weights"


def test_attention_map_accepts_tensors_and_a_title():
    scores = keras.ops.softmax(keras.random.normal((1, 2, 4, 5), seed=0), axis=-1)
    ax = plotting.attention_map(scores[0, 1], title="head 1")
    assert np.asarray(ax.images[0].get_array()).shape == (4, 5)
    assert ax.get_title() == "head 1"


def test_attention_map_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        plotting.attention_map(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="2-D"):
        plotting.attention_map(np.zeros(4))
    with pytest.raises(ValueError, match="empty"):
        plotting.attention_map(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="key_labels"):
        plotting.attention_map(np.eye(3), key_labels=["a", "b"])
    with pytest.raises(ValueError, match="query_labels"):
        plotting.attention_map(np.eye(3), query_labels=["a"])
