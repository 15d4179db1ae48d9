"""Published checkpoints: files in the authors' layouts load and score like the network.

No published weights are used (pixelproof never downloads any): randomly initialised
networks of the same architecture are saved the way CNNDetection's and NPR's scripts
save them, read back through :func:`load_checkpoint`, and must give the same output as
the network in memory on the same preprocessed image.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the checkpoints extra")

from pixelproof.synthetic.checkpoints import (  # noqa: E402
    CHECKPOINT_KINDS,
    CheckpointError,
    CheckpointKind,
    load_checkpoint,
    network_input,
    parse_checkpoint_spec,
)
from pixelproof.synthetic.checkpoints._resnet import (  # noqa: E402
    CNNDetectionNet,
    NPRNet,
    neighbouring_pixel_residual,
)

RNG = np.random.default_rng(20)
IMAGES = [RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(2)]


def randomised(network: Any, seed: int) -> Any:
    """The network with every weight and batch-norm statistic random, in eval mode.

    Convolutions get He-scaled noise and each block's last batch norm a small scale, so
    fifty layers keep the activations finite; every tensor differs from its default.
    """
    generator = torch.Generator().manual_seed(seed)

    def noise(value: Any) -> Any:
        return torch.randn(value.shape, generator=generator)

    with torch.no_grad():
        for name, module in network.named_modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.copy_(noise(module.weight) * (2.0 / module.weight[0].numel()) ** 0.5)
            elif isinstance(module, torch.nn.BatchNorm2d):
                scale = 0.2 if name.endswith("bn3") else 1.0
                module.weight.copy_(scale * (1.0 + 0.1 * noise(module.weight)))
                module.bias.copy_(0.1 * noise(module.bias))
                module.running_mean.copy_(0.1 * noise(module.running_mean))
                module.running_var.copy_(1.0 + 0.2 * noise(module.running_var).abs())
                module.num_batches_tracked.fill_(1000)
            elif isinstance(module, torch.nn.Linear):
                module.weight.copy_(noise(module.weight) / module.weight.shape[1] ** 0.5)
                module.bias.copy_(0.1 * noise(module.bias))
    return network.eval()


def torchvision_resnet_keys(stages: list[int], head: str) -> list[str]:
    """The state-dict keys torchvision's ResNet naming gives, spelled out independently."""
    norm = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    keys = ["conv1.weight", *(f"bn1.{n}" for n in norm)]
    for stage, blocks in enumerate(stages, start=1):
        for block in range(blocks):
            prefix = f"layer{stage}.{block}"
            for i in (1, 2, 3):
                keys += [f"{prefix}.conv{i}.weight", *(f"{prefix}.bn{i}.{n}" for n in norm)]
            if block == 0:
                keys += [f"{prefix}.downsample.0.weight"]
                keys += [f"{prefix}.downsample.1.{n}" for n in norm]
    return [*keys, f"{head}.weight", f"{head}.bias"]


def parameter_count(network: Any) -> int:
    return sum(p.numel() for p in network.parameters())


def test_cnndetection_is_torchvisions_resnet50_with_one_logit() -> None:
    network = CNNDetectionNet()
    assert sorted(network.state_dict()) == sorted(torchvision_resnet_keys([3, 4, 6, 3], "fc"))
    assert len(network.state_dict()) == 320  # len(torchvision.models.resnet50().state_dict())
    # torchvision's resnet50 has 25,557,032 parameters; its 1000-way fc has 2,049,000.
    assert parameter_count(network) == 25_557_032 - 2_049_000 + 2_049
    assert network.conv1.kernel_size == (7, 7)
    assert network.layer2[0].conv2.stride == (2, 2)  # v1.5: the stride on the 3x3
    assert network.layer2[0].conv1.stride == (1, 1)


def test_npr_keeps_two_stages_a_3x3_stem_and_fc1() -> None:
    network = NPRNet()
    assert sorted(network.state_dict()) == sorted(torchvision_resnet_keys([3, 4], "fc1"))
    # 3x3 stem + its batch norm, resnet50's layer1 and layer2 (215,808 and 1,219,584), fc1.
    assert parameter_count(network) == 1_728 + 128 + 215_808 + 1_219_584 + 513
    assert (network.conv1.kernel_size, network.conv1.stride) == ((3, 3), (2, 2))
    with torch.inference_mode():
        assert network.eval().trunk(torch.zeros(1, 3, 64, 64)).shape == (1, 512, 8, 8)


def reference_logit(network: Any, rgb: np.ndarray[Any, Any]) -> float:
    with torch.inference_mode():
        return float(network(torch.from_numpy(network_input(rgb)))[0, 0])


@pytest.fixture(scope="module")
def cnndetection() -> Any:
    return randomised(CNNDetectionNet(), seed=1)


@pytest.fixture(scope="module")
def npr() -> Any:
    return randomised(NPRNet(), seed=2)


@pytest.fixture(scope="module")
def cnndetection_file(cnndetection: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """As CNNDetection's ``save_networks``: model, Adam state and step count."""
    path = tmp_path_factory.mktemp("ckpt") / "blur_jpg_prob0.5.pth"
    optimizer = torch.optim.Adam(cnndetection.fc.parameters())
    cnndetection.fc(torch.zeros(1, 2048)).sum().backward()
    optimizer.step()
    content = {
        "model": cnndetection.state_dict(),
        "optimizer": optimizer.state_dict(),
        "total_steps": 1234,
    }
    torch.save(content, path)
    return path


def test_cnndetection_file_scores_like_the_network(
    cnndetection: Any, cnndetection_file: Path
) -> None:
    detector = load_checkpoint("cnndetection", cnndetection_file)
    assert detector.name == "cnndetection"
    logits = [detector.logit(rgb) for rgb in IMAGES]
    assert logits == [reference_logit(cnndetection, rgb) for rgb in IMAGES]
    assert logits[0] != logits[1]  # the weights are used, not a constant
    probability = detector.probability(IMAGES[0])
    assert probability == pytest.approx(1 / (1 + np.exp(-logits[0])), rel=1e-12)
    assert 0.0 < probability < 1.0


def test_the_preprocessing_is_the_published_one(cnndetection: Any) -> None:
    # torchvision's ToTensor + Normalize written with torch ops, as the authors' scripts run.
    rgb = IMAGES[0]
    tensor = torch.from_numpy(rgb).permute(2, 0, 1).float().div(255)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    expected = tensor.sub(mean).div(std)[None]
    assert torch.equal(torch.from_numpy(network_input(rgb)), expected)


def test_centre_crop_scores_the_central_square(cnndetection: Any, cnndetection_file: Path) -> None:
    detector = load_checkpoint("cnndetection", cnndetection_file, crop=32)
    assert detector.logit(IMAGES[0]) == reference_logit(cnndetection, IMAGES[0][16:48, 16:48])


def test_reads_the_legacy_serialisation(cnndetection: Any, tmp_path: Path) -> None:
    path = tmp_path / "old.pth"  # torch < 1.6 wrote this format (2020 releases)
    torch.save({"model": cnndetection.state_dict()}, path, _use_new_zipfile_serialization=False)
    detector = load_checkpoint("cnndetection", path)
    assert detector.logit(IMAGES[1]) == reference_logit(cnndetection, IMAGES[1])


def _npr_layouts(state: dict[str, Any]) -> dict[str, object]:
    unused_head = {"fc.weight": torch.zeros(1, 2048), "fc.bias": torch.zeros(1)}
    return {
        # NPR.pth as released: under "model", keys with DataParallel's prefix.
        "released": {"model": {f"module.{key}": value for key, value in state.items()}},
        "bare": state,  # what test.py loads directly
        "trainer": {**state, **unused_head},  # save_networks() with the trainer's unused fc
    }


@pytest.mark.parametrize("layout", ["released", "bare", "trainer"])
def test_npr_file_scores_like_the_network(npr: Any, tmp_path: Path, layout: str) -> None:
    path = tmp_path / "NPR.pth"
    torch.save(_npr_layouts(npr.state_dict())[layout], path)
    detector = load_checkpoint("npr", path)
    logits = [detector.logit(rgb) for rgb in IMAGES]
    assert logits == [reference_logit(npr, rgb) for rgb in IMAGES]
    assert logits[0] != logits[1]


def test_npr_residual_is_each_pixel_minus_its_2x2_blocks_top_left() -> None:
    x = torch.from_numpy(RNG.normal(size=(1, 3, 6, 8)).astype(np.float32))
    top_left = x[..., ::2, ::2].repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert torch.equal(neighbouring_pixel_residual(x), x - top_left)
    odd = torch.from_numpy(RNG.normal(size=(1, 3, 7, 9)).astype(np.float32))
    assert torch.equal(
        neighbouring_pixel_residual(odd), neighbouring_pixel_residual(odd[..., :6, :8])
    )


def test_npr_drops_the_last_row_and_column_of_odd_images(npr: Any, tmp_path: Path) -> None:
    path = tmp_path / "NPR.pth"
    torch.save(npr.state_dict(), path)
    detector = load_checkpoint("npr", path)
    odd = RNG.integers(0, 256, (65, 63, 3), dtype=np.uint8)
    assert detector.logit(odd) == detector.logit(odd[:64, :62])
    with pytest.raises(ValueError, match="at least 2 pixels"):
        detector.logit(odd[:1])


def test_a_file_of_the_other_architecture_names_the_keys_and_the_kind_it_fits(
    npr: Any, cnndetection_file: Path, tmp_path: Path
) -> None:
    path = tmp_path / "NPR.pth"
    torch.save(_npr_layouts(npr.state_dict())["released"], path)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint("cnndetection", path)
    message = str(caught.value)
    assert "not a cnndetection checkpoint: 147 missing (fc.bias, fc.weight, layer3." in message
    assert "2 unexpected (fc1.bias, fc1.weight)" in message
    assert "1 shape (conv1.weight (64, 3, 3, 3) instead of (64, 3, 7, 7))" in message
    assert message.endswith(f"it fits npr: use npr:{path}")
    with pytest.raises(CheckpointError, match=r"not a npr checkpoint: .*it fits cnndetection"):
        load_checkpoint("npr", cnndetection_file)


def test_a_missing_key_is_named(cnndetection: Any, tmp_path: Path) -> None:
    state = dict(cnndetection.state_dict())
    del state["layer4.2.bn3.running_var"]
    path = tmp_path / "cut.pth"
    torch.save({"model": state}, path)
    with pytest.raises(CheckpointError, match=r"1 missing \(layer4\.2\.bn3\.running_var\)$"):
        load_checkpoint("cnndetection", path)


def test_batch_norm_counters_may_be_absent(cnndetection: Any, tmp_path: Path) -> None:
    state = {k: v for k, v in cnndetection.state_dict().items() if "num_batches" not in k}
    path = tmp_path / "pre041.pth"
    torch.save(state, path)
    assert load_checkpoint("cnndetection", path).logit(IMAGES[0]) == reference_logit(
        cnndetection, IMAGES[0]
    )


class _Payload:
    """Unpickling it would create ``marker``: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_pickle_that_would_run_code_is_refused_unrun(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pth"
    torch.save({"model": {"conv1.weight": torch.zeros(1)}, "extra": _Payload(marker)}, path)
    with pytest.raises(CheckpointError, match=r"refused: .*\(Unsupported global: GLOBAL io\.open"):
        load_checkpoint("cnndetection", path)
    assert not marker.exists()
    with path.open("wb") as file:  # a bare pickle, not even torch's format
        pickle.dump(_Payload(marker), file, protocol=2)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint("npr", path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"total_steps": 3, "model": {"a": 1}}, "no state_dict in the checkpoint"),
        ([torch.zeros(3)], "no state_dict in the checkpoint"),
        (b"not a checkpoint at all", r"not a readable PyTorch checkpoint \(Unsupported operand"),
        (b"PK\x03\x04 a broken zip", "not a readable PyTorch checkpoint"),
    ],
)
def test_what_is_not_a_state_dict_is_an_error(
    tmp_path: Path, content: object, message: str
) -> None:
    path = tmp_path / "x.pth"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint("npr", path)


def test_missing_files_and_folders_are_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="cannot read the checkpoint"):
        load_checkpoint("npr", tmp_path / "absent.pth")
    with pytest.raises(CheckpointError, match="not a regular file"):
        load_checkpoint("npr", tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda w: w.index_fill(0, torch.tensor([0]), float("nan")), "holds non-finite values"),
        (lambda w: w.to(torch.int64), "holds torch.int64, not floating point"),
        (lambda w: w.to_sparse(), "is a torch.sparse_coo tensor, not a dense one"),
    ],
)
def test_weights_that_cannot_run_are_refused(
    npr: Any, tmp_path: Path, change: Callable[[Any], Any], message: str
) -> None:
    state = dict(npr.state_dict())
    state["layer2.1.conv2.weight"] = change(state["layer2.1.conv2.weight"])
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=rf"layer2\.1\.conv2\.weight {message}"):
        load_checkpoint("npr", path)


def test_a_detector_pickles_as_its_file_not_its_weights(cnndetection_file: Path) -> None:
    detector = load_checkpoint("cnndetection", cnndetection_file, crop=48)
    data = pickle.dumps(detector)
    assert len(data) < 1000
    clone = pickle.loads(data)
    assert (clone.name, clone.path, clone.crop) == ("cnndetection", cnndetection_file, 48)
    assert clone.probability(IMAGES[1]) == detector.probability(IMAGES[1])
    assert pickle.loads(data) is clone  # the runner pickles per input: no reload per image


def _tiny_net(outputs: int = 1) -> Any:
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, outputs, kernel_size=1),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    )


def _plug_in(name: str, build: Callable[[], Any]) -> CheckpointKind:
    kind = CheckpointKind(
        name=name,
        title="a one-convolution detector",
        build=build,
        crop=8,
        min_side=1,
        unused_keys=frozenset(),
        code="https://example.org/tiny",
        licence="test only",
    )
    return CHECKPOINT_KINDS.register(name, kind)


def test_a_plugged_in_kind_loads_like_the_published_ones(tmp_path: Path) -> None:
    network = _tiny_net().eval()
    path = tmp_path / "tiny.pth"
    torch.save({"state_dict": network.state_dict()}, path)
    _plug_in("tiny", _tiny_net)
    try:
        detector = load_checkpoint("tiny", path)
        assert detector.crop == 8  # the kind's default crop
        assert detector.logit(IMAGES[0]) == reference_logit(network, IMAGES[0][28:36, 28:36])
    finally:
        CHECKPOINT_KINDS.unregister("tiny")


def test_a_network_with_more_than_one_output_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pair.pth"
    torch.save(_tiny_net(outputs=2).state_dict(), path)
    _plug_in("pair", lambda: _tiny_net(outputs=2))
    try:
        with pytest.raises(ValueError, match="pair: the network gives 2 values, not 1"):
            load_checkpoint("pair", path).probability(IMAGES[0])
    finally:
        CHECKPOINT_KINDS.unregister("pair")


def test_reads_a_safetensors_conversion(npr: Any, tmp_path: Path) -> None:
    safetensors = pytest.importorskip("safetensors.torch")
    path = tmp_path / "NPR.safetensors"
    state = {f"module.{key}": value.contiguous() for key, value in npr.state_dict().items()}
    safetensors.save_file(state, str(path))
    assert load_checkpoint("npr", path).logit(IMAGES[0]) == reference_logit(npr, IMAGES[0])
    path.write_bytes(b"\xff" * 64)
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_checkpoint("npr", path)


def test_a_spec_loads_once_per_process_until_the_file_changes(npr: Any, tmp_path: Path) -> None:
    path = tmp_path / "NPR.pth"
    torch.save(npr.state_dict(), path)
    spec = parse_checkpoint_spec(f"npr:{path}")
    first = spec.load()
    assert spec.load() is first
    torch.save(randomised(NPRNet(), seed=3).state_dict(), path)  # a new file, new size/time
    os.utime(path, ns=(1, 1))
    second = spec.load()
    assert second is not first
    assert second.logit(IMAGES[0]) != first.logit(IMAGES[0])
