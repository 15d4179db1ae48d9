"""``python -m pixelproof.schemas``: regenerate the shipped JSON Schemas."""

import sys

from ._generate import main

sys.exit(main())
