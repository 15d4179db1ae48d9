"""``pixelproof index``, ``pixelproof match`` and ``pixelproof dedup``: provenance matching."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ..evidence import SCHEMA_VERSION
from ..match import DESCRIPTORS
from ..runner import DEFAULT_SHARD_SIZE, Row, executor_for, run
from ..settings import Settings
from ..tasks.match import FeaturesTask, add_paths, dedup_rows, search_rows
from ._common import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    Inputs,
    JsonFlag,
    emit_rows,
    gather_inputs,
    print_json,
    progress_bar,
    reads_images,
    stderr,
    usage_error,
)
from ._report import ReportFile, collecting, report_target, write_report_file

index_app = typer.Typer(
    help="Build and maintain a provenance index of reference images.",
    no_args_is_help=True,
)

Db = Annotated[Path, typer.Option("--db", help="The index file (SQLite; created by `index add`).")]
TopK = Annotated[int, typer.Option("--top-k", "-k", min=1, help="Matches to report per query.")]
VerifyTop = Annotated[
    int,
    typer.Option(
        "--verify", min=0, help="Candidates checked with local features (geometric verification)."
    ),
]


def _open_index(db: Path, *, create: bool, readonly: bool = False, **kwargs: Any) -> Any:
    from ..match import IndexFormatError, ProvenanceIndex

    if not create and not db.exists():
        raise usage_error(f"--db: no index at {db} (create one with `pixelproof index add`)")
    try:
        return ProvenanceIndex(db, create=create, readonly=readonly, **kwargs)
    except ImportError as exc:
        raise usage_error(str(exc)) from None
    except (IndexFormatError, ValueError, FileNotFoundError) as exc:
        raise usage_error(str(exc)) from None


@index_app.command("add")
@reads_images
def index_add(
    inputs: Inputs,
    db: Db,
    json_output: JsonFlag = False,
    descriptor: Annotated[
        str | None,
        typer.Option(
            help=f"Global descriptor of a new index: {DESCRIPTORS.known()} [default: effnet]. "
            "Only effnet's match scores are calibrated; with the others `match` rows say "
            '"calibrated": false.'
        ),
    ] = None,
    ann: Annotated[
        str,
        typer.Option(help="FAISS structure of a new index: auto, Flat or e.g. IVF4096,PQ32."),
    ] = "auto",
    batch_size: Annotated[int, typer.Option(min=1, help="Images committed per transaction.")] = 32,
    shard_size: Annotated[
        int,
        typer.Option(
            min=1,
            help="With --engine ray: images per shard, the unit of work a worker writes "
            "and a killed job resumes from.",
        ),
    ] = DEFAULT_SHARD_SIZE,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Add images to the index (folders recursively; content already there is skipped)."""
    expanded = gather_inputs(inputs)
    index = _open_index(db, create=True, descriptor=descriptor, ann=ann)
    counts = {"added": 0, "present": 0, "failed": 0}

    def render(row: Row[Any]) -> None:
        if row.result is None:
            stderr.print(f"{row.path}: {row.error}", markup=False)

    def counted(rows: Iterable[Row[Any]]) -> Iterator[Row[Any]]:
        for row in rows:
            counts[row.result.status if row.result is not None else "failed"] += 1
            yield row

    try:
        rows = add_paths(
            index,
            expanded,
            settings=settings,
            workers=workers,
            batch_size=batch_size,
            shard_size=shard_size,
        )
        exit_ = emit_rows(
            counted(rows),
            total=expanded.row_count,
            description="indexing",
            json_output=json_output,
            render=render,
        )
    finally:
        index.close()
    if not json_output:
        typer.echo(
            f"added {counts['added']}, already present {counts['present']}, "
            f"failed {counts['failed']}; {db}"
        )
    raise exit_


@index_app.command("remove")
def index_remove(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Indexed paths (a folder removes everything under it) or SHA-256 hashes.",
            show_default=False,
            metavar="TARGET",
        ),
    ],
    db: Db,
    json_output: JsonFlag = False,
) -> None:
    """Remove images from the index (error_type not_in_index when nothing matches)."""
    index = _open_index(db, create=False)
    missing = 0
    try:
        for target in targets:
            removed = index.remove([target])
            if not removed:
                missing += 1
                row: dict[str, Any] = {
                    "schema_version": SCHEMA_VERSION,
                    "path": target,
                    "error": "nothing in the index matches",
                    "error_type": "not_in_index",
                }
            else:
                row = {
                    "schema_version": SCHEMA_VERSION,
                    "path": target,
                    "removed": [r.path for r in removed],
                }
            if json_output:
                print_json(row)
            elif removed:
                typer.echo(f"{target}: removed {len(removed)} image(s)")
            else:
                stderr.print(f"{target}: nothing in the index matches", markup=False)
    finally:
        index.close()
    raise typer.Exit(EXIT_SOME_FAILED if missing else EXIT_OK)


@index_app.command("stats")
def index_stats(db: Db, json_output: JsonFlag = False) -> None:
    """Counts, settings and sizes of the index."""
    index = _open_index(db, create=False, readonly=True)
    try:
        stats = index.stats()
    finally:
        index.close()
    if json_output:
        print_json({"schema_version": SCHEMA_VERSION, **stats.to_dict()})
    else:
        typer.echo(f"index       {stats.path}")
        typer.echo(f"images      {stats.images}")
        typer.echo(f"vectors     {stats.vectors} x {stats.dim} ({stats.descriptor})")
        typer.echo(f"scores      {'calibrated' if stats.calibrated else 'uncalibrated'}")
        typer.echo(f"search      {stats.ann}, {stats.snapshot_vectors} vectors loaded")
        typer.echo(
            f"disk        {stats.db_bytes / 2**20:.1f} MiB database, "
            f"{stats.ann_bytes / 2**20:.1f} MiB FAISS snapshot"
        )
    raise typer.Exit(EXIT_OK)


@index_app.command("export")
def index_export(
    db: Db,
    vectors: Annotated[
        Path | None,
        typer.Option(help="Also save the global descriptors here (.npz: ids, vectors)."),
    ] = None,
) -> None:
    """Print every indexed image as JSON Lines (path, sha256, size, PDQ hash, ...)."""
    index = _open_index(db, create=False, readonly=True)
    try:
        for record in index.records():
            print_json(
                {
                    "schema_version": SCHEMA_VERSION,
                    "path": record.path,
                    "id": record.id,
                    "sha256": record.sha256,
                    "width": record.width,
                    "height": record.height,
                    "added": record.added,
                    "pdq": record.pdq.hex() if record.pdq else None,
                    "pdq_quality": record.pdq_quality,
                }
            )
        if vectors is not None:
            import numpy as np

            ids, values = index.vectors()
            np.savez_compressed(vectors, ids=ids, vectors=values.astype(np.float16))
            stderr.print(f"descriptors written to {vectors}", markup=False)
    finally:
        index.close()
    raise typer.Exit(EXIT_OK)


@reads_images
def match(
    inputs: Inputs,
    db: Db,
    top_k: TopK = 5,
    json_output: JsonFlag = False,
    verify: VerifyTop = 12,
    replication: Annotated[
        bool,
        typer.Option(
            "--replication",
            help="Replication check: mark each query replicated (best score > --threshold) "
            "and print the replication rate on stderr.",
        ),
    ] = False,
    threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Score above which a match counts (calibrated: 0.5)."),
    ] = 0.5,
    summary: Annotated[
        Path | None, typer.Option(help="With --replication: also write the summary as JSON here.")
    ] = None,
    report_file: ReportFile = None,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Find the indexed images each input is an edited copy of, best match first.

    Scores are calibrated for the default descriptor (effnet): above 0.5 means "edited
    copy" with at most 1% false matches on unrelated images. An index built with
    --descriptor pdq or sscd has no fitted score model: its rows say "calibrated": false,
    a warning says so, and 0.5 is then only a conservative cut with no error rate.
    """
    from ..match import replication_report

    expanded = gather_inputs(inputs)
    protect = report_target(report_file, [*expanded.files, db])
    index = _open_index(db, create=False, readonly=True)
    if not index.calibration.calibrated:
        stderr.print(
            f"warning: no score calibration for the index's descriptor "
            f"({index.descriptor.spec}): scores are uncalibrated (0.5 promises no "
            'false-match rate); rows say "calibrated": false',
            markup=False,
        )
    results: list[Any] = []
    collected: list[Row[Any]] = []

    def render(row: Row[Any]) -> None:
        if row.ok and replication:
            results.append(row.result)
        _print_match(row, threshold)

    task = FeaturesTask(index.feature_options(query=True, reference=False, parts=True))
    try:
        found = search_rows(
            index,
            run(task, expanded, settings=settings, workers=workers),
            k=top_k,
            verify_top=max(verify, 0),
            replication_threshold=threshold if replication else None,
        )
        if report_file is not None:
            found = collecting(found, collected)
        exit_ = emit_rows(
            _keeping(found, results) if replication and json_output else found,
            total=expanded.row_count,
            description="matching",
            json_output=json_output,
            render=render,
        )
    finally:
        index.close()
    if report_file is not None:
        exit_ = write_report_file(
            collected, report_file, protect, exit_, threshold=threshold, limits=settings.limits
        )
    if replication:
        report = replication_report(results, threshold=threshold)
        stderr.print(
            f"replication: {report.replicated} of {report.images} images "
            f"({100 * report.rate:.2f}%) match a training image above {threshold}",
            markup=False,
        )
        if summary is not None:
            summary.write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")
    raise exit_


def _keeping(rows: Iterable[Row[Any]], results: list[Any]) -> Iterator[Row[Any]]:
    for row in rows:
        if row.ok:
            results.append(row.result)
        yield row


def _print_match(row: Row[Any], threshold: float) -> None:
    if row.result is None:
        stderr.print(f"{row.path}: {row.error}", markup=False)
        return
    typer.echo(row.path)
    if not row.result.matches:
        typer.echo("  (no candidate)")
    for m in row.result.matches:
        verdict = "copy" if m.score > threshold else "    "
        where = ""
        if m.region is not None:
            where = " region " + ",".join(f"{v:.2f}" for v in m.region)
        flags = " mirrored" if m.mirrored else ""
        typer.echo(
            f"  {m.score:.3f} {verdict} {m.ref}  (similarity {m.similarity:.3f}, "
            f"{m.inliers} inliers{flags}{where})"
        )


@reads_images
def dedup(
    inputs: Inputs,
    json_output: JsonFlag = False,
    report: Annotated[
        Path | None, typer.Option(help="Also write an HTML page with thumbnails per group.")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Calibrated score for linking two images [default: strict]."
        ),
    ] = None,
    neighbours: Annotated[int, typer.Option(min=1, help="Candidates verified per image.")] = 10,
    *,
    settings: Settings,
    workers: int,
) -> None:
    """Group exact duplicates, near-duplicates and edited copies (one row per image)."""
    from ..match import FeatureOptions

    expanded = gather_inputs(inputs)
    protect = report_target(report, expanded.files)
    executor = executor_for(settings, workers)
    try:
        with progress_bar(len(expanded.files), "analysing") as advance:
            task = FeaturesTask(FeatureOptions(query=True, reference=True))
            found = run(task, expanded, settings=settings, executor=executor)
            rows, result = dedup_rows(
                _advancing(found, advance),
                threshold=threshold,
                neighbours=neighbours,
                mapper=executor.map,
            )
    except ImportError as exc:
        raise usage_error(str(exc)) from None
    finally:
        executor.close()
    exit_ = emit_rows(
        rows, total=len(rows), description="grouping", json_output=json_output, render=_no_text
    )
    if not json_output:
        for row in rows:
            if not row.ok:
                stderr.print(f"{row.path}: {row.error}", markup=False)
        groups = result.groups()
        for number, members in sorted(groups.items()):
            typer.echo(f"group {number}:")
            for member in members:
                typer.echo(f"  {member.kind:6} {member.path}")
        duplicates = sum(len(m) - 1 for m in groups.values())
        typer.echo(f"{len(result.rows)} images, {len(groups)} groups, {duplicates} duplicates")
    if report is not None:
        exit_ = write_report_file(
            rows, report, protect, exit_, threshold=result.threshold, limits=settings.limits
        )
    raise exit_


def _advancing(rows: Iterable[Row[Any]], advance: Any) -> Iterator[Row[Any]]:
    for row in rows:
        advance()
        yield row


def _no_text(row: Row[Any]) -> None:
    """Dedup prints its groups once every image is placed."""
