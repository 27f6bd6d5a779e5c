"""The fusion model: fitting (training code, never on the request path)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from indexer import RegisterGenerator
from search_api.cli.common import out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer()


@app.command("fit-model")
def fit_model_command(
    n: Annotated[int, typer.Option(help="Missing reports to generate (found children: n/2)")] = 8000,
    photos: Annotated[Optional[Path], typer.Option(help="Folders of photos per person, to fit the face levels")] = None,
    seed: Annotated[int, typer.Option()] = 101,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="Model file (default: the one in the package)")] = None,
) -> None:
    """Re-fit the fusion model on generated labelled registers (and real photo pairs) and save it."""
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
