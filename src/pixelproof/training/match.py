"""Fitting the model data of provenance matching on a calibration set of unrelated photos.

Run by developers (not at install or run time)::

    python -m pixelproof.training match-calibration CALIB_DIR [CALIB_DIR ...] --out DIR

With ``--out src/pixelproof/match/_data`` it replaces the shipped files. It writes,
under ``DIR``:

``effnet_lite0_v2.npz``
    PCA-whitening of EfficientNet-Lite0 GeM descriptors: the mean and a projection to
    256 dimensions with eigenvalue power 1/4 (partial whitening), fitted on all the
    calibration photos and three random edits of each. It is part of the descriptor
    (its name is in the descriptor spec every index records), so a refit under the same
    name would silently change what an index's stored vectors mean: a new whitening
    takes a new name, and the old name goes to
    :data:`pixelproof.match._descriptors.RETIRED_WHITENINGS`, which makes indexes built
    with it refuse to open and say how to rebuild them.
``effnet_lite0_v2_bank.npz``
    Descriptors of unrelated images for score normalization, made with that
    whitening: every other calibration photo and 30 procedural graphics, each with two
    random edits. The other photos and another 30 graphics calibrate the score, so bank
    and calibration never share an image.
``calibration.json``
    The score model of each descriptor (``pixelproof.match._scoring``): half of the
    calibration photos become references, every photo gets edited queries (the ``match``
    suite plus a sample of the ``default`` suite), the logistic model is fitted on (query,
    candidate) pairs, and the 0.5 threshold is set at the 99th percentile of the best
    candidate of queries whose source is not indexed. Which candidates a query keeps
    (its 10 best) is decided by the model being fitted, found as a fixed point from the
    fixed fallback model (:func:`fit_ranked`), never by the shipped file, so a refit on
    the same photos writes the same file whatever was shipped before. Those unrelated
    queries include *scene twins*: the left part of half the non-indexed photos is
    indexed and edits of its disjoint right part are queried, like two shots of one
    scene, which resemble each other globally without being copies.

The calibration photos must not overlap any evaluation set. ``python -m
pixelproof.training gather-match-photos --out DIR`` fetches them by name
(:mod:`pixelproof.training.match_photos`); the project used the
photographic wallpapers of Debian's ``ukui-wallpapers``, ``lomiri-wallpapers*`` and
``gnome-backgrounds`` packages, scikit-image's sample photos, one photo per scene of
``shared/data/forgery-dev`` and 24 photos of OpenCV's sample data (``opencv-doc``);
none of them is in ``shared/data/photos``. ``--skip-whitening`` keeps the whitening
(the bank and the score model then use the whitening of ``DIR`` if it holds one, else
the shipped one). ``calibration.json`` keeps the entries of the descriptors not
refitted, from ``DIR``'s file if it has one, else from the shipped one, less those of
retired descriptors.

The edits are the benchmark harness's (the ``match`` suite plus a third of the
``default`` one, :mod:`pixelproof.bench`), which is why this module lives here and not
in :mod:`pixelproof.match`.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..match._descriptors import DEFAULT_WHITENING

if TYPE_CHECKING:
    from ..match._scoring import Calibration
    from ..match._types import Match

PCA_DIM = 256
SEARCH_K = 10  # the matches a calibration query keeps (ProvenanceIndex.search's default k)
MAX_RANKINGS = 10
PCA_POWER = 0.25
EDITS_PER_IMAGE = 16
PROCEDURAL = 30
WHITENING_FILE = f"{DEFAULT_WHITENING}.npz"
BANK_FILE = f"{DEFAULT_WHITENING}_bank.npz"
CALIBRATION_FILE = "calibration.json"

Images = list[tuple[str, NDArray[np.uint8]]]


def calibration_images(folders: Sequence[str], max_side: int = 512) -> Images:
    """``(path, RGB)`` of the images under ``folders`` (longest side at most ``max_side``;
    unreadable ones and those under 64 pixels are skipped)."""
    from ..bench.runner import load_rgb
    from ..inputs import expand_inputs

    loaded = []
    for path in expand_inputs(folders).files:
        try:
            rgb = load_rgb(Path(path), max_side=max_side)
        except Exception:
            continue
        if min(rgb.shape[:2]) >= 64:
            loaded.append((path, rgb))
    return loaded


def _edits() -> list[Any]:
    from ..bench import load_suite

    entries = list(load_suite("match"))
    default = [e for e in load_suite("default") if e.family not in {"none", "rotate90"}]
    return entries + default[::3]


def procedural_images(count: int, seed: int = 0) -> Images:
    """Synthetic graphics (gradients, shapes, noise): unrelated to each other by design,
    yet alike to an ImageNet network. They teach the score model and the bank that
    global similarity alone is not proof of a copy."""
    from ..bench.transforms import random_background

    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        height, width = (int(v) for v in rng.integers(240, 520, 2))
        i += 1000 * seed
        out.append(
            (f"procedural-{i}", random_background(height, width, rng=int(rng.integers(2**31))))
        )
    return out


def build_bank(images: Images, out: Path) -> Path:
    """Descriptors of unrelated images (photos, their edits, synthetic graphics), written
    to ``out/effnet_lite0_v2_bank.npz`` (returned)."""
    from ..match import EffnetDescriptor

    descriptor = EffnetDescriptor()
    edits = _edits()
    rng = np.random.default_rng(5)
    vectors = []
    for _, rgb in images:
        vectors.append(descriptor.reference(rgb)[0])
        for e in rng.choice(len(edits), 2, replace=False):
            edited = edits[int(e)].transform(rgb, rng=int(rng.integers(2**31))).image
            vectors.append(descriptor.reference(edited)[0])
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / BANK_FILE, vectors=np.stack(vectors).astype(np.float16))
    print(f"bank: {len(vectors)} descriptors", file=sys.stderr)
    return out / BANK_FILE


def fit_whitening(images: Images, out: Path, *, size: int = 256) -> Path:
    """PCA-whitening of the GeM descriptors of ``images`` and three random edits of each,
    written to ``out/effnet_lite0_v2.npz`` (returned)."""
    from ..match import EffnetDescriptor

    descriptor = EffnetDescriptor(size=size, regions=False)
    edits = _edits()
    rng = np.random.default_rng(0)
    pooled = []
    for _, rgb in images:
        pooled.append(descriptor.pooled(rgb, regions=False)[0])
        for e in rng.choice(len(edits), 3, replace=False):
            edited = edits[int(e)].transform(rgb, rng=int(rng.integers(2**31))).image
            pooled.append(descriptor.pooled(edited, regions=False)[0])
    x = np.stack(pooled).astype(np.float64)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    mean = x.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov((x - mean).T))
    order = np.argsort(-values)[:PCA_DIM]
    floor = values[order[0]] * 1e-6
    # An eigenvector's sign is arbitrary (LAPACK builds may differ): the largest entry of
    # each is made positive, so a refit writes the same file wherever it runs.
    axes = vectors[:, order]
    axes *= np.sign(axes[np.abs(axes).argmax(axis=0), np.arange(axes.shape[1])])
    projection = axes / np.maximum(values[order], floor) ** PCA_POWER
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / WHITENING_FILE,
        mean=mean.astype(np.float32),
        projection=projection.astype(np.float32),
        info_layer=np.array(descriptor.layer),
        info_power=np.array(PCA_POWER),
        info_samples=np.array(len(pooled)),
        info_images=np.array(len(images)),
    )
    print(f"whitening: {len(pooled)} descriptors from {len(images)} images", file=sys.stderr)
    return out / WHITENING_FILE


def scene_twins(images: Images) -> tuple[Images, Images]:
    """Disjoint left and right parts (45% of the width each) of every image.

    Images whose two parts already match locally are left out: a repeated pattern
    (cloth, bricks) is the same content in both parts, a copy by any local measure,
    not two views of one scene.
    """
    from ..match import extract_local, verify
    from ..match._scoring import CHANCE_INLIERS

    left, right = [], []
    for path, rgb in images:
        width = rgb.shape[1]
        part = int(width * 0.45)
        pair = np.ascontiguousarray(rgb[:, :part]), np.ascontiguousarray(rgb[:, width - part :])
        if verify(extract_local(pair[1]), extract_local(pair[0])).inliers > CHANCE_INLIERS:
            continue
        left.append((f"{path}#left", pair[0]))
        right.append((f"{path}#right", pair[1]))
    return left, right


@dataclass(frozen=True)
class _Query:
    """One edited calibration query and every candidate its search weighed."""

    source: str
    edit: str
    unrelated: bool  # its source is not indexed: every candidate is wrong
    matches: tuple[Match, ...]  # candidate order, as ``candidate_matches`` gives them


@dataclass(frozen=True)
class _Selection:
    """The pairs a score model keeps: the best :data:`SEARCH_K` matches of each query."""

    kept: tuple[tuple[int, ...], ...]  # per query, the indices of its kept matches
    positive: list[NDArray[np.float64]]
    negative: list[NDArray[np.float64]]
    best_wrong: list[NDArray[np.float64]]  # per unrelated query, its best kept match


def _select(queries: Sequence[_Query], ranking: Calibration) -> _Selection:
    """What a search ranked by ``ranking`` returns for each query (``match``'s order)."""
    from ..match._scoring import pair_features
    from ..match._search import rank_key

    kept: list[tuple[int, ...]] = []
    positive: list[NDArray[np.float64]] = []
    negative: list[NDArray[np.float64]] = []
    best_wrong: list[NDArray[np.float64]] = []
    for query in queries:
        order = sorted(range(len(query.matches)), key=lambda i: rank_key(query.matches[i], ranking))
        chosen = tuple(order[:SEARCH_K])
        kept.append(chosen)
        wrong = []
        for i in chosen:
            match = query.matches[i]
            x = pair_features(match.normalized, match.inliers)
            (positive if match.ref == query.source else negative).append(x)
            if match.ref != query.source:
                wrong.append(x)
        if wrong and query.unrelated:
            best_wrong.append(wrong[0])
    return _Selection(tuple(kept), positive, negative, best_wrong)


def _fit(selection: _Selection) -> dict[str, Any]:
    """Weights and thresholds fitted on the pairs of ``selection``."""
    from ..match._scoring import fit_logistic

    positive, negative = np.stack(selection.positive), np.stack(selection.negative)
    x = np.vstack([positive, negative])
    y = np.concatenate([np.ones(len(positive)), np.zeros(len(negative))])
    weights, bias = fit_logistic(x, y)
    top = np.stack(selection.best_wrong) @ weights + bias
    threshold = float(np.percentile(top, 99))
    strict = float(max(np.percentile(top, 99.9), (negative @ weights + bias).max()))
    scores = positive @ weights + bias
    return {
        "weights": [float(w) for w in weights],
        "bias": bias,
        "threshold": threshold,
        "strict": strict,
        "info": {
            "positive_pairs": len(positive),
            "negative_pairs": len(negative),
            "unrelated_queries": len(selection.best_wrong),
            "positive_recall_at_threshold": float(np.mean(scores > threshold)),
            "positive_recall_at_strict": float(np.mean(scores > strict)),
        },
    }


def fit_ranked(queries: Sequence[_Query]) -> tuple[dict[str, Any], _Selection]:
    """The score model whose own ranking keeps the pairs it was fitted on.

    A search keeps the :data:`SEARCH_K` best-scored candidates, so which pairs the fit
    sees depends on a score model. Ranking them with the shipped one would make every
    refit depend on the file it replaces (and a regeneration differ from it); instead
    the first fit ranks with the fixed :data:`~pixelproof.match._scoring.FALLBACK`, and
    each next one with the model just fitted, until a model keeps exactly the pairs it
    was fitted on (or :data:`MAX_RANKINGS` fits).
    """
    from ..match._scoring import FALLBACK, Calibration

    selection = _select(queries, FALLBACK)
    for fits in range(1, MAX_RANKINGS + 1):
        entry = _fit(selection)
        following = _select(queries, Calibration.from_dict(entry))
        converged = following.kept == selection.kept
        if converged or fits == MAX_RANKINGS:
            entry["info"].update(ranking_fits=fits, ranking_converged=converged)
            return entry, selection
        selection = following
    raise AssertionError("unreachable")


def calibrate(images: Images, descriptor_spec: str, *, dump: Path | None = None) -> dict[str, Any]:
    """The score model of ``descriptor_spec`` (an entry of ``calibration.json``) fitted
    on ``images``; ``dump`` receives every kept pair (JSON Lines). It depends on
    ``images`` only, not on the shipped score model (:func:`fit_ranked`)."""
    from ..bench.runner import stable_seed
    from ..match import ProvenanceIndex
    from ..match._features import compute_features
    from ..match._index import DEFAULT_VERIFY, pixel_digest
    from ..match._search import candidate_matches

    edits = _edits()
    order = np.random.default_rng(1).permutation(len(images))
    refs = [images[i] for i in order[: len(order) // 2]]
    unindexed = [images[i] for i in order[len(order) // 2 :]]
    # Twins come from photos never queried whole: a whole photo's left part is a crop of
    # it, a true copy.
    others = unindexed[0::2]
    twin_refs, twin_queries = scene_twins(unindexed[1::2])
    queries: list[_Query] = []
    started = time.time()
    with tempfile.TemporaryDirectory() as folder:
        index = ProvenanceIndex(Path(folder) / "calib.db", create=True, descriptor=descriptor_spec)
        for path, rgb in refs + twin_refs:
            index.add(rgb, name=path)
        options = index.feature_options(query=True, reference=False, parts=True)
        picker = np.random.default_rng(2)
        for group, unrelated in ((refs, False), (others, True), (twin_queries, True)):
            for path, rgb in group:
                chosen = picker.choice(len(edits), min(EDITS_PER_IMAGE, len(edits)), replace=False)
                for j in chosen:
                    entry = edits[int(j)]
                    edited = entry.transform(rgb, rng=stable_seed(1, path, int(j))).image
                    features = compute_features(
                        edited, path="q", sha256=pixel_digest(edited), options=options
                    )
                    matches = candidate_matches(
                        index, features, k=SEARCH_K, verify_top=DEFAULT_VERIFY
                    )
                    queries.append(_Query(path, entry.name, unrelated, tuple(matches)))
        index.close()
    print(f"calibration queries took {time.time() - started:.0f}s", file=sys.stderr)
    fitted, selection = fit_ranked(queries)
    if dump is not None:
        rows = [
            [q.source, q.edit, m.ref, m.ref == q.source, m.similarity, m.inliers]
            for q, kept in zip(queries, selection.kept, strict=True)
            for m in (q.matches[i] for i in kept)
        ]
        dump.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    entry = {
        **fitted,
        "info": {
            "reference_images": len(refs),
            "unrelated_images": len(others),
            "scene_twins": len(twin_queries),
            "edits": len(edits),
            **fitted["info"],
        },
    }
    print(json.dumps(entry, indent=1), file=sys.stderr)
    return entry


def _retired(spec: str) -> bool:
    """Whether ``spec`` names a descriptor this version no longer ships."""
    from ..match import RetiredDescriptorError, create_descriptor

    try:
        create_descriptor(spec)
    except RetiredDescriptorError:
        return True
    return False


def fit_match_calibration(
    folders: Sequence[str],
    out: Path,
    *,
    descriptors: Sequence[str] = ("effnet",),
    max_side: int = 512,
    skip_whitening: bool = False,
    dump: Path | None = None,
) -> list[Path]:
    """The whole fit (see the module doc): whitening, bank, then the score model of each
    descriptor spec, written under ``out``; returns the files written."""
    from ..match import create_descriptor
    from ..match._descriptors import load_bank, load_whitening, model_data

    photos = calibration_images(folders, max_side)
    if not photos:
        raise ValueError(f"no calibration image under {', '.join(folders)}")
    # The bank and the score calibration must not share images: a query whose own
    # source sits in the bank would look "generic" and distort the fit.
    bank_images = photos[0::2] + procedural_images(PROCEDURAL, seed=0)
    images = photos[1::2] + procedural_images(PROCEDURAL, seed=1)
    print(f"{len(photos)} calibration photos, {PROCEDURAL} procedural", file=sys.stderr)
    written = []
    with model_data(out):
        if not skip_whitening:
            written.append(fit_whitening(photos, out))
            load_whitening.cache_clear()  # the bank is made with the new whitening
        written.append(build_bank(bank_images, out))
        load_bank.cache_clear()  # and the score model fitted with the new bank
        table_path = out / CALIBRATION_FILE
        if table_path.exists():
            table = json.loads(table_path.read_text())
        else:
            shipped = resources.files("pixelproof.match").joinpath("_data", CALIBRATION_FILE)
            table = json.loads(shipped.read_text()) if shipped.is_file() else {}
        table = {spec: entry for spec, entry in table.items() if not _retired(spec)}
        for spec in descriptors:
            canonical = create_descriptor(spec).spec
            table[canonical] = calibrate(images, canonical, dump=dump)
            table_path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
        written.append(table_path)
    return written
