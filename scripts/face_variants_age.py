"""FaceNet crop and pixel-scaling variants on child→adult pairs of the Large Age-Gap dev split.

Run (CPU-heavy, under the shared lock):
``flock /tmp/trackchild-bench.lock .venv/bin/python scripts/face_variants_age.py LAG_PIC_DIR [PEOPLE]``.
Each photo is detected once; every variant crops and embeds the same face. PEOPLE (default
150) limits the run to the first dev people, for a quick choice before a full
``trackchild bench faces-age --set ...`` run. Prints rank-1 / rank-10 / AUC per variant.
Dev split only: held-out people are never read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from embeddings import FaceConfig, FacePipeline
from embeddings.pipeline import _primary_order, _scaled
from embeddings.transforms import decode_reduced, detection_copy
from search_api.bench_faces_age import PartVectors, evaluate, lag_photos, pair_scores

VARIANTS = {
    "square m20, eyes levelled (today)": {},
    "square m20, not levelled": {"level_eyes": False},
    "box + 0.30 (FaceNet's own crop)": {"facenet_crop": "box", "box_margin": 0.3},
    "box + 0.45": {"facenet_crop": "box", "box_margin": 0.45},
    "box + 0.30, prewhiten": {"facenet_crop": "box", "box_margin": 0.3, "facenet_standardise": "prewhiten"},
}


def main(root: Path, people: int) -> None:
    photos = lag_photos(root, split="dev")
    keep = sorted({p.identity for p in photos})[:people]
    photos = [p for p in photos if p.identity in keep]
    base = FaceConfig(embedders=("facenet",), embedder_weights=(1.0,))
    pipeline = FacePipeline(base).load()
    found = []
    started = time.perf_counter()
    for p in photos:
        image, _ = decode_reduced((root / p.relpath).read_bytes(), max_bytes=base.max_bytes, max_pixels=base.max_pixels, max_side=1600)
        copy, scale = detection_copy(image, base.detect_max_side)
        faces = [_scaled(f, scale) for f in pipeline.detector.detect(copy) if f.prob >= base.min_detection_prob]
        faces = [f for f in faces if min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= base.min_face_px]
        found.append((image, max(faces, key=lambda f: _primary_order(f, image.size)) if faces else None))
    print(f"{len(keep)} dev people, {len(photos)} photos, detected in {time.perf_counter() - started:.0f}s", flush=True)
    for name, update in VARIANTS.items():
        variant = FacePipeline(base.model_copy(update=update))
        variant.encoder.load()
        vectors = np.zeros((len(photos), 512), np.float32)
        ok = np.array([face is not None for _, face in found])
        crops = [variant.crops_of(image, face)[0] for image, face in found if face is not None]
        vectors[ok] = variant.encoder.embed_batch(np.stack(crops))
        pairs, n, unusable = pair_scores(photos, PartVectors(vectors, ok, np.ones(len(photos))))
        print(evaluate(pairs, n, unusable).line(name), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 150)
