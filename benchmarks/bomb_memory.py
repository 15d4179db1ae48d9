"""Time and memory to refuse a decompression bomb: a valid 30000x30000 PNG.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bomb_memory.py [--side 30000] [--bit-depth 8]

Writes a valid all-black grayscale PNG of ``side`` x ``side`` pixels (8-bit by default:
900 MB of pixels in a file of under 1 MB, streamed, never held), then loads it with
``pixelproof.io.load_image`` and its default limits in a fresh process, and prints how
long the refusal took and the process's peak resident memory (with the memory the
interpreter and pixelproof's imports hold before the load, for comparison).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CHILD = """
import json, resource, sys, time
from pixelproof.io import ImageLoadError, load_image
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    load_image(sys.argv[1])
    outcome = "loaded"
except ImageLoadError as exc:
    outcome = exc.code
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": seconds, "before_kb": before, "peak_kb": peak}))
"""


def chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")


def write_bomb(path: Path, side: int, bit_depth: int) -> None:
    ihdr = side.to_bytes(4, "big") * 2 + bytes([bit_depth, 0, 0, 0, 0])
    row = b"\x00" + bytes(-(-side * bit_depth // 8))
    compressor = zlib.compressobj(9)
    rows_per_chunk = max(1, (4 << 20) // len(row))
    with path.open("wb") as out:
        out.write(PNG_SIGNATURE + chunk(b"IHDR", ihdr))
        done = 0
        while done < side:
            count = min(rows_per_chunk, side - done)
            compressed = compressor.compress(row * count)
            if compressed:
                out.write(chunk(b"IDAT", compressed))
            done += count
        out.write(chunk(b"IDAT", compressor.flush()) + chunk(b"IEND", b""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=30_000)
    parser.add_argument("--bit-depth", type=int, choices=(1, 8), default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bomb = Path(folder) / "bomb.png"
        write_bomb(bomb, args.side, args.bit_depth)
        size = bomb.stat().st_size
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(bomb)], capture_output=True, text=True, check=True
        )
    result = json.loads(done.stdout)
    print(
        f"{args.side}x{args.side} PNG ({size / 1e6:.2f} MB file, "
        f"{args.side**2 * args.bit_depth / 8e6:.0f} MB of pixels): {result['outcome']} in "
        f"{result['seconds'] * 1000:.1f} ms; peak memory {result['peak_kb'] / 1024:.0f} MB "
        f"({result['before_kb'] / 1024:.0f} MB before loading)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
