""":class:`edge.segment.ink_components.Components` built from contours already found (the top
level of the full path's ``RETR_TREE`` search) and with its areas counted lazily gives exactly
what a fresh ``RETR_EXTERNAL`` search gives; the line search skipped by the thin ink's span
erases what the search would."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import pytest

import edge.segment.ink_components as ink_components
from edge.segment.ink_components import Components, longest_span, remove_lines


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


def _ruled_mask(seed: int) -> tuple[np.ndarray, int, int]:
    """A crop's mask with a digit, specks, a shadow blob and maybe ruled lines (flat or tilted,
    whole or broken), and the line lengths to erase."""
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(40, 140)), int(rng.integers(40, 140))
    mask = np.where(rng.random((h, w)) > rng.choice([0.97, 0.998]), 255, 0).astype(np.uint8)
    cv2.ellipse(mask, (w // 2, h // 2), (w // 6, h // 4), 0, 0, 360, 255, int(rng.integers(1, 4)))
    if rng.random() < 0.5:  # a shadow: thick, ragged
        cv2.circle(
            mask, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(5, 30)), 255, -1
        )
    for _ in range(int(rng.integers(0, 3))):
        y0, y1 = int(rng.integers(0, h)), int(rng.integers(0, h))
        x0, x1 = int(rng.integers(0, w // 3)), int(rng.integers(2 * w // 3, w))
        if rng.random() < 0.5:
            cv2.line(mask, (x0, y0), (x1, y0 + (y1 - y0) // 4), 255, 1)
        else:
            cv2.line(mask, (y0 * w // h, x0 * h // w), (y0 * w // h + 3, x1 * h // w), 255, 1)
        if rng.random() < 0.5:  # broken
            mask[:, int(rng.integers(0, w)) : int(rng.integers(0, w)) + 6] = 0
    return mask, int(rng.choice([0.5, 0.85]) * w), int(rng.choice([0.5, 0.85]) * h)


def test_lines_skipped_by_their_span_are_none_the_search_would_erase(monkeypatch: pytest.MonkeyPatch) -> None:
    searches = [0]
    hough = cv2.HoughLinesP

    def counted(*args: object, **kw: object) -> object:
        searches[0] += 1
        return hough(*args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(cv2, "HoughLinesP", counted)
    cases = [_ruled_mask(seed) for seed in range(300)]
    fast = [remove_lines(mask, hl, vl, 2) for mask, hl, vl in cases]
    fast_searches, searches[0] = searches[0], 0
    monkeypatch.setattr(ink_components, "longest_span", lambda occupied, gap: 10**9)  # always search
    erased = 0
    for (mask, hl, vl), got in zip(cases, fast, strict=True):
        want = remove_lines(mask, hl, vl, 2)
        assert np.array_equal(got, want)
        erased += want is not mask
    assert erased >= 20  # lines were found and erased
    assert searches[0] >= fast_searches + 20, (searches[0], fast_searches)  # and searches skipped


def test_longest_span() -> None:
    assert longest_span(np.zeros(5, np.uint8), 3) == -1
    occ = np.zeros(30, np.uint8)
    occ[[2, 5, 9, 20, 21, 26]] = 1
    assert longest_span(occ, 3) == 7  # 2..9 (skips of 2 and 3 zeros)
    assert longest_span(occ, 2) == 3  # 2..5
    assert longest_span(occ, 10) == 24  # 2..26


def _plain_span(occupied: np.ndarray, gap: int) -> int:
    """longest_span by the runs of the non-zero indices (the plain formulation)."""
    idx = np.flatnonzero(occupied)
    if not len(idx):
        return -1
    best, start = 0, idx[0]
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if b - a > gap + 1:
            best, start = max(best, int(a - start)), b
    return max(best, int(idx[-1] - start))


def test_longest_span_matches_the_plain_runs() -> None:
    rng = np.random.default_rng(5)
    for _ in range(3000):
        n, gap = int(rng.integers(0, 120)), int(rng.integers(0, 9))
        occ = (rng.random(n) < rng.random()) * rng.integers(1, 256, n)
        for arr in (occ.astype(np.uint8), -occ.astype(np.int32), occ.astype(bool)):
            assert longest_span(arr, gap) == _plain_span(arr, gap), (arr, gap)
