"""Saving your own labelled samples from the live loop: what ``edge-capture`` does.

Layout of a capture folder ``DIR`` (``--out``) and its raw twin ``RAW`` (``--raw-out``,
default ``DIR-raw`` beside it)::

    DIR/<label>/<session>__00001.png   the normalised sample: the exact model input
                                       the preprocessor made (28x28 grey, white ink on
                                       black, for digits; the hands model's 64x64
                                       colour crop for hands), as a uint8 PNG
    RAW/<label>/<session>__00001.png   the raw crop of the same detection: the ROI of the
                                       original BGR frame with the margin the
                                       preprocessor adds around it

``DIR`` is a folder of class folders holding only normalised samples (nothing else
is written under it, so neither a ``DIR/<label>/*.png`` glob nor a recursive reader
picks up raw crops); ``RAW`` is a folder of class folders of photos, which
``edge-eval --images RAW --crop`` and ``edge-train hands --data`` read as they are.
A sample and its raw crop have the same file name.

File names are ``<session>__<n>.png`` (``n`` five digits from 00001), the form of
``train.hand_data.capture_name``: the part before ``__`` groups a session's samples
on one side of a train/validation split. Samples are never overwritten: numbering
continues after the session's highest number in the folder, and each file is created
exclusively (written to a temporary name, then hard-linked to its final name, which
fails if the name exists), so two captures running at once cannot take the same name.
A sample and its raw crop are saved both or neither.

Modules: :mod:`~edge.capture.keys` (the key map and :func:`decide`, pure, tested with
simulated keys), :mod:`~edge.capture.crops` (what is saved of a detection),
:mod:`~edge.capture.samples` (file names, :class:`SampleWriter`), :mod:`~edge.capture.hud`
(the on-screen help), :mod:`~edge.capture.session` (:func:`run_capture`, over
:func:`edge.live.run`). The package may import :mod:`edge.live`, :mod:`edge.sinks`,
:mod:`edge.bundle` and :mod:`edge.types`; never a CLI (``edge-capture`` is
:mod:`edge.cli.capture`).
"""

from edge.capture.crops import (
    DIGIT_MARGIN,
    DIGIT_MARGIN_PX,
    TAKE_MODES,
    RecordingPreprocessor,
    choose_rois,
    image_to_input,
    input_to_image,
    raw_crop,
)
from edge.capture.hud import (
    draw_capture_hud,
)
from edge.capture.keys import (
    NO_KEY,
    QUIT_KEYS,
    KeyAction,
    decide,
    describe_keys,
    key_map,
    parse_keys,
)
from edge.capture.samples import (
    INDEX_DIGITS,
    SUFFIX,
    SampleWriter,
    SavedSample,
    check_session,
    count_samples,
    default_session,
    encode_png,
    highest_index,
    sample_name,
    write_exclusive,
)
from edge.capture.session import (
    MESSAGE_S,
    CaptureConfig,
    CaptureControl,
    CaptureStats,
    no_keys_message,
    run_capture,
)

__all__ = [
    "CaptureConfig",
    "CaptureControl",
    "CaptureStats",
    "DIGIT_MARGIN",
    "DIGIT_MARGIN_PX",
    "INDEX_DIGITS",
    "KeyAction",
    "MESSAGE_S",
    "NO_KEY",
    "QUIT_KEYS",
    "RecordingPreprocessor",
    "SUFFIX",
    "SampleWriter",
    "SavedSample",
    "TAKE_MODES",
    "check_session",
    "choose_rois",
    "count_samples",
    "decide",
    "default_session",
    "describe_keys",
    "draw_capture_hud",
    "encode_png",
    "highest_index",
    "image_to_input",
    "input_to_image",
    "key_map",
    "no_keys_message",
    "parse_keys",
    "raw_crop",
    "run_capture",
    "sample_name",
    "write_exclusive",
]
