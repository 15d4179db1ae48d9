"""Self-made fakes: real photos passed through the parts of a generator that leave traces.

Published detectors that generalize do not learn one generator's look but the traces
that the last stages of nearly every generator leave: the up-sampling of a decoder
(Tan et al., NPR, CVPR 2024: nearest, bilinear and transposed-convolution up-sampling
correlate neighbouring pixels in a way cameras do not) and the reconstruction by an
autoencoder (Ricker et al., AEROBLADE, CVPR 2024; "Detecting AutoEncoder is Enough",
2024: latent-diffusion images are decoded by a VAE, so a photo sent through a small
autoencoder carries the same kind of trace with none of a generator's content). Made
from real photos, these fakes share their content with the reals, so the only thing
that tells them apart is the trace.

Kinds (:data:`KINDS`):

- ``nearest``, ``bilinear``: the photo halved (area averaging) and brought back by
  nearest-neighbour or bilinear up-sampling;
- ``checkerboard``: halved, then up-sampled as a transposed convolution does
  (zero insertion and a fixed 3x3 kernel with uneven overlap), the cause of the
  checkerboard artefacts of GAN and decoder outputs;
- ``autoencoder``: reconstructed by :class:`TinyAutoencoder`, a small convolutional
  autoencoder (4x down-sampling to 8 channels, decoded by nearest up-sampling and a
  transposed convolution, as latent-diffusion VAE decoders do), trained here on the
  *fit* photos only, single-threaded and seeded so that the same photos give the same
  weights bit for bit, on any x86-64 processor with AVX2 (with the settings below).

Training a network is chaotic: a last-bit difference in one step grows over hundreds
of steps. PyTorch picks its kernels by processor (oneDNN's and MKL's code for AVX-512
gives other roundings than their AVX2 code), and a refit of the shipped detector on a
machine with AVX-512 made another autoencoder, other fakes and a different model
(measured, issue 20). So the autoencoder runs without oneDNN and with PyTorch's and
MKL's AVX2 code paths, which every such processor has and which MKL keeps numerically
identical across processors (its conditional numerical reproducibility mode); those
settings are environment variables read when PyTorch and MKL start, so they are given
on the command line (``ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 python -m
pixelproof.training ...``; ``make reproduce`` does), like the single BLAS thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

KINDS = ("nearest", "bilinear", "checkerboard", "autoencoder")
PATCH = 64
AE_STEPS = 600
AE_BATCH = 16
AE_SEED = 0
# A 3-tap stride-2 kernel whose taps do not sum to the same gain on both phases: even
# pixels get 1, odd ones 2 x 0.48; normalized by the odd gain, a +-4% checkerboard.
_TAPS = np.array([0.48, 1.0, 0.48])
_CHECKERBOARD_KERNEL = np.outer(_TAPS, _TAPS) / (2 * _TAPS[0]) ** 2 * (2 * _TAPS[0])


def _half(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    import cv2

    height, width = rgb.shape[:2]
    size = (max(8, width // 2), max(8, height // 2))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)


def _checkerboard(small: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Zero insertion then a 3x3 kernel: a stride-2 transposed convolution whose
    kernel overlaps unevenly, so the phases of each 2x2 block get different gains."""
    import cv2

    height, width = small.shape[:2]
    sparse = np.zeros((2 * height, 2 * width, 3), np.float64)
    sparse[::2, ::2] = small
    up = cv2.filter2D(sparse, -1, _CHECKERBOARD_KERNEL, borderType=cv2.BORDER_REFLECT_101)
    return np.asarray(np.clip(np.rint(up), 0, 255), np.uint8)


def upsampled(rgb: NDArray[np.uint8], kind: str) -> NDArray[np.uint8]:
    """``rgb`` halved and up-sampled back by ``kind`` (``nearest``, ``bilinear``,
    ``checkerboard``)."""
    import cv2

    small = _half(rgb)
    if kind == "checkerboard":
        return _checkerboard(small)
    height, width = small.shape[:2]
    flag = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR}[kind]
    return np.asarray(cv2.resize(small, (2 * width, 2 * height), interpolation=flag), np.uint8)


def _autoencoder_class() -> Any:
    from torch import nn

    class TinyAutoencoder(nn.Module):
        """4x down-sampling to 8 latent channels; a VAE-decoder-like up-sampling path."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Sequential(
                nn.Conv2d(3, 32, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(32, 48, 4, stride=2, padding=1),
                nn.ReLU(),
                nn.Conv2d(48, 64, 4, stride=2, padding=1),
                nn.ReLU(),
                nn.Conv2d(64, 8, 3, padding=1),
            )
            self.decoder = nn.Sequential(
                nn.Conv2d(8, 64, 3, padding=1),
                nn.ReLU(),
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.Conv2d(64, 48, 3, padding=1),
                nn.ReLU(),
                nn.ConvTranspose2d(48, 32, 4, stride=2, padding=1),
                nn.ReLU(),
                nn.Conv2d(32, 3, 3, padding=1),
            )

        def forward(self, x: Any) -> Any:
            return self.decoder(self.encoder(x))

    return TinyAutoencoder


@contextmanager
def _without_onednn() -> Iterator[None]:
    """PyTorch's own convolutions instead of oneDNN's, whose code is chosen by processor.

    (``torch.backends.mkldnn.flags`` would do it too, with a warning about GPUs.)
    """
    import torch

    enabled = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False  # type: ignore[assignment]
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = enabled


def train_autoencoder(photos: Sequence[NDArray[np.uint8]], *, steps: int = AE_STEPS) -> Any:
    """A :class:`TinyAutoencoder` fitted on random patches of ``photos`` (seeded, one
    thread: the same photos give the same weights)."""
    import warnings

    import torch

    if torch.backends.cpu.get_cpu_capability() != "AVX2":
        warnings.warn(
            "PyTorch runs without its AVX2 kernels (ATEN_CPU_CAPABILITY=avx2 "
            "MKL_CBWR=AVX2, as make reproduce sets them): this autoencoder may differ "
            "from one trained on another processor",
            RuntimeWarning,
            stacklevel=2,
        )
    torch.set_num_threads(1)
    torch.manual_seed(AE_SEED)
    rng = np.random.default_rng(AE_SEED)
    model = _autoencoder_class()()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    usable = [p for p in photos if min(p.shape[:2]) >= PATCH]
    with _without_onednn():
        for _ in range(steps):
            batch = []
            for index in rng.integers(0, len(usable), AE_BATCH):
                photo = usable[int(index)]
                top = int(rng.integers(0, photo.shape[0] - PATCH + 1))
                left = int(rng.integers(0, photo.shape[1] - PATCH + 1))
                batch.append(photo[top : top + PATCH, left : left + PATCH])
            x = torch.from_numpy(np.stack(batch).transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
            loss = torch.nn.functional.l1_loss(model(x), x)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    model.eval()
    return model


def reconstructed(rgb: NDArray[np.uint8], model: Any) -> NDArray[np.uint8]:
    """``rgb`` sent through the autoencoder (sides cut to multiples of 4)."""
    import torch

    height, width = rgb.shape[0] // 4 * 4, rgb.shape[1] // 4 * 4
    x = torch.from_numpy(rgb[:height, :width].transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
    with torch.inference_mode(), _without_onednn():
        y = model(x)[0].numpy().transpose(1, 2, 0)
    return np.asarray(np.clip(np.rint(y * 255.0), 0, 255), np.uint8)


def weights_digest(model: Any) -> str:
    """SHA-256 of the autoencoder's weights (names the fakes it made in caches)."""
    import hashlib

    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode("utf-8"))
        digest.update(value.detach().numpy().tobytes())
    return digest.hexdigest()
