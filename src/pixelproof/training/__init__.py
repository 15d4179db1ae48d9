"""Model and calibration fitting: how every shipped constant file of pixelproof is made.

The capabilities (:mod:`pixelproof.forensics`, :mod:`pixelproof.match`, ...) only
*load* their fitted data; the code that fits it lives here, one module per
capability, because fitting needs what the capabilities must not import: the benchmark
harness (:mod:`pixelproof.bench`: transformations and suites of them, image loading
for benchmarks) and forgery or edit generation on sets of photos. This package is not
a capability and is never imported by one; it may use the harness and reaches into the
capabilities' private modules, whose internals it fits.

``forensics-fusion`` (:mod:`pixelproof.training.forensics`)
    ``fusion.json``, shipped in ``pixelproof/forensics/_data/``: the fusion's pixel and
    score models and label thresholds.
``appearance`` (:mod:`pixelproof.training.forensics`)
    ``appearance_head.npz``, shipped in ``pixelproof/forensics/_data/``: the linear
    head of the ``appearance`` analysis (refit the fusion after it).
``synthetic`` (:mod:`pixelproof.training.synthetic`)
    ``probe.npz`` and ``model.json``, shipped in ``pixelproof/synthetic/_data/``: the
    pixel-level synthetic-image detector, fitted on ``ai-train`` under format parity.
``match-calibration`` (:mod:`pixelproof.training.match`)
    ``effnet_lite0_v2.npz``, ``effnet_lite0_v2_bank.npz`` and ``calibration.json``,
    shipped in ``pixelproof/match/_data/``: the descriptor whitening, the bank of
    unrelated images and the score model.

``gather-match-photos`` (:mod:`pixelproof.training.match_photos`)
    The calibration photos of ``match-calibration``, fetched from package registries
    (Debian packages, scikit-image's wheel) and ``../shared/data`` and selected by the
    committed ``match_photos.tsv`` (names and SHA-256).
``reproduce`` (:mod:`pixelproof.training.reproduce`, ``make reproduce``)
    Every fit above with its default arguments, writing into the source tree, then a
    comparison of each file with the committed one.

Run ``python -m pixelproof.training WHAT --out DIR [options]`` from the repository
root (``--help`` lists each command's options); ``--out`` may be the shipped folder
itself to replace the files there. The forensic fits read the tuning photos of
``../shared/data/photos`` (``--photos``); matching reads the calibration folders given.
Developers run these, never installs: the fits take from minutes to hours.
"""

from __future__ import annotations

__all__: list[str] = []
