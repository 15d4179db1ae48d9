"""Metadata and content credentials: what the file itself says about where it came from.

>>> from pixelproof.metadata import read_metadata
>>> report = read_metadata("photo.jpg")            # doctest: +SKIP
>>> report.camera, [g.generator for g in report.generators], report.c2pa.status  # doctest: +SKIP
({'make': 'Canon', 'model': 'Canon EOS 40D'}, [], 'no_manifest')

A PNG written by a generator, built in memory:

>>> import io
>>> from PIL import Image, PngImagePlugin
>>> info = PngImagePlugin.PngInfo()
>>> info.add_text("parameters", "a red fox\\nSteps: 20, Sampler: Euler a, Seed: 1, Size: 64x64")
>>> png = io.BytesIO()
>>> Image.new("RGB", (64, 64)).save(png, "PNG", pnginfo=info)
>>> [g.generator for g in read_metadata(png.getvalue()).generators]
['AUTOMATIC1111 Stable Diffusion web UI']

Everything here reports *claims written in the file*. They are easy to add and easy to
strip, so their absence proves nothing, and a generator trace says what the file
declares, not what made it. Content Credentials (C2PA) are the exception that can be
checked: :func:`read_c2pa` reports integrity, signer trust and claims separately.
"""

from ._c2pa import (
    TRUST_ANCHORS_ENV,
    C2paReport,
    C2paReportDict,
    SignedAsset,
    active_manifest,
    binding_status,
    read_c2pa,
    read_c2pa_store,
    sign_bytes,
    sign_image,
    source_type_uri,
)
from ._consistency import Finding, FindingDict
from ._exif import ExifDirectories, walk_exif
from ._generators import DIGITAL_SOURCE_TYPES, GeneratorTrace, GeneratorTraceDict
from ._quant import QuantMatch, identify_tables, ijg_table
from ._read import MetadataReport, MetadataReportDict, read_metadata
from ._stealth import StealthPayload, embed_stealth, read_stealth
from ._thumbnail import ThumbnailComparison, compare_thumbnail
from ._xmp import XmpRefusedError, parse_xmp

__all__ = [
    "DIGITAL_SOURCE_TYPES",
    "TRUST_ANCHORS_ENV",
    "C2paReport",
    "C2paReportDict",
    "ExifDirectories",
    "Finding",
    "FindingDict",
    "GeneratorTrace",
    "GeneratorTraceDict",
    "MetadataReport",
    "MetadataReportDict",
    "QuantMatch",
    "SignedAsset",
    "StealthPayload",
    "ThumbnailComparison",
    "XmpRefusedError",
    "active_manifest",
    "binding_status",
    "compare_thumbnail",
    "embed_stealth",
    "identify_tables",
    "ijg_table",
    "parse_xmp",
    "read_c2pa",
    "read_c2pa_store",
    "read_metadata",
    "read_stealth",
    "sign_bytes",
    "sign_image",
    "source_type_uri",
    "walk_exif",
]
