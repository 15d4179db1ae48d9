"""``python -m pixelproof.training WHAT --out DIR``: refit one shipped constant file.

See :mod:`pixelproof.training` for what each command writes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .forensics import DEFAULT_PHOTOS

    parser = argparse.ArgumentParser(
        prog="python -m pixelproof.training",
        description="Fit pixelproof's shipped models and calibrations (developers only).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="WHAT")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--out", type=Path, required=True, help="folder the file(s) are written to"
        )
        return sub

    def forgeries(sub: argparse.ArgumentParser, n: int, seed: int) -> None:
        sub.add_argument(
            "--photos",
            type=Path,
            default=DEFAULT_PHOTOS,
            help=f"shared photos folder, holding the tuning sets (default {DEFAULT_PHOTOS})",
        )
        sub.add_argument(
            "--work",
            type=Path,
            help="folder for the generated forgeries, reused when it has them "
            "(default: a temporary folder)",
        )
        sub.add_argument("--n", type=_positive, default=n, help=f"cases to make (default {n})")
        sub.add_argument("--seed", type=int, default=seed, help=f"(default {seed})")

    fusion = command("forensics-fusion", "fit the forensic fusion constants (fusion.json)")
    forgeries(fusion, 300, 1)
    appearance = command(
        "appearance", "fit the appearance analysis's linear head (appearance_head.npz)"
    )
    forgeries(appearance, 500, 2026)
    appearance.add_argument(
        "--authentic", type=_positive, default=200, help="extra authentic controls (200)"
    )
    appearance.add_argument(
        "--c", type=_positive_float, default=0.001, help="inverse L2 penalty (0.001)"
    )
    match = command(
        "match-calibration",
        "fit matching's whitening, unrelated-image bank and score calibration",
    )
    match.add_argument("folders", nargs="+", help="calibration photo folders")
    match.add_argument(
        "--skip-whitening",
        action="store_true",
        help="keep the whitening (the one in --out, else the shipped one): refit the bank "
        "and score model only",
    )
    match.add_argument(
        "--descriptors", default="effnet", help="comma-separated descriptor specs (effnet)"
    )
    match.add_argument("--max-side", type=_positive, default=512, help="(default 512)")
    match.add_argument("--dump", type=Path, help="write every scored pair here (JSON Lines)")

    gather = commands.add_parser(
        "gather-match-photos",
        help="fetch the listed calibration photos of matching (Debian packages, "
        "scikit-image, shared data) into a folder",
    )
    gather.add_argument("--out", type=Path, required=True, help="folder the photos go to")
    gather_sources(gather)

    reproduce = commands.add_parser(
        "reproduce",
        help="regenerate every shipped constant file in place and compare it with the "
        "committed one (make reproduce)",
    )
    reproduce.add_argument(
        "--only", action="append", metavar="COMMAND", help="run only these recipes (repeatable)"
    )
    reproduce.add_argument(
        "--check-only", action="store_true", help="compare the files as they are, fit nothing"
    )
    reproduce.add_argument("--rtol", type=float, default=1e-3, help="(default 1e-3)")
    reproduce.add_argument("--atol", type=float, default=1e-3, help="(default 1e-3)")
    gather_sources(reproduce)
    synthetic = command("synthetic", "fit the synthetic-image detector (probe.npz, model.json)")
    synthetic.add_argument(
        "--ai-train",
        type=Path,
        default=None,
        help="the shared ai-train/sd1-diffusiondb-vs-coco folder "
        "(default ../shared/data/ai-train/sd1-diffusiondb-vs-coco)",
    )
    synthetic.add_argument(
        "--multigen",
        type=Path,
        default=None,
        help="extra fakes (default ../shared/data/ai-train/multigen-tiles)",
    )
    synthetic.add_argument(
        "--no-multigen", action="store_true", help="train on ai-train's fakes only"
    )
    synthetic.add_argument(
        "--photos",
        type=Path,
        default=None,
        help="the shared photos, whose fit half joins the reals and makes the self-made "
        "fakes (default ../shared/data/photos)",
    )
    synthetic.add_argument(
        "--no-photos",
        action="store_true",
        help="no shared photos and no self-made fakes (the model before issue 20's rework)",
    )
    synthetic.add_argument(
        "--features-cache",
        type=Path,
        default=None,
        help="keep image features here between runs (the model is the same without it)",
    )
    synthetic.add_argument("--seed", type=int, default=0, help="(default 0)")
    return parser


def gather_sources(sub: argparse.ArgumentParser) -> None:
    from .match_photos import DEFAULT_SHARED

    sub.add_argument(
        "--cache",
        type=Path,
        default=Path(".cache") / "pixelproof-training",
        help="folder for the downloaded packages (default .cache/pixelproof-training)",
    )
    sub.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help=f"the shared data folder (default {DEFAULT_SHARED})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "reproduce":
        return _reproduce(args, parser)
    out: Path = args.out
    if out.exists() and not out.is_dir():
        parser.error(f"--out: {out} is not a folder")
    if args.command == "gather-match-photos":
        from .match_photos import gather

        try:
            written = gather(out, args.cache, shared=args.shared)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
    elif args.command == "synthetic":
        from .synthetic import DEFAULT_AI_TRAIN, DEFAULT_MULTIGEN, DEFAULT_PHOTOS, fit_synthetic

        root = args.ai_train or DEFAULT_AI_TRAIN
        multigen = None if args.no_multigen else (args.multigen or DEFAULT_MULTIGEN)
        photos = None if args.no_photos else (args.photos or DEFAULT_PHOTOS)
        for folder in (root, multigen, photos):
            if folder is not None and not folder.is_dir():
                parser.error(f"{folder} is not a folder")
        _, summary, written = fit_synthetic(
            out,
            root=root,
            multigen=multigen,
            photos=photos,
            seed=args.seed,
            cache=args.features_cache,
        )
        print(summary)
    elif args.command == "match-calibration":
        from .match import fit_match_calibration

        missing = [f for f in args.folders if not Path(f).exists()]
        if missing:
            parser.error(f"no such calibration folder: {', '.join(missing)}")
        specs = [s.strip() for s in args.descriptors.split(",") if s.strip()]
        written = fit_match_calibration(
            args.folders,
            out,
            descriptors=specs,
            max_side=args.max_side,
            skip_whitening=args.skip_whitening,
            dump=args.dump,
        )
    else:
        if not args.photos.is_dir():
            parser.error(f"--photos: {args.photos} is not a folder (the shared photos)")
        written = [_forensics(args)]
    for path in written:
        print(f"wrote {path}")
    return 0


def _reproduce(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from . import reproduce

    known = {r.command: r for r in reproduce.RECIPES}
    unknown = sorted(set(args.only or ()) - set(known))
    if unknown:
        parser.error(f"--only: no recipe {', '.join(unknown)} (known: {', '.join(known)})")
    recipes = [r for r in reproduce.RECIPES if not args.only or r.command in args.only]
    if reproduce.source_checkout() is None:
        parser.error(
            f"pixelproof is imported from {reproduce.PACKAGE}, not from a git checkout: "
            "reproduce writes into the source tree (pip install -e . from a clone)"
        )
    if not args.check_only:
        photos = None
        if any(r.command == "match-calibration" for r in recipes):
            from .match_photos import gather

            photos = args.cache / "match-photos"
            try:
                gather(photos, args.cache, shared=args.shared)
            except ValueError as exc:
                print(exc, file=sys.stderr)
                return 1
        reproduce.run_recipes(recipes, match_photos=photos)
    paths = reproduce.outputs(recipes)
    results = reproduce.check(paths, rtol=args.rtol, atol=args.atol)
    for result in results:
        print(result.line())
    return 0 if all(r.within for r in results) else 1


def _forensics(args: argparse.Namespace) -> Path:
    import tempfile

    from . import forensics

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            print(f"  {done}/{total}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="pixelproof-training-") as temporary:
        work = args.work if args.work is not None else Path(temporary)
        if args.command == "forensics-fusion":
            return forensics.fit_fusion(
                args.photos, work, args.out, n=args.n, seed=args.seed, progress=progress
            )
        return forensics.fit_appearance(
            args.photos,
            work,
            args.out,
            n=args.n,
            authentic=args.authentic,
            seed=args.seed,
            c=args.c,
        )


if __name__ == "__main__":
    sys.exit(main())
