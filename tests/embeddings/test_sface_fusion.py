"""SFace beside FaceNet: the five-point alignment, the weights it needs, and the fused embedding."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from embeddings import FaceConfig, WeightsNotFound, embedding_dimension, find_sface_onnx, model_id
from embeddings.models import SFaceEncoder
from embeddings.transforms import ARCFACE_TEMPLATE, align_five_point, similarity_transform
from embeddings.weights import SFACE_ID, facenet_id
from tests.embeddings.conftest import photo


def _similarity(scale: float, degrees: float, shift: tuple[float, float]) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[scale * c, -scale * s, shift[0]], [scale * s, scale * c, shift[1]]])


def test_similarity_transform_recovers_a_known_similarity() -> None:
    truth = _similarity(0.37, -12.0, (20.0, -5.0))
    source = np.random.default_rng(0).uniform(0, 400, (5, 2))
    target = source @ truth[:, :2].T + truth[:, 2]
    assert np.allclose(similarity_transform(source, target), truth, atol=1e-9)


@pytest.mark.parametrize("scale", [0.9, 4.0])  # a small face warped directly, a large one shrunk first
def test_alignment_puts_the_five_landmarks_on_the_template(scale: float) -> None:
    # five bright dots where a face's landmarks would be, in a photo turned by 25°
    to_photo = _similarity(scale, 25.0, (150.0, 90.0))
    landmarks = ARCFACE_TEMPLATE @ to_photo[:, :2].T + to_photo[:, 2]
    size = int(landmarks.max() + 200)
    pixels = np.zeros((size, size, 3), np.uint8)
    for x, y in landmarks:
        cv2.circle(pixels, (round(x), round(y)), max(2, round(2 * scale)), (255, 255, 255), -1)
    crop = align_five_point(pixels, landmarks, size=112)
    assert crop.shape == (112, 112, 3)
    for x, y in ARCFACE_TEMPLATE:
        assert crop[round(y), round(x)].mean() > 100, (x, y)
    assert crop[10, 10].mean() == 0  # black away from the dots


def test_a_missing_sface_file_names_the_setup_command(tmp_path: Path) -> None:
    cfg = FaceConfig(models_dir=tmp_path, sface_onnx=tmp_path / "absent.onnx")
    with pytest.raises(WeightsNotFound, match="make setup"):
        find_sface_onnx(cfg)
    with pytest.raises(WeightsNotFound, match="make setup"):
        SFaceEncoder(cfg).load()


def test_the_model_id_names_both_embedders_their_crops_and_weights(tmp_path: Path) -> None:
    cfg = FaceConfig(models_dir=tmp_path, embedder_weights=(0.3, 0.7))
    assert model_id(cfg) == f"{facenet_id(cfg)}@0.30__{SFACE_ID}@0.70"
    assert embedding_dimension(cfg) == 640
    others = [
        cfg.model_copy(update={"embedder_weights": (0.4, 0.6)}),
        cfg.model_copy(update={"facenet_crop": "square"}),
        cfg.model_copy(update={"box_margin": 0.45}),
        cfg.model_copy(update={"facenet_crop": "square", "margin": 32}),
        cfg.model_copy(update={"facenet_standardise": "prewhiten"}),
    ]
    assert len({model_id(cfg), *map(model_id, others)}) == 6  # every change re-embeds
    assert model_id(cfg).startswith("facenet-20180408-102900-casia-webface-v1+crop-box30@")  # FaceNet's own crop by default
    alone = FaceConfig(models_dir=tmp_path, embedders=("facenet",), embedder_weights=(1.0,), facenet_crop="square")
    assert model_id(alone) == "facenet-20180408-102900-casia-webface-v1+crop-m20-level"  # vectors made before SFace keep their id
    with pytest.raises(ValueError, match="one positive weight per embedder"):
        FaceConfig(embedder_weights=(1.0,))


@pytest.mark.slow
def test_the_fused_embedding_scores_the_weighted_sum_of_cosines(pipeline) -> None:  # type: ignore[no-untyped-def]
    names = ["obama_4.jpg", "obama_5.jpg", "biden_2.jpg", "paul_allen_1.jpg"]
    faces = [pipeline.embed_image(photo(n))[0] for n in names]
    weights = pipeline.cfg.weights
    for face in faces:
        assert face.embedding.shape == (640,) and abs(float(face.embedding @ face.embedding) - 1) < 1e-5
        assert list(face.parts) == [facenet_id(pipeline.cfg), SFACE_ID]
        assert [v.shape for v in face.parts.values()] == [(512,), (128,)]
    for a in faces:
        for b in faces:
            fused = sum(w * float(a.parts[k] @ b.parts[k]) for w, k in zip(weights, a.parts, strict=True))
            assert abs(float(a.embedding @ b.embedding) - fused) < 1e-5


@pytest.mark.slow
def test_sface_alone_scores_the_same_person_above_other_people(pipeline) -> None:  # type: ignore[no-untyped-def]
    vectors = {
        n: pipeline.embed_image(photo(n))[0].parts[SFACE_ID] for n in ["obama_4.jpg", "obama_5.jpg", "biden_2.jpg", "paul_allen_1.jpg"]
    }
    same = float(vectors["obama_4.jpg"] @ vectors["obama_5.jpg"])
    different = [float(vectors["obama_4.jpg"] @ vectors[n]) for n in ("biden_2.jpg", "paul_allen_1.jpg")]
    assert same > 0.5 > max(different), (same, different)


@pytest.mark.slow
def test_facenet_in_bfloat16_agrees_with_float32_on_real_faces(pipeline) -> None:  # type: ignore[no-untyped-def]
    from embeddings.models import FaceEncoder
    from embeddings.transforms import decode_image

    crops = []
    for name in ("obama_4.jpg", "biden_2.jpg", "paul_allen_1.jpg"):
        pil = decode_image(photo(name), max_bytes=pipeline.cfg.max_bytes, max_pixels=pipeline.cfg.max_pixels)
        face = max(pipeline.detector.detect(np.asarray(pil)), key=lambda f: f.prob)
        crops.append(pipeline.crops_of(pil, face)[0])
    batch = np.stack(crops)
    exact = FaceEncoder(pipeline.cfg.model_copy(update={"facenet_bfloat16": False})).embed_batch(batch)
    fast = FaceEncoder(pipeline.cfg.model_copy(update={"facenet_bfloat16": True})).embed_batch(batch)
    assert np.all(np.sum(exact * fast, axis=1) > 0.9995)  # measured 0.99996
    # a pair's FaceNet cosine moves by a few thousandths (measured up to 0.0026): a fused score, FaceNet
    # weighted 0.285, by under 0.001, against face levels 0.06-0.08 apart
    pairs = np.triu_indices(len(crops), 1)
    assert np.abs((exact @ exact.T)[pairs] - (fast @ fast.T)[pairs]).max() < 5e-3
