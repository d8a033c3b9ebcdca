"""On-device runtime of the edge recogniser.

Frame sources, segmentation of digit and hand regions (ROIs), preprocessing, the
TFLite classifier, temporal smoothing, overlay and sinks. Imports numpy, OpenCV and a
TFLite interpreter only: never TensorFlow, Keras, ``train`` or ``convert``.
"""

from edge.startup import quiet_keyboard_interrupt

quiet_keyboard_interrupt()  # before numpy and OpenCV: a Ctrl-C while a tool starts prints one line

from edge.types import ROI, Detection, Frame, Prediction  # noqa: E402

__all__ = ["ROI", "Detection", "Frame", "Prediction"]
__version__ = "0.1.0"
