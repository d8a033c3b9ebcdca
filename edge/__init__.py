"""On-device runtime of the edge recogniser.

Frame sources, segmentation of digit and hand regions (ROIs), preprocessing, the
TFLite classifier, temporal smoothing, overlay and sinks. Imports numpy, OpenCV and a
TFLite interpreter only: never TensorFlow, Keras, ``train`` or ``convert``.
"""

from edge.types import ROI, Detection, Frame, Prediction

__all__ = ["ROI", "Detection", "Frame", "Prediction"]
__version__ = "0.1.0"
