"""Training scripts: datasets and loaders, augmentation, training loops, plots, ``edge-train``.

Needs the ``[train]`` extra (TensorFlow, matplotlib; scipy for SVHN). May import ``edge``
(the device's own preprocessing, so training sees what inference feeds the model),
``models`` and ``benchmarks.realistic_render`` (the camera-like benchmark's renderer, one
renderer for the test sets and :mod:`train.camera_digits`' training data); never imported
by ``edge``. One concern per module:

- data: :mod:`train.digit_data` (``--dataset`` specs), :mod:`train.svhn`,
  :mod:`train.recoloured`, :mod:`train.camera_digits`, :mod:`train.hand_data` (gesture folders, person-level
  splits), :mod:`train.hand_images`, :mod:`train.extra_data` (the user's own samples),
  :mod:`train.extra_mix`, :mod:`train.hands_prep`, :mod:`train.vgg16_data` (feature
  cache), :mod:`train.augment`, :mod:`train.hand_augment`, :mod:`train.pixels`,
  :mod:`train.personal_video`;
- parameters and training: :mod:`train.config`, :mod:`train.lenet` (with
  :mod:`train.lenet_config`, :mod:`train.lenet_model`), :mod:`train.hands_config`,
  :mod:`train.hands` (with :mod:`train.hands_eval`), :mod:`train.vgg16` (with
  :mod:`train.vgg16_config`, :mod:`train.vgg16_report`), :mod:`train.finetune`,
  :mod:`train.sweep` with :mod:`train.sweep_settings`;
- reporting: :mod:`train.plots`, :mod:`train.sweep_results`;
- CLI: :mod:`train.cli` (``edge-train`` / ``python -m train``).
"""
