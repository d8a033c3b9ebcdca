"""The digit finder's ink mask (edge.segment.ink_mask), moved out of edge.segment.digits."""

from __future__ import annotations

import numpy as np

from edge.segment.ink_mask import ink_mask

LEVEL = 20


def test_the_ink_mask_is_cropped_to_its_box() -> None:
    dark = np.zeros((50, 60), np.uint8)
    level = np.full_like(dark, LEVEL)
    dark[20:30, 15:18] = 2 * LEVEL
    dark[40:42, 5:7] = 2 * LEVEL  # outside the region
    mask, origin = ink_mask(dark, level, (10, 5, 60, 50))
    assert mask is not None and origin == (15, 20) and mask.shape == (10, 3) and (mask == 255).all()
    assert ink_mask(dark, level, (10, 5, 60, 50), floor=2 * LEVEL) == (None, (10, 5))  # (over the floor only)
    assert ink_mask(dark, level, (10, 5, 60, 50), floor=2 * LEVEL - 1)[0] is not None
    within = np.zeros_like(dark)
    within[25:, :] = 255  # the lower half of the stroke only
    mask, origin = ink_mask(dark, level, (0, 0, 60, 50), within=within)
    assert mask is not None and origin == (5, 25) and mask.shape == (17, 13)
    assert mask[:5, 10:].all() and not mask[:5, :10].any()
