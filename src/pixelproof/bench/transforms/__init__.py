"""Image transformations for robustness benchmarks, each with a record of what it did.

Every transform exists twice, with one implementation:

* a function, ``jpeg(image, *, q=75, ..., rng=None) -> TransformResult``, taking an
  ``(H, W, 3)`` uint8 RGB array (never modified) and keyword-only parameters;
* a class of the same name in CamelCase, ``Jpeg(q=75)``, a frozen object that stores
  the parameters, validates them on construction, forwards ``__call__(image, rng)``
  to the function and has a round-tripping ``.spec`` (``"jpeg:q=75"``).

The result carries ``.image`` and ``.record``, a frozen :class:`Applied` with the
name, every parameter with random draws resolved, the ``(height, width)`` sizes
before and after, and an intensity on 0-100 (0: no change; each function documents
its scale). ``Compose.from_spec(record.spec)`` replays the exact output.

Randomness only comes through ``rng`` (an ``int`` seed, a ``numpy.random.Generator``
or ``None`` for fresh entropy): a fixed seed gives the same output every time.

Spec grammar
------------
::

    pipeline := step ( "|" step )*
    step     := name [ ":" param ( "," param )* ]
    param    := key "=" value
    value    := bare | '"' quoted '"'      (bare: no | , = " \\ ; quoted: \\" and \\\\ escapes)

``|`` separates the steps of a pipeline and ``,`` the parameters of one step, so a
pipeline such as ``crop:area=0.8,offset=random|resize:scale=0.75|jpeg:q=75`` reads
unambiguously. Values take the type of their parameter (``true``/``false``, numbers,
strings). Canonical specs list the first parameter and those that differ from their
defaults; records spell out every parameter.

Examples
--------
>>> import numpy as np
>>> from pixelproof.bench.transforms import Compose, Jpeg, parse_spec
>>> image = np.full((32, 48, 3), 128, np.uint8)
>>> parse_spec("jpeg:q=75") == Jpeg(q=75)
True
>>> result = Compose.from_spec("crop:area=0.5|resize:scale=2")(image, rng=0)
>>> result.image.shape, result.record.dst_size
((46, 68, 3), (46, 68))
"""

from ._codecs import Jpeg, Webp, jpeg, webp
from ._compose import PRESETS, Compose, preset
from ._core import (
    TRANSFORMS,
    Applied,
    Color,
    Odd,
    Range,
    RngLike,
    Transform,
    TransformResult,
    as_rng,
    available_transforms,
    create,
    get_transform,
    make_result,
    parse_spec,
    register,
)
from ._framing import Paste, Screenshot, paste, random_background, screenshot
from ._geometry import (
    Crop,
    HFlip,
    Identity,
    Resize,
    Rotate,
    Stretch,
    VFlip,
    crop,
    hflip,
    identity,
    inscribed_size,
    resize,
    rotate,
    stretch,
    vflip,
)
from ._overlay import Caption, Emoji, Text, caption, emoji, text
from ._pixel import (
    Blur,
    Brightness,
    Contrast,
    Gamma,
    Grayscale,
    Median,
    Noise,
    Saturation,
    Sharpen,
    blur,
    brightness,
    contrast,
    gamma,
    grayscale,
    median,
    noise,
    saturation,
    sharpen,
)

__all__ = [
    "PRESETS",
    "TRANSFORMS",
    "Applied",
    "Blur",
    "Brightness",
    "Caption",
    "Color",
    "Compose",
    "Contrast",
    "Crop",
    "Emoji",
    "Gamma",
    "Grayscale",
    "HFlip",
    "Identity",
    "Jpeg",
    "Median",
    "Noise",
    "Odd",
    "Paste",
    "Range",
    "Resize",
    "RngLike",
    "Rotate",
    "Saturation",
    "Screenshot",
    "Sharpen",
    "Stretch",
    "Text",
    "Transform",
    "TransformResult",
    "VFlip",
    "Webp",
    "as_rng",
    "available_transforms",
    "blur",
    "brightness",
    "caption",
    "contrast",
    "create",
    "crop",
    "emoji",
    "gamma",
    "get_transform",
    "grayscale",
    "hflip",
    "identity",
    "inscribed_size",
    "jpeg",
    "make_result",
    "median",
    "noise",
    "parse_spec",
    "paste",
    "preset",
    "random_background",
    "register",
    "resize",
    "rotate",
    "saturation",
    "screenshot",
    "sharpen",
    "stretch",
    "text",
    "vflip",
    "webp",
]
