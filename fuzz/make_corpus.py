"""Build the seed corpus of every harness into ``fuzz/corpus/<harness>/`` (git-ignored).

Seeds come from ``../shared/data/photos/exif-samples`` when it is there (camera JPEGs,
TIFF and HEIC files, and the deliberately malformed ones in ``jpg/invalid`` and
``jpg/tests``), read at run time and never copied into the repository: small files are
taken whole, large ones as a downscaled copy that keeps their EXIF and ICC profile plus
their first 64 KiB (all their metadata, and a truncated file). The metadata blocks
inside them (EXIF, XMP, IPTC, ICC, quantization tables) seed the parser harnesses.
Without the shared data, small synthetic seeds built here stand alone.

    python fuzz/make_corpus.py [--data DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import struct
import sys
import tempfile
import zlib
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "photos" / "exif-samples"
DEFAULT_OUT = ROOT / "fuzz" / "corpus"
MAX_SEED = 256 * 1024
PREFIX = 64 * 1024
HARNESSES = (
    "loader",
    "metadata",
    "exif",
    "xmp",
    "iptc",
    "icc",
    "png_text",
    "quant",
    "containers",
    "c2pa",
    "index",
)

Seeds = dict[str, dict[str, bytes]]


# -- synthetic building blocks ---------------------------------------------------------


def _pixels(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height)], 2)
    noise = rng.integers(0, 24, (height, width, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 40D"
    exif[0x0112] = 6
    exif[0x0131] = "Adobe Photoshop CC 2019 (Windows)"
    exif[0x0132] = "2020:01:02 03:04:05"
    exif[0x010E] = "a red fox --ar 3:2 --v 6 Job ID: 0f1e2d3c-0000-4000-8000-123456789abc"
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2020:01:02 03:04:05"
    sub[0x9011] = "+02:00"
    sub[0x829A] = 0.004
    sub[0xA002] = 64
    sub[0xA003] = 48
    sub[0x9286] = b"ASCII\x00\x00\x00Steps: 20, Sampler: Euler a, Seed: 1"
    gps = exif.get_ifd(0x8825)
    gps[0x0001] = "N"
    gps[0x0002] = (52.0, 31.0, 12.5)
    gps[0x0003] = "E"
    gps[0x0004] = (13.0, 24.0, 1.25)
    gps[0x0007] = (10.0, 11.0, 12.0)
    gps[0x001D] = "2020:01:02"
    return exif.tobytes()


XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
 xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
 xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
 xmp:CreatorTool="Adobe Photoshop 25.0" tiff:Make="Canon">
<xmpMM:History><rdf:Seq><rdf:li rdf:parseType="Resource"><stEvt:action>saved</stEvt:action>
<stEvt:softwareAgent>Adobe Photoshop 25.0</stEvt:softwareAgent>
<stEvt:when>2020-01-02T03:04:05+02:00</stEvt:when></rdf:li>
<rdf:li stEvt:action="converted" stEvt:softwareAgent="GIMP 2.10"/></rdf:Seq></xmpMM:History>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a photo</rdf:li></rdf:Alt></dc:description>
<dc:subject><rdf:Bag><rdf:li>fox</rdf:li><rdf:li>snow</rdf:li></rdf:Bag></dc:subject>
<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"""


def _iim() -> bytes:
    def dataset(record: int, number: int, value: bytes) -> bytes:
        return bytes([0x1C, record, number]) + struct.pack(">H", len(value)) + value

    long_caption = b"caption " * 40
    return (
        dataset(1, 90, b"\x1b%G")
        + dataset(2, 25, b"fox")
        + dataset(2, 25, b"snow")
        + dataset(2, 65, b"Adobe Photoshop")
        + dataset(2, 110, "Crédit".encode())
        + bytes([0x1C, 2, 120, 0x80, 0x02])
        + struct.pack(">H", len(long_caption))
        + long_caption
    )


def _irb(resources: Iterable[tuple[int, bytes]]) -> bytes:
    out = b""
    for resource_id, data in resources:
        out += b"8BIM" + struct.pack(">H", resource_id) + b"\x00\x00"
        out += struct.pack(">I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")
    return out


def _icc(space: str = "sRGB") -> bytes:
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile(space)).tobytes())


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _jpeg_segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _insert_after_soi(jpeg: bytes, *segments: bytes) -> bytes:
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def _insert_after_ihdr(png: bytes, *chunks: bytes) -> bytes:
    return png[:33] + b"".join(chunks) + png[33:]


def synthetic_images() -> dict[str, bytes]:
    """Small images of every accepted format, carrying every kind of metadata block."""
    rgb = Image.fromarray(_pixels())
    exif, icc = _exif(), _icc()
    images: dict[str, bytes] = {}
    jpeg = _save(rgb, "JPEG", quality=90, exif=exif, icc_profile=icc, comment=b"made by hand")
    app13 = _jpeg_segment(0xED, b"Photoshop 3.0\x00" + _irb([(0x0404, _iim()), (0x0421, b"v")]))
    xmp = _jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP)
    jumbf = _jpeg_segment(0xEB, b"JP\x00\x01\x00\x00\x00\x01\x00\x00\x00\x10jumbc2pa")
    images["full.jpg"] = _insert_after_soi(jpeg, xmp, app13, jumbf)
    images["progressive.jpg"] = _save(rgb, "JPEG", quality=40, progressive=True, subsampling=1)
    images["gray.jpg"] = _save(rgb.convert("L"), "JPEG", quality=75)
    images["cmyk.jpg"] = _save(rgb.convert("CMYK"), "JPEG", quality=80, icc_profile=icc)
    images["444.jpg"] = _save(rgb, "JPEG", quality=100, subsampling=0)

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a red fox\nNegative prompt: blur\nSteps: 20, Sampler: Euler a")
    info.add_itxt("prompt", json.dumps(_comfy_prompt()), zip=True)
    info.add_text("Software", "NovelAI")
    info.add_text("Comment", json.dumps({"prompt": "a fox", "steps": 28, "seed": 1}))
    info.add_itxt("XML:com.adobe.xmp", XMP.decode("utf-8"))
    png = _save(rgb, "PNG", pnginfo=info, icc_profile=icc, exif=exif)
    ztxt = _png_chunk(b"zTXt", b"Description\x00\x00" + zlib.compress(b"a fox --v 6"))
    cabx = _png_chunk(b"caBX", b"\x00\x00\x00\x10jumbc2pa")
    images["text.png"] = _insert_after_ihdr(png, ztxt, cabx)
    rgba = Image.fromarray(np.dstack([_pixels(), np.full((48, 64), 200, np.uint8)]), "RGBA")
    images["rgba.png"] = _save(rgba, "PNG")
    images["palette.png"] = _save(rgb.convert("P"), "PNG", transparency=3)
    images["la.png"] = _save(rgb.convert("LA"), "PNG")
    images["16bit.png"] = _save(Image.fromarray(_pixels()[:, :, 0].astype(np.uint16) * 257), "PNG")
    images["1bit.png"] = _save(rgb.convert("1"), "PNG")

    images["lossy.webp"] = _save(rgb, "WEBP", quality=70, exif=exif, icc_profile=icc, xmp=XMP)
    images["lossless.webp"] = _save(rgba, "WEBP", lossless=True)
    images["plain.tiff"] = _save(rgb, "TIFF", exif=exif)
    images["lzw.tiff"] = _save(rgb, "TIFF", compression="tiff_lzw", icc_profile=icc)
    images["float.tiff"] = _save(Image.fromarray(_pixels()[:, :, 0].astype(np.float32)), "TIFF")
    images["anim.gif"] = _save(rgb.convert("P"), "GIF", save_all=True, append_images=[rgb])
    images["plain.bmp"] = _save(rgb, "BMP")
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        images["small.heic"] = _save(rgb, "HEIF", quality=50, exif=exif)
    except Exception as exc:  # an encoder missing here only costs a seed
        print(f"make_corpus: no HEIF seed ({exc})", file=sys.stderr)
    return images


def _comfy_prompt() -> dict[str, object]:
    return {
        "3": {
            "class_type": "KSampler",
            "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "positive": ["6", 0], "model": ["4", 0]},
        },
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl.safetensors"}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox", "clip": ["4", 1]}},
    }


# -- seeds from the shared photos ------------------------------------------------------


def data_images(folder: Path) -> dict[str, bytes]:
    """The shared sample files: small ones whole, large ones downscaled and truncated."""
    images: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in (
            ".jpg",
            ".jpeg",
            ".tif",
            ".tiff",
            ".heic",
            ".heif",
        ):
            continue
        data = path.read_bytes()
        name = "-".join(path.relative_to(folder).parts)
        if len(data) <= MAX_SEED:
            images[name] = data
            continue
        images[f"{name}.head"] = data[:PREFIX]
        small = _downscaled(data)
        if small is not None:
            images[f"{name}.small"] = small
    return images


def _downscaled(data: bytes) -> bytes | None:
    """A small re-encoding that keeps the EXIF and ICC blocks (None if undecodable)."""
    try:
        if data[4:8] == b"ftyp":
            import pillow_heif

            pillow_heif.register_heif_opener()
        with Image.open(io.BytesIO(data)) as image:
            fmt = "TIFF" if image.format == "TIFF" else "JPEG"
            params: dict[str, object] = {}
            for key in ("exif", "icc_profile"):
                if image.info.get(key):
                    params[key] = image.info[key]
            image.draft("RGB", (256, 256))
            small = image.convert("RGB")
            small.thumbnail((256, 256))
            return _save(small, fmt, **params)
    except Exception:  # a malformed sample simply gives no downscaled seed
        return None


# -- the blocks inside the images ------------------------------------------------------


def blocks(images: dict[str, bytes]) -> Seeds:
    """EXIF, XMP, IPTC, ICC blobs and JPEG headers found in ``images``, per harness."""
    sys.path.insert(0, str(ROOT / "src"))
    from pixelproof.io import sniff_format
    from pixelproof.metadata._containers import walk_container

    seeds: Seeds = defaultdict(dict)
    for name, data in images.items():
        fmt = sniff_format(data[:32]) or ""
        walked = walk_container(data, fmt)
        exif = walked.exif
        if exif is None and fmt in ("HEIF", "AVIF"):
            exif = _pillow_exif(data)
        for harness, blob in (
            ("exif", exif),
            ("xmp", walked.xmp),
            ("icc", walked.icc),
            ("iptc", walked.photoshop),
        ):
            if blob and len(blob) <= MAX_SEED:
                seeds[harness][name] = blob
        if fmt == "JPEG":
            sos = data.find(b"\xff\xda")
            header = data[: sos if sos > 0 else PREFIX]
            seeds["quant"][name] = header + b"\xff\xd9"
    return seeds


def _pillow_exif(data: bytes) -> bytes | None:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        with Image.open(io.BytesIO(data)) as image:
            blob = image.info.get("exif")
            return bytes(blob) if blob else None
    except Exception:
        return None


def synthetic_blocks() -> Seeds:
    seeds: Seeds = defaultdict(dict)
    exif = _exif()
    seeds["exif"]["synthetic.exif"] = exif
    seeds["xmp"]["synthetic.xmp"] = XMP
    seeds["xmp"]["utf16.xmp"] = XMP.decode("utf-8").encode("utf-16")
    seeds["iptc"]["synthetic.irb"] = _irb([(0x0404, _iim()), (0x040C, b"\xff\xd8\xff\xd9")])
    seeds["iptc"]["synthetic.iim"] = _iim()
    seeds["icc"]["srgb.icc"] = _icc()
    seeds["icc"]["lab.icc"] = _icc("LAB")
    return seeds


# -- C2PA and index files --------------------------------------------------------------


def c2pa_files() -> dict[str, bytes]:
    """Small JPEG and PNG files signed with a throwaway certificate chain (or nothing)."""
    try:
        sys.path.insert(0, str(ROOT / "src"))
        import c2pa  # noqa: F401
        from cryptography import x509  # noqa: F401

        from pixelproof.metadata import sign_image
    except ImportError as exc:
        print(f"make_corpus: no C2PA seeds ({exc})", file=sys.stderr)
        return {}
    signed: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        chain, key = _certificates(folder)
        rgb = Image.fromarray(_pixels(32, 40))
        for fmt, suffix in (("JPEG", "jpg"), ("PNG", "png")):
            source = folder / f"source.{suffix}"
            source.write_bytes(_save(rgb, fmt))
            for dst in ("trainedAlgorithmicMedia", None):
                target = folder / f"signed-{dst}.{suffix}"
                try:
                    sign_image(
                        source,
                        target,
                        cert_chain=chain,
                        private_key=key,
                        generator="fuzz seed",
                        digital_source_type=dst,
                    )
                except Exception as exc:
                    print(f"make_corpus: C2PA signing failed ({exc})", file=sys.stderr)
                    return signed
                signed[target.name] = target.read_bytes()
    return signed


def _certificates(folder: Path) -> tuple[Path, Path]:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def usage(*, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(not ca, False, False, False, False, ca, ca, False, False)

    def cert(subject: str, key: Any, issuer: str, signer: Any, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage(ca=ca), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                critical=False,
            )
        )
        if not ca:
            eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION])
            builder = builder.add_extension(eku, critical=False).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                critical=False,
            )
        return builder.sign(signer, hashes.SHA256())

    root_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    root = cert("fuzz root", root_key, "fuzz root", root_key, ca=True)
    leaf = cert("fuzz signer", leaf_key, "fuzz root", root_key, ca=False)
    chain, key = folder / "chain.pem", folder / "key.pem"
    pem = serialization.Encoding.PEM
    chain.write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
    key.write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return chain, key


def index_files() -> dict[str, bytes]:
    """Index databases written by :class:`Store`: empty, with images, after a removal."""
    sys.path.insert(0, str(ROOT / "src"))
    from pixelproof.match._descriptors import create_descriptor
    from pixelproof.match._store import NewImage, Store

    files: dict[str, bytes] = {}
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as temp:
        for name, spec, images, remove in (
            ("empty", "pdq", 0, False),
            ("pdq", "pdq", 3, False),
            ("pdq-removed", "pdq", 3, True),
            ("effnet", "effnet", 2, False),
        ):
            descriptor = create_descriptor(spec)
            path = Path(temp) / f"{name}.db"
            store = Store(path, create=True)
            settings = {"descriptor": descriptor.spec, "ann": "auto", "local_side": 512}
            store.set_meta("settings", json.dumps(settings))
            new = [
                NewImage(
                    sha256=hashlib.sha256(bytes([i])).hexdigest(),
                    path=f"/refs/image{i}.png",
                    width=64,
                    height=48,
                    vectors=rng.standard_normal((1 + i % 2, descriptor.dim)).astype(np.float32),
                    local=b"",
                    pdq=bytes(32) if spec == "pdq" else None,
                    pdq_quality=100 if spec == "pdq" else None,
                )
                for i in range(images)
            ]
            ids = store.add_many(new)
            if remove and ids:
                store.remove(ids[:1])
            # Small pages make small seeds: a few kilobytes instead of 45 KiB.
            store.conn.execute("PRAGMA journal_mode = DELETE")
            store.conn.execute("PRAGMA page_size = 512")
            store.conn.execute("VACUUM")
            store.close()
            files[f"{name}.db"] = path.read_bytes()
    return files


# -- assembling ------------------------------------------------------------------------


def build(data: Path | None, out: Path) -> dict[str, int]:
    images = synthetic_images()
    if data is not None and data.is_dir():
        images.update(data_images(data))
    else:
        print(f"make_corpus: {data} not found; synthetic seeds only", file=sys.stderr)
    seeds: Seeds = defaultdict(dict)
    for harness in ("loader", "metadata", "containers"):
        seeds[harness].update(images)
    seeds["png_text"] = {k: v for k, v in images.items() if v.startswith(b"\x89PNG")}
    for source in (blocks(images), synthetic_blocks()):
        for harness, found in source.items():
            seeds[harness].update(found)
    signed = c2pa_files()
    seeds["c2pa"].update(signed)
    seeds["c2pa"].update({k: v for k, v in images.items() if k in ("full.jpg", "text.png")})
    seeds["metadata"].update(signed)
    seeds["index"].update(index_files())
    counts = {}
    for harness in HARNESSES:
        folder = out / harness
        folder.mkdir(parents=True, exist_ok=True)
        for name, blob in seeds[harness].items():
            if blob and len(blob) <= MAX_SEED:
                (folder / f"seed-{_safe(name)}").write_bytes(blob)
        counts[harness] = sum(1 for _ in folder.iterdir())
    return counts


def _safe(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)[:120]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="exif-samples folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="corpus root")
    args = parser.parse_args(argv)
    counts = build(args.data, args.out)
    print(" ".join(f"{name}={count}" for name, count in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
