"""Safe XMP parsing into a flat ``{"prefix:Name": value}`` mapping.

XMP is XML, and XML from an untrusted file can carry entity-expansion bombs ("billion
laughs") and external entities. XMP never needs a DTD, so any packet that declares one
(``<!DOCTYPE`` or ``<!ENTITY``) is refused outright, before a parser sees it; the rest is
parsed by the standard library's expat parser, which then only knows the five predefined
entities.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, cast

MAX_XMP_BYTES = 16 * 2**20
MAX_LIST_ITEMS = 200

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Canonical prefixes, so that fields are named the same whatever prefix a writer chose.
NAMESPACES = {
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.adobe.com/xap/1.0/sType/ResourceRef#": "stRef",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dcterms",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://ns.adobe.com/lightroom/1.0/": "lr",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://www.gimp.org/xmp/": "GIMP",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.google.com/photos/1.0/container/": "GContainer",
    "http://ns.adobe.com/xmp/note/": "xmpNote",
    "adobe:ns:meta/": "x",
    RDF: "rdf",
}

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class XmpRefusedError(ValueError):
    """The packet was not parsed because it is unsafe or not XML."""


def parse_xmp(blob: bytes) -> dict[str, Any]:
    """Parse an XMP packet into ``{"prefix:Name": value}``.

    Values are strings, lists (``rdf:Seq``/``rdf:Bag``; ``rdf:Alt`` gives its default
    language's text) or dicts for structures (``xmpMM:History`` entries, ...).

    Raises
    ------
    XmpRefusedError
        When the packet declares a DTD or entities, is too large, or is not valid XML.
    """
    data = blob.rstrip(b"\x00 \t\r\n")
    if len(data) > MAX_XMP_BYTES:
        raise XmpRefusedError(f"XMP packet is {len(data)} bytes, above the {MAX_XMP_BYTES} limit")
    if _DTD.search(data) or _DTD.search(data.replace(b"\x00", b"")):
        raise XmpRefusedError(
            "XMP declares a DTD or entities (<!DOCTYPE/<!ENTITY); refused as unsafe"
        )
    prefixes: dict[str, str] = {}
    root: ET.Element | None = None
    try:
        parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("start-ns", "start"))
        parser.feed(_trim_packet(data))
        parser.close()
        for item in parser.read_events():
            event, value = cast(tuple[str, Any], item)
            if event == "start-ns" and isinstance(value, tuple) and len(value) == 2:
                prefixes.setdefault(str(value[1]), str(value[0]))
            elif root is None and isinstance(value, ET.Element):
                root = value
    except ET.ParseError as exc:
        raise XmpRefusedError(f"XMP is not well-formed XML ({exc})") from exc
    if root is None:
        raise XmpRefusedError("XMP packet is empty")
    return _Flattener(prefixes).flatten(root)


def _trim_packet(data: bytes) -> bytes:
    """Cut anything after the closing ``</x:xmpmeta>`` / ``<?xpacket end?>`` (padding, junk)."""
    end = data.rfind(b"<?xpacket end")
    if end >= 0:
        close = data.find(b"?>", end)
        if close >= 0:
            return data[: close + 2]
    for marker in (b"</x:xmpmeta>", b"</x:xapmeta>", b"</rdf:RDF>"):
        end = data.rfind(marker)
        if end >= 0:
            return data[: end + len(marker)]
    return data


class _Flattener:
    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes

    def name(self, tag: str) -> str:
        if tag.startswith("{"):
            uri, _, local = tag[1:].partition("}")
            prefix = NAMESPACES.get(uri) or self.prefixes.get(uri) or uri.rstrip("/#")
            return f"{prefix}:{local}"
        return tag

    def flatten(self, root: ET.Element) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for description in root.iter(f"{{{RDF}}}Description"):
            self.merge(fields, self.properties(description))
        return fields

    def merge(self, into: dict[str, Any], new: dict[str, Any]) -> None:
        for key, value in new.items():
            into.setdefault(key, value)

    def properties(self, element: ET.Element) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for key, value in element.attrib.items():
            if key.startswith((f"{{{RDF}}}", f"{{{XML_NS}}}")):
                continue
            props[self.name(key)] = value.strip()
        for child in element:
            if child.tag == f"{{{RDF}}}Description":
                continue  # nested descriptions are visited by flatten()
            props.setdefault(self.name(child.tag), self.value(child))
        return props

    def value(self, element: ET.Element) -> Any:
        resource = element.get(f"{{{RDF}}}resource")
        if resource is not None:
            return resource.strip()
        if element.get(f"{{{RDF}}}parseType") == "Resource":
            return self.properties(element)
        children = list(element)
        if not children:
            if any(not k.startswith((f"{{{RDF}}}", f"{{{XML_NS}}}")) for k in element.attrib):
                return self.properties(element)  # a structure written as attributes
            return (element.text or "").strip()
        first = children[0]
        if first.tag in (f"{{{RDF}}}Seq", f"{{{RDF}}}Bag"):
            items = [self.value(li) for li in first.findall(f"{{{RDF}}}li")]
            return items[:MAX_LIST_ITEMS]
        if first.tag == f"{{{RDF}}}Alt":
            items = first.findall(f"{{{RDF}}}li")
            for li in items:
                if li.get(f"{{{XML_NS}}}lang") == "x-default":
                    return self.value(li)
            return self.value(items[0]) if items else ""
        if first.tag == f"{{{RDF}}}Description":
            return self.properties(first)
        return self.properties(element)
