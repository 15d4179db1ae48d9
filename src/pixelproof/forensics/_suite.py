"""The registry of analyses and the full forensic analysis of one image."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..registry import Registry
from ._context import ImageContext, ImageInput, as_context
from ._result import ForensicResult, empty_result

AnalysisFunction = Callable[[ImageContext], ForensicResult]


@dataclass(frozen=True)
class Analysis:
    """One registered analysis: its title and where its function lives.

    The function's module is imported on first use (:meth:`load`), so listing the
    analyses costs nothing.
    """

    title: str
    module: str
    function: str

    def load(self) -> AnalysisFunction:
        """The analysis function (imports its module)."""
        import importlib

        module = importlib.import_module(self.module, __package__)
        function: AnalysisFunction = getattr(module, self.function)
        return function


ANALYSES: Registry[Analysis] = Registry("analysis")
"""Every forensic analysis by name, in the order they run."""


def _add(name: str, title: str, module: str, function: str) -> None:
    ANALYSES.register(name, Analysis(title, module, function))


_add("ela", "Error level analysis", "._ela", "ela_analysis")
_add("noise", "Noise-level inconsistency", "._noise", "noise_analysis")
_add("dq", "Double JPEG compression (aligned)", "._dq", "dq_analysis")
_add(
    "grid",
    "Block-artifact grid (non-aligned double JPEG, grid misalignment)",
    "._grid",
    "grid_analysis",
)
_add("ghost", "JPEG ghosts", "._ghost", "ghost_analysis")
_add("cfa", "Demosaicing (CFA) inconsistency", "._cfa", "cfa_analysis")
_add("copymove", "Copy-move", "._copymove", "copymove_analysis")
_add("resampling", "Resampling traces", "._resampling", "resampling_analysis")
_add(
    "recolor",
    "Recolouring (colours foreign to the scene, inter-channel coupling)",
    "._recolor",
    "recolor_analysis",
)
_add(
    "appearance",
    "Learned appearance of edits (pretrained network, model fitted on forgeries)",
    "._appearance",
    "appearance_analysis",
)
_add("quality", "JPEG quality and encoder signature", "._quality", "quality_analysis")

# Analyses of traces at the native pixel level (JPEG blocks, demosaicing,
# interpolation) cost time in proportion to the image; above this many pixels they
# are skipped (downscaling would erase the traces they look for) and the others run
# on a reduced copy.
MAX_NATIVE_PIXELS = 4_500_000
_NATIVE = frozenset({"ela", "ghost", "grid", "cfa", "resampling"})
_REDUCIBLE = frozenset({"noise", "recolor"})

# The fused score of a flat graphic, where the analyses of photographs step aside.
GRAPHIC_SCORE = 0.5
# On a flat graphic (ImageContext.flat_graphic) every analysis but the quantization
# tables' reading compares photographic texture, noise or compression of natural
# content, and fires on flat colour, sharp edges and repeated shapes: they step aside.
_PHOTOGRAPHIC = frozenset(ANALYSES.names()) - {"quality"}

TITLES: dict[str, str] = {name: analysis.title for name, analysis in ANALYSES.items()}


def available_analyses() -> tuple[str, ...]:
    """Names of every forensic analysis, in the order they run."""
    return ANALYSES.names()


def get_analysis(name: str) -> AnalysisFunction:
    """The function of one analysis by name.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if name not in ANALYSES:
        raise ValueError(f"unknown analysis {name!r}; choose from {ANALYSES.known()}")
    return ANALYSES.get(name).load()


def check_analyses(names: Iterable[str] | None) -> tuple[str, ...]:
    """Validate a selection of analyses (None = all), keeping the registry order."""
    if names is None:
        return available_analyses()
    wanted = [n.strip() for n in names if n.strip()]
    unknown = [n for n in wanted if n not in ANALYSES]
    if unknown:
        raise ValueError(
            f"unknown analysis {', '.join(repr(n) for n in unknown)}; "
            f"choose from {ANALYSES.known()}"
        )
    if not wanted:
        raise ValueError(f"no analysis selected; choose from {ANALYSES.known()}")
    return tuple(n for n in ANALYSES.names() if n in wanted)


@dataclass(frozen=True)
class ForensicReport:
    """All analyses of one image and their fusion.

    Attributes
    ----------
    score : float
        Calibrated probability that the image was manipulated, in [0, 1].
    label : str
        ``"manipulated"``, ``"inconclusive"`` or ``"authentic"`` (no evidence found:
        this does not prove that the image is unedited).
    fused : ForensicResult
        The fused localization map (name ``"fused"``) with the score and an
        explanation naming the analyses that contributed.
    results : dict of str to ForensicResult
        Each analysis's own result, by name.
    elapsed_ms : dict of str to float
        Time taken by each analysis.
    """

    score: float
    label: str
    fused: ForensicResult
    results: dict[str, ForensicResult]
    elapsed_ms: dict[str, float] = field(default_factory=dict)

    @property
    def heatmap(self) -> NDArray[np.float32]:
        return self.fused.heatmap

    @property
    def explanation(self) -> str:
        return self.fused.explanation


def run_analyses(
    image: ImageInput,
    *,
    analyses: Iterable[str] | None = None,
    done: Mapping[str, ForensicResult] | None = None,
) -> tuple[dict[str, ForensicResult], dict[str, float]]:
    """Run the selected analyses (all by default) on one image.

    ``done`` holds results already computed for this image, which are reused.
    Returns the results and the time each took (ms).
    """
    context = as_context(image)
    names = check_analyses(analyses)
    results: dict[str, ForensicResult] = {}
    times: dict[str, float] = {}
    width, height = context.size
    large = width * height > MAX_NATIVE_PIXELS
    reduced: ImageContext | None = None
    graphic = any(n in _PHOTOGRAPHIC for n in names) and context.flat_graphic[0]
    for name in names:
        if done is not None and name in done:
            results[name] = done[name]
            continue
        started = time.perf_counter()
        if graphic and name in _PHOTOGRAPHIC:
            results[name] = empty_result(
                name,
                context.size,
                "Stepped aside: the image is a flat graphic (a drawing, chart, screenshot or "
                "flat render, mostly areas of one colour), and this analysis compares the "
                "texture, noise or compression of photographs.",
                graphic=True,
            )
        elif large and name in _NATIVE:
            results[name] = empty_result(
                name,
                context.size,
                f"Skipped: the image has more than {MAX_NATIVE_PIXELS / 1e6:.1f} megapixels, "
                "and this analysis needs full resolution.",
            )
        elif large and name in _REDUCIBLE:
            reduced = reduced or _reduced(context)
            found = get_analysis(name)(reduced)
            results[name] = replace(
                found, image_size=context.size, details={**found.details, "reduced": True}
            )
        else:
            results[name] = get_analysis(name)(context)
        times[name] = (time.perf_counter() - started) * 1000.0
    return results, times


def _reduced(context: ImageContext) -> ImageContext:
    """A copy of at most MAX_NATIVE_PIXELS / 2 pixels (area-averaged, no JPEG data)."""
    from ._common import require_cv2

    cv2 = require_cv2()
    width, height = context.size
    factor = float(np.sqrt(MAX_NATIVE_PIXELS / 2 / (width * height)))
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return ImageContext(cv2.resize(context.pixels, size, interpolation=cv2.INTER_AREA))


def analyze(image: ImageInput, *, analyses: Iterable[str] | None = None) -> ForensicReport:
    """Run the forensic analyses on one image and fuse them.

    Parameters
    ----------
    image : path, bytes, PIL image, (H, W, 3) uint8 array or LoadedImage
        The image. JPEG-specific analyses need the file (a path, bytes or a
        LoadedImage); on a bare array they report that they could not look.
    analyses : iterable of str, optional
        Names from :func:`available_analyses`; all by default.

    Returns
    -------
    ForensicReport

    Examples
    --------
    >>> report = analyze("photo.jpg")                       # doctest: +SKIP
    >>> report.label, round(report.score, 2)                # doctest: +SKIP
    ('authentic', 0.08)
    """
    results, times = run_analyses(image, analyses=analyses)
    return fuse(results, elapsed_ms=times)


def fuse(
    results: Mapping[str, ForensicResult],
    *,
    elapsed_ms: Mapping[str, float] | None = None,
    damage: str | None = None,
) -> ForensicReport:
    """Fuse analysis results (of one image) into a :class:`ForensicReport`.

    ``damage`` is the decoder's complaint when a damaged file was analysed anyway
    (``LoadedImage.damage``): the label is then ``inconclusive``, because damage leaves
    the same kind of traces as editing, and pixels a decoder invented prove nothing.
    """
    from ..evidence import Label
    from ._fusion import (
        PIXEL_MODELS,
        centred_maps,
        fused_map,
        label_for,
        manipulation_score,
        pixel_logit,
        regime,
        score_features,
        score_model,
        within_calibration,
    )

    if not results:
        raise ValueError("results: nothing to fuse")
    size = next(iter(results.values())).image_size
    logit = pixel_logit(centred_maps(results, size), PIXEL_MODELS[regime(results)])
    features = score_features(results, logit)
    score = manipulation_score(features)
    heatmap = fused_map(logit, score)  # before a graphic's score becomes the prior
    weights = score_model(features).weights
    calibrated = within_calibration(results)
    label = label_for(score, calibrated=calibrated)
    graphic = any(r.details.get("graphic") for r in results.values())
    if damage is not None or graphic:
        # Neither an accusation nor a clean bill: for invented pixels, or for a graphic
        # that the analyses of photographs could not look at.
        label = Label.INCONCLUSIVE
    if graphic:
        # No analysis looked, so the score is the score model's prior: it is fitted with
        # both classes weighing the same, i.e. it is a probability under even odds, and
        # without evidence that is 0.5 (not the near-zero of "nothing found").
        score = GRAPHIC_SCORE
    # Named in the explanation: analyses that flag the image and move its score, by how
    # much they move it (an analysis the score model does not weigh only helps locate).
    contributors = sorted(
        (
            (weights.get(name, 0.0) * r.score, name)
            for name, r in results.items()
            if r.informative and r.score >= 0.5 and weights.get(name, 0.0) > 0.0
        ),
        reverse=True,
    )
    history = benign_history(results)
    explanation = _explain(label, score, [name for _, name in contributors], results, calibrated)
    if graphic:
        explanation = (
            "The image is a flat graphic (a drawing, chart, screenshot or flat render): the "
            "analyses of photographs stepped aside, so nothing can be said about editing."
        )
    elif history and label != Label.MANIPULATED:
        explanation += (
            f" Recognised as normal publishing: {_listed(history)} after capture; this alone "
            "is not evidence of manipulation."
        )
    if damage is not None:
        explanation = (
            f"The file is damaged ({damage}); only what could be decoded was analysed, and "
            f"damage leaves traces like editing's. {explanation}"
        )
    details: dict[str, Any] = {
        "label": label,
        "calibrated": calibrated,
        "damaged": damage is not None,
        "graphic": graphic,
        "benign_processing": history,
        "features": {k: round(v, 4) for k, v in features.items()},
        "contributors": [name for _, name in contributors],
        "informative": [name for name, r in results.items() if r.informative],
    }
    fused = ForensicResult("fused", heatmap, size, score, explanation, details)
    return ForensicReport(score, label, fused, dict(results), dict(elapsed_ms or {}))


def benign_history(results: Mapping[str, ForensicResult]) -> list[str]:
    """The normal publishing steps the analyses recognised over the whole image
    (resized, cropped after a JPEG save, saved again as JPEG), in words.

    These act on every pixel alike, so they say how the photo travelled, not that its
    content was changed; the explanation names them so that a reader does not take
    them for evidence.
    """
    found: list[str] = []
    resampling, grid, dq = (results.get(n) for n in ("resampling", "grid", "dq"))
    if resampling is not None and resampling.details.get("whole_image_resampled"):
        found.append("resized (or straightened)")
    if grid is not None and (
        grid.details.get("grid_shifted") or grid.details.get("foreign_grid_everywhere")
    ):
        found.append("cropped after a JPEG save")
    recompressed = (dq is not None and dq.informative) or (
        grid is not None and grid.details.get("foreign_grid_everywhere")
    )
    if recompressed:
        found.append("recompressed as JPEG at least once")
    return found


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _explain(
    label: str,
    score: float,
    contributors: list[str],
    results: Mapping[str, ForensicResult],
    calibrated: bool,
) -> str:
    from ..evidence import Label
    from ._fusion import MANIPULATED_AT

    names = ", ".join(TITLES.get(n, n).split(" (")[0].lower() for n in contributors[:3])
    looked = sum(1 for r in results.values() if r.informative)
    if label == Label.MANIPULATED:
        return f"Evidence of manipulation (probability {score:.0%}), mainly from {names}."
    if label == Label.INCONCLUSIVE and not calibrated and score >= MANIPULATED_AT:
        return (
            f"Inconclusive: signals from {names or 'several analyses'}, but the image has no "
            "JPEG history (a drawing, render or generated image?) and the score is "
            "calibrated on JPEG photos only."
        )
    if label == Label.INCONCLUSIVE:
        extra = f" Weak signals from {names}." if names else ""
        return f"Inconclusive (probability {score:.0%}): the evidence is too weak to decide.{extra}"
    return (
        f"No evidence of manipulation found by the {looked} analyses that could look at this "
        "image (this does not prove it is unedited)."
    )
