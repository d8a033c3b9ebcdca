"""Segmentation stage: finds the regions of interest (digits, hands) in a frame.

Owns: the digit finder, the classic hand finders (skin colour, background subtraction,
chroma key), the pretrained hand finder (MediaPipe palm detection and hand landmarks,
with tracking), and the image operations they share.

- :mod:`~edge.segment.ink`: ink on paper (grey, flat-fielded darkness, Otsu
  thresholds) and :mod:`~edge.segment.ink_components` (ruled-line erasing, ink
  components); both shared with :mod:`edge.preprocess`;
- digits: :mod:`~edge.segment.digits` (:class:`DigitSegmenter`) with its settings
  (:mod:`~edge.segment.digit_config`), scene (:mod:`~edge.segment.digit_scene`: paper,
  texture, ink threshold; :mod:`~edge.segment.block_sums` for the paper ring), its reuse
  between video frames (:mod:`~edge.segment.digit_reuse`), piece tables
  (:mod:`~edge.segment.digit_pieces`) and the merging of a digit's pieces
  (:mod:`~edge.segment.digit_merge`); what it measured on the last frame
  (:mod:`~edge.segment.ink_analysis`: the flat-fielded darkness, the ink threshold and
  polarity) is handed to :mod:`edge.preprocess`; :mod:`~edge.segment.numbers` groups
  classified digits into numbers;
- hands: :mod:`~edge.segment.hands` (``make_hand_segmenter``, by name) over the blob
  stage (:mod:`~edge.segment.blobs`, :mod:`~edge.segment.blob_shape`) and one module
  per finder (:mod:`~edge.segment.skin` with :mod:`~edge.segment.skin_colour`,
  :mod:`~edge.segment.background`, :mod:`~edge.segment.chroma`);
- a user's own classifier (task ``classify``): :mod:`~edge.segment.whole_frame`
  (:class:`WholeFrameSegmenter`: the whole frame or a centred square, ``--roi``).

Every finder has ``find(image) -> list[ROI]``; what a finder knows beyond the box
(the hand's mask, an angle, landmarks) travels on the :class:`edge.types.ROI`.

May import: numpy, OpenCV, a TFLite interpreter (through :mod:`edge.runtime`),
:mod:`edge.types`, :mod:`edge.bundle`. Never a later stage, a sink or a CLI.
"""
