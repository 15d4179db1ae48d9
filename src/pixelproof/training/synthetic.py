"""Fitting the shipped synthetic-image detector (``pixelproof/synthetic/_data``).

Data, each split by a fixed seed so that every number the benchmark reports comes from
images never fitted on nor used to choose anything:

- ``../shared/data/ai-train/sd1-diffusiondb-vs-coco`` (350 Stable Diffusion 1.x images
  in ``ai/``, 350 COCO and ImageNet photos in ``real/``): a *report* part
  (:data:`REPORT_SHARE`, :func:`split_report`) is never read here;
- ``../shared/data/photos`` (camera photos, film scans, benchmark photos): each set is
  halved (:func:`photo_split`); the *report* half is never read here, the *fit* half
  joins the reals, so that the detector sees photos of other cameras, sizes and
  subjects than COCO's and ImageNet's; each is seen in :data:`PHOTO_COPIES` random
  parity copies rather than :data:`COPIES`, because 119 photos beside 280 COCO/ImageNet
  reals were too few: the probe learned what COCO's and ImageNet's photos look like
  rather than what a photo looks like, and called the other photos generated (measured
  during development, issue 20: with the extra copies fewer held-out photos were labelled
  synthetic and calibration improved);
- ``../shared/data/ai-train/multigen-tiles`` (63 samples of SD 1/2, SDXL, SDXL-Turbo,
  FLUX.1, PixArt-alpha, Kolors, Midjourney) join the fakes for generator diversity;
- **self-made fakes** (:mod:`.synthetic_fakes`): the fit photos and every
  :data:`MADE_EVERY`-th ai-train training real sent through one of four traces of
  generation (nearest, bilinear and transposed-convolution up-sampling, and a small
  autoencoder trained here on the fit photos), one kind per photo in turn.

:func:`pixelproof.synthetic._train.train_model` splits all of it again into *fit* and
*select* (penalty choice and Platt calibration), under format parity (random
crop/resize/JPEG copies, drawn the same way for both classes). ``ai-dev`` is never
read here.

Command (from the repository root, with ``OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=avx2
MKL_CBWR=AVX2`` in the environment, as ``make reproduce`` sets them)::

    python -m pixelproof.training synthetic --out src/pixelproof/synthetic/_data

The result is deterministic: the same files give the same model, bit for bit
(``--features-cache DIR`` keeps features between runs without changing the result).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..synthetic._model import ProbeModel
from ..synthetic._train import TrainingImage, image_files, train_model
from . import synthetic_fakes

DEFAULT_SHARED = Path("..") / "shared" / "data"
DEFAULT_AI_TRAIN = DEFAULT_SHARED / "ai-train" / "sd1-diffusiondb-vs-coco"
DEFAULT_MULTIGEN = DEFAULT_SHARED / "ai-train" / "multigen-tiles"
DEFAULT_PHOTOS = DEFAULT_SHARED / "photos"
PHOTO_SETS = ("kodak24", "bsds-cbsd68", "exif-samples", "debian-wallpapers")
FIT_ONLY_PHOTO_SETS = ("set5-set14",)  # a few non-photos (a comic): never reported on
SPLIT_SEED = 2026
PHOTO_SPLIT_SEED = 7
REPORT_SHARE = 0.2
TRAIN_SEED = 0
COPIES = 2
PHOTO_COPIES = 8
MADE_EVERY = 4
MADE_AREA = 768 * 768  # sources are reduced to this many pixels before the trace


def split_report(files: list[Path], *, seed: int = SPLIT_SEED) -> tuple[list[Path], list[Path]]:
    """``(training, report)`` parts of one class's files, by a fixed seed."""
    order = np.random.default_rng(seed).permutation(len(files))
    count = round(len(files) * REPORT_SHARE)
    report = sorted(files[int(i)] for i in order[:count])
    training = sorted(files[int(i)] for i in order[count:])
    return training, report


def ai_train_files(root: Path = DEFAULT_AI_TRAIN) -> dict[str, tuple[list[Path], list[Path]]]:
    """``{"real": (training, report), "fake": (training, report)}`` of ``ai-train``."""
    return {
        "real": split_report(image_files([root / "real"])),
        "fake": split_report(image_files([root / "ai"])),
    }


def photo_files(folder: Path) -> list[Path]:
    """The images of a shared photo set, without the deliberately broken samples."""
    return [p for p in image_files([folder]) if not {"invalid", "tests"} & set(p.parts)]


def photo_split(photos: Path = DEFAULT_PHOTOS) -> tuple[list[Path], list[Path]]:
    """``(fit, report)`` halves of the shared photos, each set halved by a fixed seed;
    the sets of :data:`FIT_ONLY_PHOTO_SETS` go to fit whole."""
    fit: list[Path] = []
    report: list[Path] = []
    for name in PHOTO_SETS + FIT_ONLY_PHOTO_SETS:
        files = photo_files(photos / name)
        order = [int(i) for i in np.random.default_rng(PHOTO_SPLIT_SEED).permutation(len(files))]
        count = 0 if name in FIT_ONLY_PHOTO_SETS else len(files) // 2
        report += [files[i] for i in order[:count]]
        fit += [files[i] for i in order[count:]]
    return sorted(fit), sorted(report)


def _reduced(rgb: NDArray[np.uint8], area: int = MADE_AREA) -> NDArray[np.uint8]:
    import cv2

    height, width = rgb.shape[:2]
    factor = min(1.0, (area / (height * width)) ** 0.5)
    if factor == 1.0:
        return rgb
    size = (max(8, round(width * factor)), max(8, round(height * factor)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)


@dataclass(frozen=True)
class MadeFake:
    """A real photo turned fake by one trace of generation (:mod:`.synthetic_fakes`)."""

    source: Path
    kind: str
    autoencoder: Any = None
    autoencoder_id: str = ""

    @property
    def key(self) -> str:
        return f"{self.source}#{self.kind}#{self.autoencoder_id}"

    def pixels(self) -> NDArray[np.uint8]:
        from ..io import load_image

        rgb = _reduced(load_image(self.source).pixels)
        if self.kind == "autoencoder":
            return synthetic_fakes.reconstructed(rgb, self.autoencoder)
        return synthetic_fakes.upsampled(rgb, self.kind)


def made_fakes(sources: list[Path], training_photos: list[Path]) -> list[MadeFake]:
    """One self-made fake per source, the kinds in turn; the autoencoder is trained on
    ``training_photos``."""
    from ..io import ImageLoadError, load_image

    photos = []
    for path in training_photos:
        try:
            photos.append(_reduced(load_image(path).pixels, 512 * 512))
        except (ImageLoadError, OSError):
            continue
    autoencoder = synthetic_fakes.train_autoencoder(photos)
    identity = synthetic_fakes.weights_digest(autoencoder)
    kinds = synthetic_fakes.KINDS
    return [
        MadeFake(path, kinds[i % len(kinds)], autoencoder, identity)
        for i, path in enumerate(sources)
    ]


def fit_synthetic(
    out: Path,
    *,
    root: Path = DEFAULT_AI_TRAIN,
    multigen: Path | None = DEFAULT_MULTIGEN,
    photos: Path | None = DEFAULT_PHOTOS,
    seed: int = TRAIN_SEED,
    cache: Path | None = None,
) -> tuple[ProbeModel, dict[str, Any], list[Path]]:
    """Fit the shipped detector (see the module's docstring) and write it to ``out``.

    ``multigen`` None leaves out the extra generators; ``photos`` None the shared
    photos and every self-made fake.
    """
    parts = ai_train_files(root)
    extra = image_files([multigen]) if multigen is not None else []
    photos_fit = photo_split(photos)[0] if photos is not None else []
    made: list[MadeFake] = []
    if photos is not None:
        print("  training the autoencoder of the self-made fakes", file=sys.stderr, flush=True)
        made = made_fakes(photos_fit + parts["real"][0][::MADE_EVERY], photos_fit)

    def progress(name: str, done: int, total: int) -> None:
        if done % 50 == 0 or done == total:
            print(f"  {name}: {done}/{total}", file=sys.stderr, flush=True)

    real: list[TrainingImage] = [*parts["real"][0], *photos_fit]
    fake: list[TrainingImage] = [*parts["fake"][0], *extra, *made]
    shared_photos = set(photos_fit)

    def copies_of(item: TrainingImage) -> int:
        return PHOTO_COPIES if item in shared_photos else COPIES

    model, summary = train_model(
        real, fake, copies=COPIES, copies_of=copies_of, seed=seed, progress=progress, cache=cache
    )
    summary["data"] = {
        "ai_train": f"{root.name} (report split held out: seed {SPLIT_SEED})",
        "extra_fakes": f"{len(extra)} from {multigen.name}" if multigen else "none",
        "photos": f"{len(photos_fit)} fit photos, {PHOTO_COPIES} copies each"
        f" (report half held out: seed {PHOTO_SPLIT_SEED})"
        if photos
        else "none",
        "self_made_fakes": {k: sum(m.kind == k for m in made) for k in synthetic_fakes.KINDS},
    }
    model = ProbeModel(**{**model.__dict__, "training": summary})
    return model, summary, model.save(out)
