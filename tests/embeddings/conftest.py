"""One real face pipeline per test session (real MTCNN weights, real converted FaceNet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings import FaceConfig, FacePipeline

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"


@pytest.fixture(scope="session")
def face_config(tmp_path_factory: pytest.TempPathFactory) -> FaceConfig:
    return FaceConfig(models_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def pipeline(face_config: FaceConfig) -> FacePipeline:
    return FacePipeline(face_config).load()


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()
