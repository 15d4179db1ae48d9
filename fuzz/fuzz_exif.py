"""Harness: the EXIF/TIFF directory walker and the fields read from it.

``walk_exif`` never raises (problems become warnings), and neither does turning its
directories into the report's EXIF and GPS fields. Nothing is acceptable.
"""

from __future__ import annotations

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.metadata._exif import walk_exif
    from pixelproof.metadata._fields import Reading
    from pixelproof.metadata._read import jsonable
    from pixelproof.metadata._thumbnail import decode_thumbnail

ACCEPTABLE: tuple[type[BaseException], ...] = ()


def check(data: bytes) -> None:
    dirs = walk_exif(data)
    assert len(dirs.warnings) <= 60
    reading = Reading("<fuzz>", "JPEG", b"", None, [])
    reading.exif_fields(data)
    jsonable({"exif": reading.exif, "gps": reading.gps})
    if dirs.thumbnail:
        decode_thumbnail(dirs.thumbnail)


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
