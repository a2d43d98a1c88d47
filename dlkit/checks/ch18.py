"""Public checks of chapter 18 (detection and segmentation), used by ``check("18.k", answer)``.

Exercises 18.1 to 18.14: box IoU, greedy NMS by hand, YOLO grid bookkeeping, anchor offsets,
transposed-convolution sizes, mask metrics, the all-background model, F1 as a harmonic mean,
U-Net parameter counts, focal loss, soft Dice loss, why detectors need NMS, and two functions
(pairwise IoU and NMS). Boxes are corners (x1, y1, x2, y2).

No reference value is written in this module: each check compares a *fingerprint* of the
answer (:func:`dlkit.exercises.fingerprint`) with the fingerprint of the reference answer.
Function answers are fingerprinted through their outputs on the public inputs below; the
teacher's hidden checks (``hidden_checks/ch18.py``, not shipped) call them on other inputs.
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
    expect_shape,
    register,
)

CHOICES = ("a", "b", "c", "d")

_A = np.array([[0.0, 0, 4, 4], [2, 2, 6, 6], [10, 0, 12, 3]])
_B = np.array([[1.0, 1, 5, 5], [4, 0, 8, 3], [20, 20, 24, 24]])
IOU_INPUTS = [(_A, _B), (_A[:1], _A)]
_BOXES = np.array(
    [[10, 10, 50, 50], [12, 12, 52, 52], [60, 60, 100, 100], [14, 10, 54, 50], [62, 58, 98, 101]],
    dtype=np.float64,
)
NMS_INPUTS = [
    (_BOXES, np.array([0.9, 0.8, 0.75, 0.7, 0.6]), 0.5),
    (_BOXES, np.array([0.6, 0.8, 0.75, 0.7, 0.9]), 0.5),
    (_BOXES, np.array([0.9, 0.8, 0.75, 0.7, 0.6]), 0.9),
]


def _numbers(digests: dict[str, str], decimals: dict[str, int] | None = None):
    decimals = decimals or {}
    return expect_dict(
        {key: expect_number(digest, decimals.get(key, 3)) for key, digest in digests.items()}
    )


register(
    Exercise(
        id="18.1",
        points=2,
        produce="a dict with keys 'a', 'b', 'c' (three IoU values)",
        hint="intersection = max(0, overlap in x) · max(0, overlap in y); divide by the union "
        "|A| + |B| - I, not by the area of one box",
        check=_numbers({"a": "c0b094e46005540b", "b": "b349b485c664c55b", "c": "19860ca65bab10e7"}),
    )
)

register(
    Exercise(
        id="18.2",
        points=2,
        produce="a dict with keys 'tau05' and 'tau09', each an array of the kept box indices "
        "(0-based, best score first)",
        hint="sort by score; keep the best, delete every remaining box whose IoU with it "
        "exceeds τ, repeat; a deleted box never suppresses anything",
        check=expect_dict(
            {
                "tau05": expect_array((2,), "f54c3cf99043ba11"),
                "tau09": expect_array((5,), "8f20c824ebffcdd5"),
            }
        ),
    )
)

register(
    Exercise(
        id="18.3",
        points=2,
        produce="a dict with keys 'shape' (a tuple), 'size', 'row', 'col', 'x_offset', "
        "'y_offset', 'anchors_single', 'anchors_fpn' (numbers; row and col 0-based)",
        hint="S·S·(5B + C) outputs; the cell size is 448/S; the row comes from y and the column "
        "from x; the offset is x/c - floor(x/c); anchors = cells × anchors per cell, summed "
        "over levels",
        check=expect_dict(
            {
                "shape": expect_shape("b2d4586aef1f79bf"),
                "size": expect_number("a558e4e0292de23c"),
                "row": expect_number("40a8063ffa22f77d"),
                "col": expect_number("98a0d8efb57eb053"),
                "x_offset": expect_number("4c9ffaae6312348b", decimals=4),
                "y_offset": expect_number("ef97dbae6f1369b1"),
                "anchors_single": expect_number("cb070c64cf3b9c0d"),
                "anchors_fpn": expect_number("598d7581203d2350"),
            }
        ),
    )
)

register(
    Exercise(
        id="18.4",
        points=2,
        produce="a dict with keys 't' (array of 4: t_x, t_y, t_w, t_h) and 'decoded' (array of "
        "4: centre x, centre y, width, height)",
        hint="centre offsets are divided by the anchor size; width and height use the natural "
        "log of the ratio, decoded with exp",
        check=expect_dict(
            {
                "t": expect_array((4,), "782b7370eeeecf80"),
                "decoded": expect_array((4,), "5fbd0b8631d82bab"),
            }
        ),
    )
)

register(
    Exercise(
        id="18.5",
        points=2,
        produce="a dict with keys 'k2_valid', 'k3_valid', 'k3_same', 'upsampling' (output widths) "
        "and 'overlap' (array of the 1-D output)",
        hint="valid: (n - 1)s + k; Keras same: n·s; every input value scatters a scaled copy of "
        "the kernel and overlapping copies add",
        check=expect_dict(
            {
                "k2_valid": expect_number("1e412f1c66f84d54"),
                "k3_valid": expect_number("2d6e678464ab8240"),
                "k3_same": expect_number("1e412f1c66f84d54"),
                "upsampling": expect_number("1e412f1c66f84d54"),
                "overlap": expect_array((5,), "181fe1f344d73cae"),
            }
        ),
    )
)

register(
    Exercise(
        id="18.6",
        points=2,
        produce="a dict with keys 'intersection', 'union', 'iou', 'dice', 'pixel_accuracy'",
        hint="count pixels of the two masks with NumPy; Dice = 2|P∩G|/(|P| + |G|) is not IoU; "
        "pixel accuracy counts agreeing pixels, background included",
        check=_numbers(
            {
                "intersection": "062820f391e82668",
                "union": "d89e69b512ccc5a1",
                "iou": "1516d73f5050f68a",
                "dice": "db98185509783801",
                "pixel_accuracy": "359565d30529b1ae",
            },
            {"pixel_accuracy": 4},
        ),
    )
)

register(
    Exercise(
        id="18.7",
        points=1,
        produce="a dict with keys 'pixel_accuracy', 'iou', 'dice' (for the object class)",
        hint="every background pixel is right, every object pixel is wrong; the object class "
        "is never predicted",
        check=_numbers(
            {
                "pixel_accuracy": "911280255af07b7d",
                "iou": "19860ca65bab10e7",
                "dice": "19860ca65bab10e7",
            },
            {"pixel_accuracy": 4},
        ),
    )
)

register(
    Exercise(
        id="18.8",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="write F1 = 2TP/(2TP + FP + FN) with P and R and simplify",
        check=expect_choice(CHOICES, "2e7d2c03a9507ae2"),
    )
)

register(
    Exercise(
        id="18.9",
        points=2,
        produce="a dict with keys 'transpose', 'conv1', 'conv2' (parameter counts)",
        hint="k_h·k_w·C_in·C_out + C_out for both layer kinds; the first conv sees the "
        "concatenation, so count its input channels",
        check=_numbers(
            {
                "transpose": "5cb6e839a05f5b6d",
                "conv1": "ec3bbf809ab12553",
                "conv2": "3f50284dde1b6430",
            }
        ),
    )
)

register(
    Exercise(
        id="18.10",
        points=2,
        produce="a dict with keys 'ce_easy', 'fl_easy', 'ce_hard', 'fl_hard'",
        hint="CE = -ln p_t; the focal factor is (1 - p_t)^γ, small for easy examples",
        check=_numbers(
            {
                "ce_easy": "1e8931a2bc22611a",
                "fl_easy": "b21d6a22fd48b8b8",
                "ce_hard": "80e1013bd569616f",
                "fl_hard": "1fd69808989a1880",
            },
            {"fl_easy": 5},
        ),
    )
)

register(
    Exercise(
        id="18.11",
        points=1,
        produce="a dict with keys 'eps0' and 'eps1' (the two loss values)",
        hint="1 - (2Σ p·y + ε)/(Σp + Σy + ε); ε appears in the numerator and the denominator",
        check=_numbers({"eps0": "8e94fff4449d75dc", "eps1": "c7faf338a1fbd503"}),
    )
)

register(
    Exercise(
        id="18.12",
        points=1,
        produce="one letter: 'a', 'b', 'c' or 'd'",
        hint="look at how many cells fire around one object before NMS in the lesson",
        check=expect_choice(CHOICES, "3e23e8160039594a"),
    )
)

register(
    Exercise(
        id="18.13",
        points=3,
        produce="a function iou_matrix(a, b) returning the (N, M) array of IoUs of corner boxes "
        "a (N, 4) and b (M, 4)",
        hint="broadcast a[:, None, :] against b[None, :, :]; clamp both overlaps at zero before "
        "multiplying (two negative overlaps would give a positive area)",
        check=expect_function(IOU_INPUTS, "29cf96a4019e2b1a"),
    )
)

register(
    Exercise(
        id="18.14",
        points=3,
        produce="a function nms(boxes, scores, iou_threshold) returning the kept indices, best "
        "score first",
        hint="visit boxes by decreasing score; remove a box when its IoU with a kept box is "
        "greater than the threshold",
        check=expect_function(NMS_INPUTS, "c53b7d3a73323969"),
    )
)
