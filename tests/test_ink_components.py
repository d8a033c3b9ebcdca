""":class:`edge.segment.ink_components.Components` built from contours already found (the top
level of the full path's ``RETR_TREE`` search) and with its areas counted lazily gives exactly
what a fresh ``RETR_EXTERNAL`` search gives."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from edge.segment.ink_components import Components


def _noisy_mask(seed: int, shape: tuple[int, int] = (90, 70)) -> np.ndarray:
    """Specks, a ring with a speck in its hole, a line across and ink on the border."""
    rng = np.random.default_rng(seed)
    mask = np.where(rng.random(shape) > 0.93, 255, 0).astype(np.uint8)
    cv2.circle(mask, (35, 45), 15, 255, 3)
    mask[44:47, 34:37] = 255
    cv2.line(mask, (0, 20), (shape[1] - 1, 22), 255, 1)
    mask[60:80, 0:3] = 255
    return mask


def _tree_outer(mask: np.ndarray) -> tuple[list[np.ndarray], list[Sequence[int]]]:
    cs, hier = cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    outer = [cs[j] for j in range(len(cs)) if hier[0, j, 3] < 0]
    return outer, [cv2.boundingRect(c) for c in outer]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("min_box_area", "max_count"), [(0.0, 128), (4.0, 128), (0.0, 20)])
def test_components_from_tree_contours_equal_a_fresh_search(
    seed: int, min_box_area: float, max_count: int
) -> None:
    mask = _noisy_mask(seed)
    fresh = Components(mask, min_box_area, max_count)
    assert fresh.count > max_count or max_count == 128  # the cap is exercised at 20
    contours, rects = _tree_outer(mask)
    given = Components(mask, min_box_area, max_count, contours=contours, rects=rects)
    assert given.count == fresh.count
    assert len(given) == len(fresh) > 0
    for a, b in zip(given.contours, fresh.contours, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(given.box, fresh.box)
    np.testing.assert_array_equal(given.contact, fresh.contact)
    assert given.contact.max() > 0
    # areas: the ink in each box, all of them or only the asked ones
    x0, y0, x1, y1 = fresh.box.astype(int).T
    expected = np.array([np.count_nonzero(mask[b:d, a:c]) for a, b, c, d in zip(x0, y0, x1, y1, strict=True)])
    which = np.arange(len(given)) % 3 == 0
    np.testing.assert_array_equal(given.area_where(which), np.where(which, expected, 0))
    np.testing.assert_array_equal(given.area, expected)
    np.testing.assert_array_equal(fresh.area, expected)
    np.testing.assert_array_equal(fresh.area_where(which), np.where(which, expected, 0))
