"""The two published detectors' networks, with torchvision's module names.

Both detectors were trained with torchvision's ResNet code, so their checkpoints are
keyed the torchvision way (``layer1.0.conv2.weight``, ``layer2.0.downsample.1.running_var``).
The modules here are named and nested identically, so those files load unchanged; the
layers are written from the architecture's description, not copied: a bottleneck block
is 1x1 -> 3x3 -> 1x1 convolutions with batch norm, the stride on the 3x3 convolution
(torchvision's "ResNet v1.5"), and a 1x1 convolution + batch norm shortcut (``downsample``)
where the shape changes.

Imported only when a checkpoint is loaded: it needs torch (the ``checkpoints`` extra).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 (torch's own convention)
from torch import nn

_EXPANSION = 4  # a bottleneck's output has 4x the channels of its 3x3 convolution


class Bottleneck(nn.Module):
    """One residual block: ``relu(bn3(conv3(...conv1(x))) + shortcut(x))``."""

    def __init__(self, in_channels: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out_channels = width * _EXPANSION
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Sequential | None = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        out: torch.Tensor = self.relu(y + shortcut)
        return out


def _stage(in_channels: int, width: int, blocks: int, stride: int) -> nn.Sequential:
    """``blocks`` bottlenecks; the first one changes the resolution and the channels."""
    rest = [Bottleneck(width * _EXPANSION, width) for _ in range(blocks - 1)]
    return nn.Sequential(Bottleneck(in_channels, width, stride), *rest)


class _Trunk(nn.Module):
    """The stem and the first two stages, which both detectors share.

    A stride-2 convolution (``stem_kernel`` x ``stem_kernel``), batch norm, max pooling,
    then 3 and 4 bottlenecks: 512 channels at 1/8 of the input's resolution.
    """

    def __init__(self, stem_kernel: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(
            3, 64, kernel_size=stem_kernel, stride=2, padding=stem_kernel // 2, bias=False
        )
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = _stage(64, 64, blocks=3, stride=1)
        self.layer2 = _stage(256, 128, blocks=4, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        out: torch.Tensor = self.layer2(self.layer1(x))
        return out


class CNNDetectionNet(_Trunk):
    """ResNet-50 with a one-logit head (Wang et al., CVPR 2020).

    torchvision's ``resnet50`` with ``fc`` replaced by ``Linear(2048, 1)``: a 7x7 stride-2
    stem, max pooling, four stages of 3, 4, 6 and 3 bottlenecks, global average pooling.
    """

    def __init__(self) -> None:
        super().__init__(stem_kernel=7)
        self.layer3 = _stage(512, 256, blocks=6, stride=2)
        self.layer4 = _stage(1024, 512, blocks=3, stride=2)
        self.fc = nn.Linear(2048, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer4(self.layer3(self.trunk(x)))
        logit: torch.Tensor = self.fc(torch.flatten(self.avgpool(x), 1))
        return logit


def neighbouring_pixel_residual(x: torch.Tensor) -> torch.Tensor:
    """``x`` minus its nearest-neighbour 2x down- then up-sampling (NPR, Tan et al. 2024).

    Each 2x2 block keeps its differences to its top-left pixel: the local correlation
    that generators' up-sampling layers leave. Odd heights and widths lose their last
    row or column (the published code fails on them).
    """
    height, width = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[..., :height, :width]
    down = F.interpolate(x, scale_factor=0.5, mode="nearest", recompute_scale_factor=True)
    up = F.interpolate(down, scale_factor=2.0, mode="nearest", recompute_scale_factor=True)
    return x - up


class NPRNet(_Trunk):
    """NPR's classifier: the residual through a truncated ResNet-50 (Tan et al., CVPR 2024).

    A 3x3 stride-2 stem (not ResNet's 7x7), max pooling, only the first two stages
    (3 and 4 bottlenecks, 512 channels out), global average pooling and ``fc1 =
    Linear(512, 1)``. The residual is scaled by 2/3 before the stem, as published.
    """

    def __init__(self) -> None:
        super().__init__(stem_kernel=3)
        self.fc1 = nn.Linear(512, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.trunk(neighbouring_pixel_residual(x) * 2.0 / 3.0)
        logit: torch.Tensor = self.fc1(torch.flatten(self.avgpool(x), 1))
        return logit
