"""Keras → TFLite conversion, verification, and model bundles: ``edge-convert``.

Converts a Keras model (``.keras``, ``.h5``) or SavedModel folder to TFLite as
float32, float16, dynamic-range or full-integer int8 (:mod:`convert.quantize`),
writes a model bundle (``model.tflite``, ``labels.txt``, ``model.json``; see
:mod:`edge.bundle`), and verifies the bundle's exact file against the source model
with the device's own runtime and preprocessing (:mod:`convert.verify`). The input spec,
task and preprocessing are inferred from the model, whatever its format
(:mod:`convert.input_spec`). Imports TensorFlow only
inside the functions that need it.
"""

from convert.build import convert_to_bundle
from convert.config import ConvertConfig, ConvertReport
from convert.quantize import QUANT_MODES, convert_keras, convert_saved_model, representative_dataset

__all__ = [
    "QUANT_MODES",
    "ConvertConfig",
    "ConvertReport",
    "convert_keras",
    "convert_saved_model",
    "convert_to_bundle",
    "representative_dataset",
]
__version__ = "0.1.0"
