"""The smooth stage's shortcuts give what the plain rules give: line grouping on box
tuples, the plain-Python gap split, the mark search restricted to the marks that matter,
and the smoother's vote and top class."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

import edge.segment.numbers as numbers_module
from benchmarks.synth_pages import synth_page
from edge.segment.number_lines import box_rows, column_starts
from edge.segment.number_marks import find_marks
from edge.segment.numbers import group_numbers, reading_rows, split_gaps
from edge.track import Track, TrackSmoother
from edge.types import ROI, Detection, Prediction


def _rois(rng: np.random.Generator, n: int, span: int) -> list[ROI]:
    return [
        ROI(
            int(rng.integers(0, span)),
            int(rng.integers(0, span)),
            int(rng.integers(1, 40)),
            int(rng.integers(1, 40)),
        )
        for _ in range(n)
    ]


def _plain_reading_rows(rois: list[ROI]) -> list[list[int]]:
    """reading_rows as first written: ROI centres, min/max, a line's first box."""
    order = sorted(range(len(rois)), key=lambda i: rois[i].center[1])
    rows: list[list[int]] = []
    for i in order:
        r = rois[i]
        for row in rows:
            f = rois[row[0]]
            overlap = min(r.y + r.h, f.y + f.h) - max(r.y, f.y)
            if overlap >= 0.5 * min(r.h, f.h):
                row.append(i)
                break
        else:
            rows.append([i])
    return [sorted(row, key=lambda k: rois[k].x) for row in rows]


@pytest.mark.parametrize("span", [20, 60, 300])
def test_box_rows_is_reading_rows(span: int) -> None:
    rng = np.random.default_rng(span)
    for k in range(600):
        rois = _rois(rng, int(rng.integers(0, 12)), span)
        if k % 3 == 0:  # half-pixel boxes: twice the centre orders and ties as the centre
            rois = [
                ROI(r.x + 0.5 * (r.y % 2), r.y + 0.5 * (r.x % 2), r.w, r.h + 0.5 * (r.w % 2)) for r in rois
            ]
        want = _plain_reading_rows(rois)
        assert box_rows([(r.x, r.y, r.w, r.h) for r in rois]) == want  # type: ignore[misc]
        assert reading_rows(rois) == want


def test_box_rows_on_pages_of_many_lines() -> None:
    """box_rows' skipping of lines that can take no more boxes groups as the plain rule on
    pages of many lines (jittered rows, varied and zero heights, a few tall boxes)."""
    rng = np.random.default_rng(41)
    for _ in range(60):
        rois = []
        for line in range(int(rng.integers(1, 40))):
            y = 30 * line + int(rng.integers(0, 8))
            for _ in range(int(rng.integers(0, 12))):
                h = (
                    int(rng.choice([0, 1, 8, 20, 25, 28]))
                    if rng.random() < 0.9
                    else int(rng.integers(30, 200))
                )
                rois.append(ROI(int(rng.integers(0, 900)), y + int(rng.integers(-12, 13)), 10, h))
        want = _plain_reading_rows(rois)
        assert box_rows([(r.x, r.y, r.w, r.h) for r in rois]) == want


def _split_reference(gaps: list[float], max_gap: float = 0.8) -> float | None:
    """split_gaps as first written: numpy means of every cut."""
    g = np.sort(np.asarray(gaps, np.float64))
    if len(g) < 2:
        return None
    lg = np.log(np.maximum(g, 0.02) + 0.05)
    best, cut = -1.0, -1
    for i in range(1, len(g)):
        v = i * (len(g) - i) * (lg[:i].mean() - lg[i:].mean()) ** 2
        if v > best:
            best, cut = v, i
    lo, hi = g[cut - 1], g[cut]
    if hi < numbers_module.MIN_SPLIT or lo > max_gap:
        return None
    if hi < numbers_module.SPLIT_RATIO * max(lo, 0.02) or hi - lo < numbers_module.SPLIT_MARGIN:
        return None
    return float(max(numbers_module.MIN_SPLIT, 0.5 * (lo + hi)))


def test_split_gaps_is_the_numpy_rule_ties_included() -> None:
    rng = np.random.default_rng(3)
    cases = [[0.3, 0.3, 0.3], [0.1, 0.1, 1.0, 1.0], [0.2] * 9 + [1.5] * 9, [-0.1, 0.0, 0.0, 2.0]]
    for _ in range(2000):
        n = int(rng.integers(0, 14))
        pool = (
            rng.choice([0.05, 0.1, 0.12, 0.4, 0.9, 1.3], n) if rng.random() < 0.5 else rng.uniform(-0.2, 3, n)
        )
        cases.append([float(v) for v in pool])
    for gaps in cases:
        assert split_gaps(gaps) == _split_reference(gaps), gaps


@pytest.mark.parametrize("seed", [11, 12, 13])
@pytest.mark.parametrize("polarity", ["dark", "light"])
def test_marks_searched_where_they_matter_read_the_same_numbers(
    seed: int, polarity: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """group_numbers asks only for the marks that can change a number; every number (text
    and box) is what the full search of every line gives."""
    page = synth_page(np.random.default_rng(seed), "decimals", (960, 720), polarity)
    dets = [
        Detection(r, Prediction(int(t), t, 1.0, np.eye(10, dtype=np.float32)[int(t)])) for t, r in page.digits
    ]
    fast = group_numbers(dets, page.image)
    assert any("." in t or "-" in t for t, _ in fast)
    asked = []

    def full(image, rows, light=None, wanted=None, analysis=None):  # type: ignore[no-untyped-def]
        asked.append(wanted)
        return find_marks(image, rows, light, analysis=analysis)

    monkeypatch.setattr(numbers_module, "find_marks", full)
    assert group_numbers(dets, page.image) == fast
    assert asked and asked[0] is not None


def test_find_marks_with_wanted_reports_the_wanted_marks_of_a_full_search() -> None:
    page = synth_page(np.random.default_rng(21), "decimals", (960, 720), "dark")
    rois = [r for _, r in page.digits]
    rows = [[rois[i] for i in row] for row in reading_rows(rois)]
    every = find_marks(page.image, rows)
    assert every.points and every.minus
    wanted = [(range(len(r) - 1), range(len(r))) for r in rows]
    assert find_marks(page.image, rows, wanted=wanted) == every
    none_wanted = find_marks(page.image, rows, wanted=[((), ())] * len(rows))
    assert not none_wanted.points and not none_wanted.minus


@pytest.mark.parametrize("seed", [31, 32, 33, 34])
def test_any_wanted_subset_gets_the_full_searchs_marks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    page = synth_page(rng, "decimals", (960, 720), "light" if seed % 2 else "dark")
    rois = [r for _, r in page.digits]
    rows = [[rois[i] for i in row] for row in reading_rows(rois)]
    every = find_marks(page.image, rows)
    for _ in range(10):
        wanted = [
            (
                [k for k in range(len(r) - 1) if rng.random() < 0.5],
                [k for k in range(len(r)) if rng.random() < 0.5],
            )
            for r in rows
        ]
        got = find_marks(page.image, rows, wanted=wanted)
        points = {(li, k) for li, (gaps, _) in enumerate(wanted) for k in gaps}
        signs = {(li, k) for li, (_, ks) in enumerate(wanted) for k in ks}
        assert got.points & points == every.points & points
        assert {k: v for k, v in got.minus.items() if k in signs} == {
            k: v for k, v in every.minus.items() if k in signs
        }


def _sequential_mean(rows: list[np.ndarray]) -> np.ndarray:
    total = np.array(rows[0], np.float32)
    for r in rows[1:]:
        total += r
    total /= np.float32(len(rows))
    return total


def test_vote_is_the_sequential_float32_mean() -> None:
    rng = np.random.default_rng(5)
    for n in range(1, 8):
        for _ in range(50):
            rows = [(rng.random(10) ** 4 * 10.0 ** rng.integers(-6, 1)).astype(np.float32) for _ in range(n)]
            got = Track(0, ROI(0, 0, 1, 1), deque(rows)).vote()
            assert got.dtype == np.float32 and got.tobytes() == _sequential_mean(rows).tobytes()
    mixed = [
        np.full(3, 0.1, np.float32),
        np.full(3, 0.2, np.float64),
    ]  # a float64 row is added as numpy adds it
    assert Track(0, ROI(0, 0, 1, 1), deque(mixed)).vote().tobytes() == _sequential_mean(mixed).tobytes()


def test_smoothed_index_and_score_are_the_reversed_argmax_of_the_vote() -> None:
    labels = [str(i) for i in range(10)]
    sm = TrackSmoother(window=4, labels=labels)
    rng = np.random.default_rng(8)
    for i in range(40):
        s = rng.choice([0.0, 0.25, 0.5], 10).astype(np.float32)  # many ties
        roi = ROI(10 + i % 2, 10, 20, 30)
        out = sm.update([Detection(roi, Prediction(0, "0", 1.0, s))])[0].prediction
        mean = sm.tracks[0].vote()
        idx = 9 - int(np.argmax(mean[::-1]))
        assert (out.index, out.label, out.score) == (idx, labels[idx], float(mean[idx]))
        assert out.scores.tobytes() == mean.tobytes()
    nan = np.array([0.1, np.nan, 0.3], np.float32)  # numpy's argmax takes the NaN
    out = TrackSmoother(window=1, labels=["a", "b", "c"]).update(
        [Detection(ROI(0, 0, 5, 5), Prediction(2, "c", 0.3, nan))]
    )
    assert out[0].prediction.index == 1


def test_a_moved_track_is_associated_by_its_new_box() -> None:
    """The association keeps each track's box measurements until the box is replaced."""
    sm = TrackSmoother(window=2, labels=["a"])
    a = Prediction(0, "a", 1.0, np.ones(1, np.float32))
    sm.update([Detection(ROI(0, 0, 10, 10), a)])
    assert sm._associate([Detection(ROI(1, 1, 10, 10), a)]) == [0]
    sm.tracks[0].roi = ROI(200, 200, 10, 10)
    assert sm._associate([Detection(ROI(1, 1, 10, 10), a)]) == [None]
    assert sm._associate([Detection(ROI(201, 201, 10, 10), a)]) == [0]


@pytest.mark.parametrize("h", [40, 80])
@pytest.mark.parametrize("where", ["early", "late"])
def test_marks_at_the_edge_of_their_rules_are_found_when_wanted_alone(h: int, where: str) -> None:
    """A minus sign as long and as far before its digit as allowed, and a point as high
    or low as allowed, found when each is the one mark wanted (the line is not skipped)."""
    img = np.full((4 * h, 12 * h), 220, np.uint8)
    top = h
    xs = [h // 2, 6 * h, 8 * h]  # digit 0, a wide gap, digit 1, digit 2
    rois = [ROI(x, top, h // 2, h) for x in xs]
    for r in rois:
        img[r.y + 2 : r.y + r.h - 2, r.x + 2 : r.x + r.w - 2] = 30
    # minus before digit 1: h long, ending 0.8 h before it, centred 0.3 or 0.75 h below the top
    mx1 = xs[1] - int(0.8 * h) + 1
    mcy = top + (0.3 if where == "early" else 0.75) * h
    img[int(mcy) - max(1, h // 16) : int(mcy) + max(1, h // 16), mx1 - h + 2 : mx1] = 30
    # point between digits 1 and 2, centred 0.62 h below the top or touching base + 0.15 h
    px = (xs[1] + h // 2 + xs[2]) // 2
    d = max(2, h // 8)
    py0 = top + int(0.62 * h) - d // 2 + 1 if where == "early" else top + int(1.15 * h) - d
    img[py0 : py0 + d, px - d // 2 : px - d // 2 + d] = 30
    row = [rois]
    every = find_marks(img, row, [False])
    assert (0, 1) in every.points and (0, 1) in every.minus
    only_minus = find_marks(img, row, [False], wanted=[((), (1,))])
    assert only_minus.minus == every.minus
    only_point = find_marks(img, row, [False], wanted=[((1,), ())])
    assert (0, 1) in only_point.points


def test_every_smoothed_detection_is_the_plain_vote_of_its_track() -> None:
    """update's shortcuts (a new track's detection handed on as it came, the votes read in
    plain Python) give what the plain rule gives: the top class of the track's mean (ties to
    the higher index), its label and score, the mean as scores; with ties, predictions whose
    index, score or label is not their scores' and scores given as lists."""
    labels = [str(i) for i in range(6)]
    rng = np.random.default_rng(17)
    sm = TrackSmoother(window=3, max_age=2, labels=labels)
    spots = [ROI(10 + 40 * k, 20, 20, 30) for k in range(4)]
    handed_on = 0
    for _ in range(300):
        dets = []
        for _ in range(int(rng.integers(0, 5))):
            base = spots[int(rng.integers(0, len(spots)))] if rng.random() < 0.7 else None
            x, y = (base.x, base.y) if base else (int(rng.integers(0, 300)), int(rng.integers(0, 300)))
            roi = ROI(x + int(rng.integers(-2, 3)), y + int(rng.integers(-2, 3)), 20, 30)
            s = rng.choice([0.0, 0.1, 0.3, 0.3], 6).astype(np.float32)  # ties now and then
            first = int(np.argmax(s))  # numpy's rule: the first of equals
            kind = rng.random()
            if kind < 0.6:
                pred = Prediction(first, labels[first], float(s[first]), s)
            elif kind < 0.75:
                pred = Prediction(first, labels[first], float(s[first]) + 0.5, s)  # another score
            elif kind < 0.8:
                pred = Prediction(first, "x", float(s[first]), s)  # another label
            elif kind < 0.85:
                pred = Prediction((first + 1) % 6, labels[first], float(s[first]), s)  # another index
            else:
                pred = Prediction(first, labels[first], float(s[first]), s.tolist())  # type: ignore[arg-type]
            dets.append(Detection(roi, pred))
        out = sm.update(dets)
        assert len(out) == len(dets)
        for det, got in zip(dets, out, strict=True):
            (track,) = [t for t in sm.tracks if t.roi is det.roi]
            mean = _sequential_mean(list(track.history))
            idx = len(mean) - 1 - int(np.argmax(mean[::-1]))
            p = got.prediction
            assert got.roi is det.roi
            assert (p.index, p.label, p.score) == (idx, labels[idx], float(mean[idx]))
            assert type(p.score) is float and p.scores.tobytes() == mean.tobytes()
            handed_on += got is det
    assert handed_on > 0  # the shortcut was taken


def _plain_numbers(dets: list[Detection], max_gap: float = 0.8, ratio: float = 0.5) -> list[tuple[str, ROI]]:
    """group_numbers without marks as first written: every line's links and split, the
    frame's split always, each number's box from its digits; a digit at a table's column
    (column_starts of the lines split by their own gaps) starts a number."""
    rois = [d.roi for d in dets]
    rows = reading_rows(rois)
    links = []
    for row in rows:
        ln: list[float | None] = []
        for a, b in zip(row, row[1:], strict=False):
            p, r = rois[a], rois[b]
            overlap = min(p.y + p.h, r.y + r.h) - max(p.y, r.y)
            ok = min(p.h, r.h) >= ratio * max(p.h, r.h) and overlap >= 0.5 * min(p.h, r.h) and r.x >= p.x
            ln.append((r.x - (p.x + p.w)) / max(1, max(p.h, r.h)) if ok else None)
        links.append(ln)
    row_gaps = [[g for g in ln if g is not None] for ln in links]
    page = split_gaps([g for gs in row_gaps for g in gs], max_gap)
    limits, sure = [], []
    for gaps in row_gaps:
        own = split_gaps(gaps, max_gap) if len(gaps) >= 2 else None
        limits.append(own if own is not None else page if page is not None else max_gap)
        sure.append(own is not None)
    starts = [
        [0, *[k + 1 for k, g in enumerate(ln) if g is None or g > lim]]
        for ln, lim in zip(links, limits, strict=True)
    ]
    cuts = column_starts([(r.x, r.y, r.w, r.h) for r in rois], rows, starts, sure)
    out = []
    for row, ln, limit, cut in zip(rows, links, limits, cuts, strict=True):
        groups = [[row[0]]]
        for k in range(1, len(row)):
            g = ln[k - 1]
            if g is not None and g <= limit and k not in cut:
                groups[-1].append(row[k])
            else:
                groups.append([row[k]])
        for grp in groups:
            bs = [rois[i] for i in grp]
            x0, y0 = min(b.x for b in bs), min(b.y for b in bs)
            x1, y1 = max(b.x + b.w for b in bs), max(b.y + b.h for b in bs)
            out.append(("".join(dets[i].prediction.label for i in grp), ROI(x0, y0, x1 - x0, y1 - y0)))
    return out


def test_numbers_are_the_plain_grouping_of_lines_and_gaps() -> None:
    """group_numbers' shortcuts (lone digits' lines, the frame's split only when a line
    needs it) group as the plain rule: lines of 1-6 digits with gaps that do and do not
    fall apart, of varied heights."""
    rng = np.random.default_rng(23)
    scores = np.ones(10, np.float32)
    for _ in range(400):
        dets = []
        for line in range(int(rng.integers(1, 5))):
            x, h = int(rng.integers(0, 40)), int(rng.integers(12, 40))
            for _ in range(int(rng.integers(1, 7))):
                w, hh = int(rng.integers(4, h)), int(h * rng.uniform(0.4, 1.0))
                roi = ROI(x, 60 * line + int(rng.integers(0, 6)), w, hh)
                label = str(int(rng.integers(0, 10)))
                dets.append(Detection(roi, Prediction(int(label), label, 1.0, scores)))
                x += w + int(h * rng.choice([0.05, 0.1, 0.2, 0.6, 1.2, 2.5]))
        rng.shuffle(dets)  # type: ignore[arg-type]
        assert group_numbers(dets) == _plain_numbers(dets)
