"""Segmentation stage: finds the regions of interest (digits, hands) in a frame.

Owns: the digit finder, the classic hand finders (skin colour, background subtraction,
chroma key), the pretrained hand finder (MediaPipe palm detection and hand landmarks,
with tracking), and the image operations they share.
May import: numpy, OpenCV, a TFLite interpreter (through :mod:`edge.runtime`),
:mod:`edge.types`, :mod:`edge.bundle`. Never a later stage, a sink or a CLI.
"""
