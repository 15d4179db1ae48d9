"""The published detectors pixelproof can run, kept in one registry.

A kind says which network a checkpoint file needs and how its authors' test script
prepares an image. Importing this module does not import torch: the networks are built
on first use. Other packages add kinds through the ``pixelproof.checkpoint_kinds``
entry-point group (an entry point naming a :class:`CheckpointKind`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...registry import Registry

if TYPE_CHECKING:
    from torch import nn


@dataclass(frozen=True)
class CheckpointKind:
    """One published detector: its network, its preprocessing and where it comes from.

    Attributes
    ----------
    name : str
        The registry name, the ``KIND`` of ``KIND:PATH``.
    title : str
        The detector and its paper, for messages and reports.
    build : callable
        Makes the network, randomly initialised, in evaluation mode or not.
    crop : int or None
        Default side of the central crop (None: the whole image, as the authors test).
    min_side : int
        Smallest height and width the network accepts.
    unused_keys : frozenset of str
        Keys the authors' training script writes that the network never reads; a file
        may hold them or not.
    code : str
        The authors' repository.
    licence : str
        The terms of the authors' code and weights, as published.
    """

    name: str
    title: str
    build: Callable[[], nn.Module]
    crop: int | None
    min_side: int
    unused_keys: frozenset[str]
    code: str
    licence: str


def _cnndetection_net() -> nn.Module:
    from ._resnet import CNNDetectionNet

    return CNNDetectionNet()


def _npr_net() -> nn.Module:
    from ._resnet import NPRNet

    return NPRNet()


CHECKPOINT_KINDS = Registry[CheckpointKind](
    "checkpoint kind", entry_points="pixelproof.checkpoint_kinds"
)
"""Every checkpoint kind by name: ``cnndetection``, ``npr`` and plug-ins."""

CHECKPOINT_KINDS.register(
    "cnndetection",
    CheckpointKind(
        name="cnndetection",
        title="CNNDetection ResNet-50 (Wang et al., CVPR 2020)",
        build=_cnndetection_net,
        crop=None,
        min_side=1,
        unused_keys=frozenset(),
        code="https://github.com/PeterWang512/CNNDetection",
        licence="CC BY-NC-SA 4.0 (code and weights; non-commercial use only)",
    ),
)
CHECKPOINT_KINDS.register(
    "npr",
    CheckpointKind(
        name="npr",
        title="NPR (Tan et al., CVPR 2024)",
        build=_npr_net,
        crop=None,
        min_side=2,
        # NPR's trainer attaches a Linear(2048, 1) as ``fc`` that forward() never calls;
        # files saved by that trainer carry it.
        unused_keys=frozenset({"fc.weight", "fc.bias"}),
        code="https://github.com/chuangchuangtan/NPR-DeepfakeDetection",
        licence="none stated (the repository has no licence file: all rights reserved)",
    ),
)
