"""Training scripts: datasets and loaders, augmentation, training loops, plots, ``edge-train``.

Needs the ``[train]`` extra (TensorFlow, matplotlib; scipy for SVHN). Never imported by ``edge``.
"""
