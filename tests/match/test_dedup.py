"""De-duplication into exact, near and edited groups."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pixelproof.report import write_dedup_report
from pixelproof.tasks.match import dedup_paths

from .conftest import save, scene


def _collection(folder: Path) -> list[str]:
    folder.mkdir()
    paths = []
    for i in range(4):
        image = scene(700 + i)
        paths.append(save(image, folder / f"orig{i}.png"))
    base = scene(700)
    height, width = base.shape[:2]
    paths.append(save(base, folder / "orig0_copy.jpg", quality=90))  # near
    paths.append(save(np.ascontiguousarray(base[::-1]), folder / "orig0_vflip.png"))
    squashed = cv2.resize(scene(701), (300, 300), interpolation=cv2.INTER_AREA)
    paths.append(save(squashed, folder / "orig1_square.png"))
    cropped = np.ascontiguousarray(scene(702)[height // 4 :, : width * 3 // 4])
    paths.append(save(cropped, folder / "orig2_crop.png"))
    exact = folder / "orig3_again.png"
    exact.write_bytes((folder / "orig3.png").read_bytes())
    paths.append(exact)
    paths.append(save(scene(799), folder / "loner.png"))
    return [str(p) for p in paths]


def test_groups_and_kinds(tmp_path: Path) -> None:
    paths = _collection(tmp_path / "photos")
    result = dedup_paths(paths)
    rows = {Path(r.path).name: r for r in result.rows}
    assert [r.path for r in result.rows] == paths  # one row per input, in order
    group = {name: row.group for name, row in rows.items()}
    assert group["orig0.png"] == group["orig0_copy.jpg"] == group["orig0_vflip.png"]
    assert group["orig1.png"] == group["orig1_square.png"]
    assert group["orig2.png"] == group["orig2_crop.png"]
    assert group["orig3.png"] == group["orig3_again.png"]
    assert (
        len({group[n] for n in ("orig0.png", "orig1.png", "orig2.png", "orig3.png", "loner.png")})
        == 5
    )
    assert rows["orig3_again.png"].kind == "exact"
    assert rows["orig0_copy.jpg"].kind == "near"
    assert rows["orig0_vflip.png"].kind == "edited"
    assert rows["orig2_crop.png"].kind == "edited"
    assert rows["loner.png"].kind == "unique"
    report = tmp_path / "dedup.html"
    write_dedup_report(result, report)
    text = report.read_text()
    assert text.count("data:image/jpeg;base64,") == 9 and "loner.png" not in text


def test_unreadable_files_are_error_rows(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 nope")
    good = save(scene(800), tmp_path / "good.png")
    result = dedup_paths([str(broken), str(good), str(tmp_path / "missing.png")])
    assert [r.ok for r in result.rows] == [False, True, False]
    assert result.rows[0].error_type and result.rows[2].error_type
    assert result.rows[1].kind == "unique"
