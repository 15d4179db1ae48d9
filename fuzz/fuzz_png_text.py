"""Harness: PNG chunks as metadata reads them (tEXt/zTXt/iTXt, eXIf, iCCP, caBX).

The bytes are walked as a PNG container without decoding pixels, every block found is
read into fields, and the text chunks go through the generator parsers (AUTOMATIC1111
parameters, ComfyUI graphs, InvokeAI, NovelAI, Midjourney). Nothing is acceptable:
walkers turn problems into warnings.
"""

from __future__ import annotations

from fuzz._common import guarded, instrumented, main

with instrumented(__name__ == "__main__"):
    from pixelproof.metadata._fields import Reading
    from pixelproof.metadata._read import jsonable
    from pixelproof.metadata._traces import generator_traces

ACCEPTABLE: tuple[type[BaseException], ...] = ()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check(data: bytes) -> None:
    if not data.startswith(PNG_SIGNATURE):
        data = PNG_SIGNATURE + data
    reading = Reading("<fuzz>", "PNG", data, None, [])
    reading.read_fields()
    traces = generator_traces(reading)
    jsonable([t.to_dict() for t in traces])


one_input = guarded(check, ACCEPTABLE)

if __name__ == "__main__":
    main(one_input)
