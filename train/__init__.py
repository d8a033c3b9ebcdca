"""Training scripts: datasets and loaders, augmentation, training loops, plots, ``edge-train``.

Needs the ``[train]`` extra (TensorFlow, matplotlib). Never imported by ``edge``.
"""
