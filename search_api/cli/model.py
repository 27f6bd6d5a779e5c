"""``trackchild model``: fit the fusion model, show it, and choose the version in use.

Fitting is training code (``search_api.training``), imported only inside these commands.
Versions live in the data dir (``fusion_models/v0001.json`` ...); ``cold-start`` is the
shipped model, fitted on generated registers, used until a register has its own fit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from indexer import RegisterGenerator
from search_api.cli.common import fail, out
from search_api.config import Settings
from search_api.fusion.model import (
    COLD_START,
    FusionModel,
    FusionModelError,
    active_version,
    list_versions,
    load_active,
    save_version,
    use_version,
    version_path,
)
from search_api.resources import open_resources

app = typer.Typer(help="The fusion model: fit it on the live store, show it, choose the version in use.", no_args_is_help=True)


@app.command("fit")
def fit(
    text_limit: Annotated[int, typer.Option(help="Candidates per found child that EM sees (blocking's best first)")] = 10,
    max_found: Annotated[int, typer.Option(help="Found children whose blocked pairs EM sees (a sample beyond)")] = 5000,
    random_pairs: Annotated[int, typer.Option(help="Random pairs of the two registers for u")] = 30_000,
    labels: Annotated[bool, typer.Option(help="Learn from reviewers' confirmed/rejected pairs")] = True,
    activate: Annotated[bool, typer.Option(help="Make the new version the one in use")] = True,
) -> None:
    """Fit m, u, the prior and the calibration on the loaded registers (EM, started from the
    model in use) and on reviewers' decisions; save it as a new version."""
    from search_api.training import FitError, fit_from_store

    settings = Settings()
    with open_resources(settings) as res:
        start = load_active(settings.data_dir)
        out.print(f"starting from {start.source}")
        try:
            result = fit_from_store(res, start=start, text_limit=text_limit, max_found=max_found, n_random=random_pairs, use_labels=labels)
        except FitError as exc:
            raise fail(str(exc)) from exc
    for line in result.lines:
        out.print(line)
    version = save_version(result.model, settings.data_dir)
    if activate:
        use_version(settings.data_dir, version)
    out.print(f"saved fusion model {version} to {version_path(settings.data_dir, version)}" + (" (now in use)" if activate else ""))
    if not result.converged:
        out.print("[yellow]warning:[/yellow] EM did not converge; check the figures before using this version")


def _describe(model: FusionModel, version: str) -> list[str]:
    lines = [
        f"fusion model {version}" + (" (in use)" if version == active_version(Settings().data_dir) else ""),
        f"  {model.source}" if version == COLD_START else f"  file {version_path(Settings().data_dir, version)}",
        f"  prior {model.prior:.3g}, match share {model.match_share}, calibration a={model.calibration_a:.3f} b={model.calibration_b:.3f},"
        f" review threshold {model.review_threshold:.3f}",
        "  fitted on:",
    ]
    for key, value in model.fitted_on.items():
        lines.append(f"    {key}: {value}")
    for feature, levels in model.levels.items():
        lines.append(f"  {feature}")
        for level, p in levels.items():
            note = "  (neutral: no data)" if level == "missing" else ""
            lines.append(f"    {level:<16} m {p.m:.4f}  u {p.u:.4f}  weight {p.weight:+.2f} bits{note}")
    for table, values in model.term_frequencies.items():
        common = ", ".join(f"{k} {v:.4f}" for k, v in list(values.items())[:5])
        lines.append(f"  term frequencies, {table}: {len(values)} values; most common: {common}")
    return lines


@app.command("show")
def show(
    version: Annotated[Optional[str], typer.Argument(help="A version (v0001...) or cold-start; default: the one in use")] = None,
) -> None:
    """Every feature and level (m, u, weight in bits) and what the model was fitted on."""
    data_dir = Settings().data_dir
    chosen = version or active_version(data_dir)
    try:
        model = load_active(data_dir) if version is None else FusionModel.load(version_path(data_dir, chosen))
    except FusionModelError as exc:
        raise fail(str(exc)) from exc
    for line in _describe(model, chosen):
        out.print(line, highlight=False)


@app.command("list")
def list_command() -> None:
    """The saved versions, the one in use marked."""
    data_dir = Settings().data_dir
    active = active_version(data_dir)
    for version in [COLD_START, *list_versions(data_dir)]:
        model = FusionModel.load(version_path(data_dir, version))
        when = model.fitted_on.get("fitted_at", "shipped")
        out.print(f"{'*' if version == active else ' '} {version:<11} {when}  {model.fitted_on.get('method', 'generated registers')}")


@app.command("use")
def use(version: Annotated[str, typer.Argument(help="A saved version (v0001...) or cold-start")]) -> None:
    """Make a version the one in use (roll back or forward); a running server picks it up when restarted."""
    data_dir = Settings().data_dir
    try:
        use_version(data_dir, version)
    except FusionModelError as exc:
        raise fail(str(exc)) from exc
    out.print(f"fusion model in use: {version} (restart the server to load it)")


@app.command("fit-generated")
def fit_generated(
    n: Annotated[int, typer.Option(help="Missing reports to generate (found children: n/2)")] = 8000,
    photos: Annotated[Optional[Path], typer.Option(help="Folders of photos per person, to fit the face levels")] = None,
    seed: Annotated[int, typer.Option()] = 101,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Model file (default: the shipped cold-start model)")] = None,
) -> None:
    """Re-fit the shipped cold-start model on generated labelled registers (and real photo pairs)."""
    import tempfile

    from search_api.fusion.fit import fit_model
    from search_api.fusion.model import DEFAULT_MODEL_PATH

    dataset = RegisterGenerator(seed=seed).dataset(n, n // 2)
    with tempfile.TemporaryDirectory() as tmp:
        # built from scratch: the environment's database, backend and index are never touched
        settings = Settings.isolated(data_dir=Path(tmp) / "data")
        with open_resources(settings) as res:
            res.ingestor().ingest_records(dataset.records())
            model = fit_model(res, [(t["missing"], t["found"]) for t in dataset.truth], photos_dir=photos)
    target = out_path or DEFAULT_MODEL_PATH
    model.save(target)
    out.print(
        f"fusion model written to {target}: prior {model.prior:.4f}, calibration a={model.calibration_a:.3f} b={model.calibration_b:.3f}"
    )
    for feature, levels in model.levels.items():
        out.print(f"  {feature}: " + ", ".join(f"{lvl} {p.weight:+.1f}" for lvl, p in levels.items()))
