"""Tests of dlkit.boxes: IoU, formats, grid encoding, NMS, segmentation metrics, shapes."""

from __future__ import annotations

import numpy as np
import pytest

from dlkit import boxes


def _raster(box, size=32):
    m = np.zeros((size, size), bool)
    x1, y1, x2, y2 = (int(v) for v in box)
    m[y1:y2, x1:x2] = True
    return m


def test_iou_known_values_and_edges():
    assert boxes.box_iou([1, 1, 5, 5], [3, 3, 7, 7]) == pytest.approx(4 / 28)
    assert boxes.box_iou([0, 0, 4, 4], [1, 1, 3, 3]) == pytest.approx(0.25)
    assert boxes.box_iou([0, 0, 2, 2], [2, 0, 4, 2]) == 0.0  # touching edges
    assert boxes.box_iou([0, 0, 2, 2], [5, 5, 6, 6]) == 0.0  # disjoint
    assert boxes.box_iou([3, 4, 9, 7], [3, 4, 9, 7]) == pytest.approx(1.0)


def test_iou_matches_pixel_counting_and_is_pairwise():
    rng = np.random.default_rng(0)
    corners = np.sort(rng.integers(0, 33, size=(50, 2, 2)), axis=1)
    corners[:, 1] += corners[:, 1] == corners[:, 0]
    b = np.stack([corners[:, 0, 0], corners[:, 0, 1], corners[:, 1, 0], corners[:, 1, 1]], 1)
    b = np.minimum(b, 32)
    b = b[(b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])]
    pairwise = boxes.box_iou(b[:, None], b[None])
    for i in range(len(b)):
        for j in range(len(b)):
            mi, mj = _raster(b[i]), _raster(b[j])
            assert pairwise[i, j] == pytest.approx((mi & mj).sum() / (mi | mj).sum())


def test_formats_round_trip_and_center_iou():
    b = np.array([[1.0, 2.0, 5.0, 10.0], [0.0, 0.0, 3.0, 3.0]])
    c = boxes.corners_to_center(b)
    np.testing.assert_allclose(c[0], [3, 6, 4, 8])
    np.testing.assert_allclose(boxes.center_to_corners(c), b)
    assert boxes.box_iou(c[0], c[1], fmt="center") == pytest.approx(boxes.box_iou(b[0], b[1]))
    np.testing.assert_array_equal(boxes.to_tf_order(boxes.to_tf_order(b)), b)
    with pytest.raises(ValueError):
        boxes.box_iou(b, b, fmt="xywh")


def test_grid_encoding_round_trip():
    b = np.array([[10.0, 20.0, 30.0, 28.0], [40.0, 40.0, 60.0, 62.0]])
    target = boxes.encode_grid(b, grid=8, size=64)
    assert target[..., 0].sum() == 2
    assert target[3, 2, 0] == 1  # centre (20, 24): column 2, row 3
    decoded, scores = boxes.decode_grid(target, size=64)
    np.testing.assert_allclose(decoded[np.argsort(decoded[:, 0])], b)
    np.testing.assert_array_equal(scores, [1.0, 1.0])


def test_nms_curriculum_example_and_tensorflow():
    b = np.array(
        [
            [10, 10, 50, 50],
            [12, 12, 52, 52],
            [60, 60, 100, 100],
            [14, 10, 54, 50],
            [62, 58, 98, 102],
        ],
        float,
    )
    s = np.array([0.9, 0.8, 0.75, 0.7, 0.6])
    assert boxes.nms(b, s, 0.5).tolist() == [0, 2]
    assert boxes.nms(b, s, 0.9).tolist() == [0, 1, 2, 3, 4]
    assert boxes.nms(b, s, 0.5, score_threshold=0.8).tolist() == [0]
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 80, size=(200, 2))
    wh = rng.uniform(5, 30, size=(200, 2))
    b = np.concatenate([xy, xy + wh], 1)
    s = rng.permutation(200) / 200.0
    ref = tf.image.non_max_suppression(boxes.to_tf_order(b), s, 200, iou_threshold=0.5)
    assert boxes.nms(b, s, 0.5).tolist() == ref.numpy().tolist()


def test_segmentation_metrics():
    t = np.zeros((8, 8), int)
    t[2:6, 2:6] = 1
    p = np.zeros((8, 8), int)
    p[3:7, 2:7] = 1
    assert boxes.pixel_accuracy(t, p) == pytest.approx(0.8125)
    iou = boxes.per_class_iou(t, p, 3)
    assert iou[1] == pytest.approx(0.5) and np.isnan(iou[2])
    assert boxes.dice(t, p) == pytest.approx(2 * 0.5 / 1.5)
    assert boxes.dice(np.zeros(4), np.zeros(4)) == 1.0


def test_synthetic_shapes_is_seeded_and_consistent():
    a = boxes.synthetic_shapes(20, size=32, max_side=10, seed=3)
    b = boxes.synthetic_shapes(20, size=32, max_side=10, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    images, bx, labels, masks = a
    assert images.shape == (20, 32, 32, 1) and masks.shape == (20, 32, 32)
    for i in range(20):
        assert len(bx[i]) == len(labels[i]) >= 1
        for box, label in zip(bx[i], labels[i], strict=True):
            x1, y1, x2, y2 = box.astype(int)
            inside = masks[i, y1:y2, x1:x2]
            assert np.all(np.isin(inside, [0, label])) and (inside == label).any()
            if label == 1:
                assert np.all(inside == 1)
        assert set(np.unique(masks[i])) <= {0, 1, 2}
