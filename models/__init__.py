"""Model architectures and the shipped model bundles.

Architectures are builder functions that import Keras inside themselves, so that
``import models`` stays light on a device with no TensorFlow. Shipped bundles live
in sub-folders (``models/digits-lenet-int8/`` ...) and are found by
:func:`edge.bundle.resolve_bundle_path`.
"""

from models.lenet import LENET_VARIANTS, build_lenet

__all__ = ["LENET_VARIANTS", "build_lenet"]
