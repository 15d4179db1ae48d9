"""Published synthetic-image detectors run from the user's own checkpoint files.

A user who has downloaded the authors' weights names them as ``KIND:PATH``
(:func:`parse_checkpoint_spec`) and gets a detector whose ``probability(rgb)`` is the
authors' score with the authors' preprocessing (:func:`load_checkpoint`):

- ``cnndetection``: Wang et al., "CNN-generated images are surprisingly easy to spot...
  for now", CVPR 2020: torchvision's ResNet-50 with a one-logit head
  (``blur_jpg_prob0.5.pth``, ``blur_jpg_prob0.1.pth``);
- ``npr``: Tan et al., "Rethinking the Up-Sampling Operations in CNN-based Generative
  Network for Generalizable Deepfake Detection", CVPR 2024 (``NPR.pth``).

pixelproof ships no weights and never downloads any. Files are read with torch's
weights-only unpickler, never a full unpickle. Needs torch (``pixelproof[checkpoints]``),
imported on first load, not by this package. More kinds plug in through the
``pixelproof.checkpoint_kinds`` entry-point group.
"""

from ._kinds import CHECKPOINT_KINDS, CheckpointKind
from ._load import (
    MAX_CHECKPOINT_BYTES,
    CheckpointDetector,
    CheckpointError,
    key_problems,
    load_checkpoint,
    read_state_dict,
    shared_checkpoint,
)
from ._preprocess import IMAGENET_MEAN, IMAGENET_STD, center_crop, network_input
from ._spec import CheckpointSpec, parse_checkpoint_spec

__all__ = [
    "CHECKPOINT_KINDS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MAX_CHECKPOINT_BYTES",
    "CheckpointDetector",
    "CheckpointError",
    "CheckpointKind",
    "CheckpointSpec",
    "center_crop",
    "key_problems",
    "load_checkpoint",
    "network_input",
    "parse_checkpoint_spec",
    "read_state_dict",
    "shared_checkpoint",
]
