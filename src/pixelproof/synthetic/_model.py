"""The pixel-level detector's fitted parameters: a linear probe and its calibration.

A model is a folder of two files, never a pickle:

``probe.npz``
    ``mean``, ``scale`` (feature standardization) and ``coef`` (one weight per feature
    of :mod:`._features`), float64.
``model.json``
    ``intercept``; ``calibration`` (Platt scaling ``a``, ``b``: probability =
    sigmoid(a * raw log-odds + b)); ``thresholds`` (``synthetic``: the calibrated
    probability at and above which an image is labelled synthetic, ``real``: at and
    below which it is labelled real; in between is inconclusive); ``features`` (the
    feature set's name and length, checked against this version of the code); and
    ``training``, a free-form summary of how it was fitted.

The shipped model lives in ``pixelproof/synthetic/_data/`` and is refitted by
``python -m pixelproof.training synthetic --out DIR``; ``pixelproof train detect``
writes a user's model in the same form, read with ``pixelproof detect --model DIR``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

FEATURE_SET = "effnet-lite0-b2-4-7-10-14+spectrum+npr+noise+residual-b2-4-7-10/v2"
PROBE_FILE = "probe.npz"
MODEL_FILE = "model.json"
SHIPPED = "shipped"
SYNTHETIC_THRESHOLD = 0.7
REAL_THRESHOLD = 0.3


def label_for(probability: float, synthetic: float, real: float) -> str:
    """``synthetic`` at and above ``synthetic``, ``real`` at and below ``real``, else
    ``inconclusive``."""
    if probability >= synthetic:
        return "synthetic"
    if probability <= real:
        return "real"
    return "inconclusive"


@dataclass(frozen=True)
class ProbeModel:
    """A standardized linear probe on tile features, with its calibration."""

    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    coef: NDArray[np.float64]
    intercept: float
    platt_a: float = 1.0
    platt_b: float = 0.0
    synthetic_threshold: float = 0.5
    real_threshold: float = 0.5
    training: dict[str, Any] = field(default_factory=dict)
    name: str = field(default=SHIPPED, compare=False)
    """Which model this is, as rows report it: ``shipped`` or the folder it was read from."""
    calibrated = True

    def raw_logits(self, features: NDArray[np.float64]) -> NDArray[np.float64]:
        """Uncalibrated log-odds of each row of ``features`` (``(n, d)``)."""
        standard = (np.asarray(features, np.float64) - self.mean) / self.scale
        return np.asarray(standard @ self.coef + self.intercept, np.float64)

    def calibrated_logit(self, raw: float | NDArray[np.float64]) -> Any:
        """The calibrated log-odds of raw log-odds (Platt scaling)."""
        return self.platt_a * np.asarray(raw, np.float64) + self.platt_b

    def label(self, probability: float) -> str:
        """``synthetic``, ``real`` or ``inconclusive`` for a calibrated probability."""
        return label_for(probability, self.synthetic_threshold, self.real_threshold)

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``probe.npz`` and ``model.json`` into ``folder`` (created if needed)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / PROBE_FILE
        with probe.open("wb") as handle:
            np.savez(handle, mean=self.mean, scale=self.scale, coef=self.coef)
        meta = {
            "features": {"set": FEATURE_SET, "length": int(self.coef.size)},
            "intercept": self.intercept,
            "calibration": {"method": "platt", "a": self.platt_a, "b": self.platt_b},
            "thresholds": {"synthetic": self.synthetic_threshold, "real": self.real_threshold},
            "training": self.training,
        }
        target = folder / MODEL_FILE
        target.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return [probe, target]


if TYPE_CHECKING:
    from ._checkpoint_model import CheckpointModel

    PixelModel: TypeAlias = ProbeModel | CheckpointModel
    """The pixel detectors ``detect`` can run: pixelproof's probe or a published network."""


def _number(table: dict[str, Any], key: str) -> float:
    value = table.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"model.json: {key!r} must be a finite number")
    return float(value)


def _from_parts(probe: Any, meta: Any, name: str) -> ProbeModel:
    if not isinstance(meta, dict):
        raise ValueError("model.json: not a JSON object")
    features = meta.get("features", {})
    if not isinstance(features, dict) or features.get("set") != FEATURE_SET:
        raise ValueError(
            f"model.json: made for feature set {features.get('set')!r}, this version "
            f"computes {FEATURE_SET!r}; retrain with 'pixelproof train detect'"
        )
    arrays = {}
    for key in ("mean", "scale", "coef"):
        if key not in probe:
            raise ValueError(f"probe.npz: missing array {key!r}")
        arrays[key] = np.asarray(probe[key], dtype=np.float64).ravel()
    length = arrays["coef"].size
    if any(a.size != length for a in arrays.values()) or length != features.get("length"):
        raise ValueError("probe.npz: arrays disagree with the feature length")
    if not all(np.isfinite(a).all() for a in arrays.values()) or (arrays["scale"] <= 0).any():
        raise ValueError("probe.npz: non-finite values or non-positive scales")
    calibration = meta.get("calibration", {})
    thresholds = meta.get("thresholds", {})
    if not isinstance(calibration, dict) or not isinstance(thresholds, dict):
        raise ValueError("model.json: calibration and thresholds must be objects")
    synthetic, real = _number(thresholds, "synthetic"), _number(thresholds, "real")
    if not 0.0 < real <= synthetic < 1.0:
        raise ValueError("model.json: thresholds must satisfy 0 < real <= synthetic < 1")
    training = meta.get("training", {})
    return ProbeModel(
        mean=arrays["mean"],
        scale=arrays["scale"],
        coef=arrays["coef"],
        intercept=_number(meta, "intercept"),
        platt_a=_number(calibration, "a"),
        platt_b=_number(calibration, "b"),
        synthetic_threshold=synthetic,
        real_threshold=real,
        training=training if isinstance(training, dict) else {},
        name=name,
    )


def load_model(folder: str | Path) -> ProbeModel:
    """Read a model folder written by :meth:`ProbeModel.save`.

    Raises
    ------
    ValueError
        When a file is missing or malformed, or the model was made for other features.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / MODEL_FILE).read_text(encoding="utf-8"))
        with np.load(folder / PROBE_FILE, allow_pickle=False) as probe:
            return _from_parts(probe, meta, str(folder))
    except FileNotFoundError as exc:
        raise ValueError(
            f"{folder}: not a detector model folder ({exc.filename} missing)"
        ) from None
    except (OSError, json.JSONDecodeError, ValueError) as exc:
        raise ValueError(f"{folder}: unreadable detector model: {exc}") from None


@lru_cache(maxsize=1)
def shipped_model() -> ProbeModel:
    """The model shipped in ``pixelproof/synthetic/_data``."""
    data = resources.files(__package__).joinpath("_data")
    meta = json.loads(data.joinpath(MODEL_FILE).read_text(encoding="utf-8"))
    with data.joinpath(PROBE_FILE).open("rb") as handle, np.load(handle) as probe:
        return _from_parts(probe, meta, SHIPPED)


def is_checkpoint_spec(setting: str) -> bool:
    """Whether a model setting names a published checkpoint (``KIND:PATH`` of a known
    kind) rather than a model folder."""
    from .checkpoints import CHECKPOINT_KINDS

    kind, colon, _ = setting.partition(":")
    return bool(colon) and kind.strip().lower() in CHECKPOINT_KINDS and not Path(setting).is_dir()


@lru_cache(maxsize=4)
def model_from(setting: str | None) -> PixelModel:
    """The pixel detector a ``synthetic_model`` setting names (kept once per process).

    None: the shipped probe; a folder: a probe written by ``pixelproof train detect``;
    ``KIND:PATH``: a published checkpoint (:mod:`._checkpoint_model`), read on first use.

    Raises
    ------
    ValueError
        For a folder that is not a model, or a malformed ``KIND:PATH``.
    """
    if setting is None:
        return shipped_model()
    if is_checkpoint_spec(setting):
        from ._checkpoint_model import CheckpointModel
        from .checkpoints import parse_checkpoint_spec

        return CheckpointModel(parse_checkpoint_spec(setting))
    return load_model(setting)
