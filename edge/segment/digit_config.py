"""Settings of the digit finder (:class:`edge.segment.digits.DigitSegmenter`)."""

from __future__ import annotations

from dataclasses import dataclass

from edge.segment.ink import POLARITIES

#: Frames up to this many pixels (a webcam or phone video frame, up to full HD) are segmented
#: with ``DigitSegmenterConfig.cv_threads`` OpenCV threads; larger images keep OpenCV's setting.
FEW_THREADS_PIXELS = 1920 * 1080


@dataclass(frozen=True)
class DigitSegmenterConfig:
    """Settings of :class:`edge.segment.digits.DigitSegmenter`; sizes relative to the frame unless noted.

    Attributes:
        analysis_width: longer side (px) of the grey image that is analysed; frames
            larger than this are downscaled (area interpolation) first.
        min_height: smallest digit height, fraction of the frame height
            (0.028 = 13 px in a 480-px frame).
        max_height: largest digit height, fraction of the frame height.
        min_aspect: smallest width / height of a digit (a "1" is narrow).
        max_aspect: largest width / height of a digit; wider things are lines,
            scribbles or several touching digits.
        min_fill: smallest ink area / box area.
        max_fill: largest ink area / box area for boxes wider than
            ``blob_aspect`` x height (solid blobs: fingers, stickers, holes).
        blob_aspect: see ``max_fill``; narrower boxes (a straight "1") may be full.
        min_area: smallest box (analysis px²) of an ink component; less is a speck.
        min_relative_height: digits shorter than this fraction of the tallest
            digit found are dropped (specks, dots, far-away scribbles). At the first pass a
            candidate that is writing (twice ``min_height`` tall or more, as dark as the writing)
            is judged by the tallest writing: a shadow band, a cable or an edge beside the
            sheet, taller but fainter, does not drop the digits
            (:func:`edge.segment.writing_height.judged_as_writing`).
        digit_px: when the digits found at ``analysis_width`` are shorter than
            ``min_digit_px`` (a page of numbers, a 12 MP photo) and the frame has
            more pixels, it is analysed again at the scale that makes its typical
            digit this many px tall (at most full resolution) ...
        min_digit_px: ... see ``digit_px``.
        piece_density: at most this many ink components (the largest boxes) are
            measured per digit cell (the analysis area divided by the square of the
            smallest digit height: ``min_height`` x the analysis height at the first
            pass, ``min_relative_height`` x the typical digit at a finer one), which
            bounds the time spent on clutter whatever the frame's size ...
        clutter_density: ... and this many (or more) per digit cell make a frame
            cluttered (squared paper, texture): then the second, higher ink threshold
            decides, as after erasing ruled lines. 0 disables. (The defaults are 24
            and 40 components of a 320 x 240 analysis image.)
        page_density: at a finer pass (a page), at least this many components per
            square of the typical digit height are measured (a page densely written
            holds about one digit per two such squares).
        merge_gap: pieces of one digit may be this far apart vertically
            (fraction of the taller piece's height).
        merge_max_growth: a merge may not make the box taller than this many times
            the taller piece (keeps digits in stacked rows apart) ...
        merge_touch_gap: ... unless the pieces are at most this far apart
            (fraction of the taller one's height): two halves of a broken digit.
        merge_min_ink: pieces with less ink than this fraction of the other piece's
            are specks, not part of it, and are not merged.
        merge_min_width: pieces one above the other without vertical overlap merge
            only when the narrower is at least this fraction of the wider one's width
            (a 5's bar is as wide as its body; a digit above a thumb is not).
        arc_gap: two arcs side by side facing each other (a 0 drawn in two strokes)
            are one digit when the gap between them is at most this fraction of
            their height and together they are no wider than ``arc_max_aspect`` x
            their height.
        arc_max_aspect: see ``arc_gap``.
        background: closing kernel for the paper estimate, fraction of the
            analysis image's longer side (a tight crop of one large digit) ...
        max_background: ... but at most this many analysis px (a frame: smaller
            kernels follow the light more closely and fill narrower strips of desk
            between the paper and the frame's border); must exceed the widest pen
            stroke.
        min_sigma: the ink threshold is at least the paper's mean darkness plus this
            many standard deviations of its noise ...
        max_sigma: ... and Otsu's threshold is lowered to at most this many, so
            faint pencil passes when darker things pull Otsu up ...
        otsu_without_paper: ... except when no paper was found (a small crop of
            one digit, which fills so much of it that Otsu is reliable).
        paper_contrast: blocks whose texture level (0..255 darkness) is at most this,
            or at most ``paper_factor`` x that of the cleanest blocks (5th
            percentile) + ``paper_margin`` if more, are clean; regions of clean
            blocks covering ``min_paper`` of the frame, with the holes in them, are
            the paper. 0 disables the paper rule.
        paper_margin: see ``paper_contrast``.
        paper_factor: see ``paper_contrast``.
        texture_contrast: non-paper blocks with a mean darkness below this are
            texture (not a large digit) and are cleared before thresholding.
        min_paper: the paper rule applies only when at least this fraction of the
            frame is paper; smaller regions of clean blocks are not paper.
        min_blocks: the paper rule needs at least this many blocks on the shorter
            side of the analysis image (a small crop of one digit has no desk).
        smooth_contrast: blocks smooth in grey levels (the same rule as
            ``paper_contrast`` on the background minus the image, with this minimum)
            count as paper for the ring test below, and join the paper when their
            colour is the paper's (``paper_chroma``): a shadow amplifies noise in
            darkness but not in grey levels. 0 disables both.
        paper_chroma: largest difference of chromaticity (B, G, R shares of the
            block's mean colour) from the paper's median for a smooth block to be
            shadowed paper rather than desk; colour frames only. 0 disables.
        min_paper_around: digits need at least this fraction of paper in the ring
            around their box (the box grown by a quarter of its longer side, the
            paper grown by a block); 0 disables.
        line_length: straight thin lines (Hough) within 25 degrees of horizontal and
            at least this long (fraction of the analysis width) are ruled lines
            and erased; 0 disables.
        line_thickness: largest thickness (analysis px) of a removable line.
        min_line: ruled lines are at least this long (analysis px) whatever the
            image size (in a small crop of one digit, a quarter of the width is a
            stroke).
        vertical_line_length: the same for vertical lines, fraction of the
            analysis height (longer, so a tall thin "1" survives); 0 disables.
        reject_border: drop digits touching the frame border (cut off by it), unless
            nothing else as large is found, so a tightly cropped photo still gives
            its digit.
        max_contact: components whose ink runs along the frame border for more than
            this fraction of the shorter side (or for longer than 1.2 x their own
            size) are the paper's edge, the table or a finger, and are dropped
            before merging; unless nothing else is found, or one crosses the border (a
            digit held close to the camera) and is much the largest thing in view
            (:mod:`edge.segment.cut_digits`).
        min_light: no ink is looked for where the estimated background is darker
            than this fraction of its bright level (95th percentile): a dark desk
            or room, where flat-fielding only amplifies noise. 0 disables.
        polarity: ``"dark"`` ink on light paper, ``"light"`` ink on a dark ground,
            or ``"auto"`` (decided per frame by :func:`edge.segment.ink_polarity.frame_ink_is_light`).
        cv_threads: OpenCV worker threads while a frame of at most
            :data:`FEW_THREADS_PIXELS` is segmented (the process's
            setting is restored afterwards; larger images, whose per-pixel work pays for
            threads, keep OpenCV's setting); 0 keeps it always. The default, 1: on
            analysis images of a few hundred pixels OpenCV's threads save little and cost
            CPU, and when the other cores are busy the frame waits for a worker (segment
            median 7.2 ms with 2 threads against 2.2 ms with 1 on a loaded 2-core machine,
            500 demo frames).
        reuse_scene: in a video, reuse the last full analysis's scene (polarity, paper,
            texture, ink threshold per background level) while the frame's thumbnail
            stays close to the one it was made from, and find only the ink anew
            (:mod:`edge.segment.digit_reuse` gives the rule); ``False`` analyses every frame
            in full. :meth:`edge.segment.digits.DigitSegmenter.reset` forgets the scene.
        reuse_frames: a full analysis at least every this many frames.
        reuse_mean: most mean absolute difference (grey levels) of the 40 x 30 thumbnail
            from the full analysis's for reuse ...
        reuse_max: ... and most difference at any thumbnail pixel.
        reuse_height: a reused frame whose digit count differs from the full
            analysis's, or whose median digit height differs by more than this factor,
            is analysed again in full.
        closer_look: a frame whose longer side is over ``analysis_width`` and under four times
            it, whose first pass sees nothing digit-like, is looked at once more, twice as close
            (:func:`edge.segment.digit_scale.closer_look`): a lone small, faint or blurred digit.
            Still images only (:func:`edge.still_views.use_still_views` sets it): in a video,
            every frame of an empty desk would be analysed twice. (A frame of four times
            ``analysis_width`` or more is looked at 4x closer whatever this says: a 1280-px or
            wider camera does analyse an empty desk's frames twice.)
        keep_whole: a first-pass digit that the finer look at small digits (``digit_px``) cuts into
            fragments (together under half its height) keeps its first-pass box
            (:func:`edge.segment.digit_scale.kept_whole`). Still images only
            (:func:`edge.still_views.use_still_views` sets it): the live loop is unchanged.
    """

    analysis_width: int = 320
    min_height: float = 0.028
    max_height: float = 0.95
    min_aspect: float = 0.05
    max_aspect: float = 2.0
    min_fill: float = 0.02
    max_fill: float = 0.75
    blob_aspect: float = 0.5
    min_area: int = 5
    min_relative_height: float = 0.25
    digit_px: int = 28
    min_digit_px: int = 14
    piece_density: float = 0.014
    clutter_density: float = 0.0235
    page_density: float = 2.0
    merge_gap: float = 0.3
    merge_max_growth: float = 1.5
    merge_touch_gap: float = 0.12
    merge_min_ink: float = 0.03
    merge_min_width: float = 0.3
    arc_gap: float = 0.2
    arc_max_aspect: float = 0.9
    background: float = 0.2
    max_background: int = 48
    min_sigma: float = 4.0
    max_sigma: float = 6.0
    otsu_without_paper: bool = True
    paper_contrast: int = 12
    paper_margin: float = 6.0
    paper_factor: float = 2.5
    texture_contrast: int = 48
    min_paper: float = 0.05
    min_blocks: int = 12
    smooth_contrast: int = 6
    paper_chroma: float = 0.012
    min_paper_around: float = 0.5
    line_length: float = 0.25
    line_thickness: int = 2
    min_line: int = 32
    vertical_line_length: float = 0.5
    reject_border: bool = True
    max_contact: float = 0.12
    min_light: float = 0.35
    polarity: str = "auto"
    cv_threads: int = 1
    reuse_scene: bool = True
    reuse_frames: int = 15
    reuse_mean: float = 3.0
    reuse_max: int = 24
    reuse_level_mean: float = 16.0
    reuse_height: float = 1.25
    closer_look: bool = False
    keep_whole: bool = False

    def __post_init__(self) -> None:
        if self.polarity not in POLARITIES:
            raise ValueError(f"polarity must be one of {POLARITIES}, got {self.polarity!r}")
        if self.cv_threads < 0:
            raise ValueError(f"cv_threads must be >= 0 (0 = OpenCV's own setting), got {self.cv_threads}")
        if self.reuse_frames < 1 or self.reuse_mean < 0 or self.reuse_max < 0 or self.reuse_height < 1:
            raise ValueError(
                "need reuse_frames >= 1, reuse_mean >= 0, reuse_max >= 0 and reuse_height >= 1, got "
                f"{self.reuse_frames}, {self.reuse_mean}, {self.reuse_max}, {self.reuse_height}"
            )
        if self.analysis_width < 32:
            raise ValueError(f"analysis_width must be >= 32 px, got {self.analysis_width}")
        if not 0 < self.min_height < self.max_height <= 1.0:
            raise ValueError(
                "need 0 < min_height < max_height <= 1 (fractions of the frame "
                f"height), got {self.min_height}, {self.max_height}"
            )
        if not 8 <= self.min_digit_px <= self.digit_px:
            raise ValueError(f"need 8 <= min_digit_px <= digit_px, got {self.min_digit_px}, {self.digit_px}")
        if not 0 <= self.min_sigma <= self.max_sigma:
            raise ValueError(f"need 0 <= min_sigma <= max_sigma, got {self.min_sigma}, {self.max_sigma}")
