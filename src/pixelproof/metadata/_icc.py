"""ICC colour profile description: which device or software made the profile."""

from __future__ import annotations

import io
import struct
from typing import Any

from PIL import ImageCms

# ICC header signatures of the companies whose profiles say something about provenance.
_CREATORS = {
    "ADBE": "Adobe",
    "APPL": "Apple",
    "MSFT": "Microsoft",
    "GOOG": "Google",
    "lcms": "Little CMS",
    "HP  ": "Hewlett-Packard",
    "KODA": "Kodak",
    "CANO": "Canon",
    "NKON": "Nikon",
    "SONY": "Sony",
    "FF  ": "Fujifilm",
    "SAMS": "Samsung",
    "argl": "ArgyllCMS",
    "none": "unknown",
}


def describe_icc(blob: bytes, warnings: list[str]) -> dict[str, Any] | None:
    """Description, copyright and header fields of an ICC profile.

    Returns None for an empty blob; a damaged profile gives a warning and whatever the
    header alone says.
    """
    if not blob:
        return None
    info: dict[str, Any] = {"bytes": len(blob)}
    if len(blob) >= 128:
        declared, cmm = struct.unpack(">I4s", blob[:8])
        info["cmm"] = _sig(cmm)
        info["version"] = f"{blob[8]}.{blob[9] >> 4}.{blob[9] & 0x0F}"
        info["device_class"] = _sig(blob[12:16])
        info["colour_space"] = _sig(blob[16:20])
        creator = _sig(blob[80:84])
        info["creator"] = _CREATORS.get(blob[80:84].decode("latin-1"), creator)
        manufacturer = _sig(blob[48:52])
        if manufacturer:
            info["device_manufacturer"] = _CREATORS.get(blob[48:52].decode("latin-1"), manufacturer)
        year = struct.unpack(">H", blob[24:26])[0]
        if 1990 <= year <= 2100:
            month, day = struct.unpack(">HH", blob[26:30])
            info["created"] = f"{year:04d}-{month:02d}-{day:02d}"
        if declared != len(blob):
            warnings.append(f"ICC: profile declares {declared} bytes but has {len(blob)}")
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(blob))
        for key, reader in (
            ("description", ImageCms.getProfileDescription),
            ("copyright", ImageCms.getProfileCopyright),
            ("model", ImageCms.getProfileModel),
            ("manufacturer", ImageCms.getProfileManufacturer),
        ):
            try:
                value = reader(profile).strip()
            except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
                continue
            if value:
                info[key] = value
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        warnings.append(f"ICC: profile cannot be parsed ({exc})")
    return info


def _sig(raw: bytes) -> str:
    text = raw.decode("latin-1").strip("\x00 ")
    return text if text.isprintable() else raw.hex()
