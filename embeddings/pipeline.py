"""Photo → faces → embeddings, batched: decode, detect, crop, grade quality, embed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from embeddings.config import FaceConfig
from embeddings.errors import EmbeddingError, ImageRejected, NoUsableFace
from embeddings.models import DetectedFace, FaceDetector, FaceEncoder
from embeddings.transforms import crop_face, decode_image, detection_copy, face_quality


@dataclass(frozen=True)
class FaceEmbedding:
    """One face of a photo: where, how sure, how good, and its 512-d vector."""

    box: tuple[float, float, float, float]
    prob: float
    quality: float
    low_quality: bool  # below the quality floor: stored, flagged, down-weighted by fusion
    embedding: np.ndarray = field(repr=False)
    model_id: str = ""

    def to_json(self) -> dict:
        return {
            "box": [round(v, 1) for v in self.box],
            "prob": round(self.prob, 4),
            "quality": self.quality,
            "low_quality": self.low_quality,
            "embedding": [round(float(v), 6) for v in self.embedding],
        }


@dataclass(frozen=True)
class PhotoFaces:
    """The outcome for one photo: its faces (primary first), or why there are none."""

    faces: tuple[FaceEmbedding, ...]
    error: str | None = None

    @property
    def primary(self) -> FaceEmbedding | None:
        return self.faces[0] if self.faces else None


def _primary_order(face: DetectedFace, size: tuple[int, int]) -> float:
    """Largest, most central face first: the person the photo is of."""
    x1, y1, x2, y2 = face.box
    area = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    cx, cy = (x1 + x2) / 2 / size[0], (y1 + y2) / 2 / size[1]
    off_centre = ((cx - 0.5) ** 2 + (cy - 0.5) ** 2) ** 0.5
    return area * (1.0 - min(0.7, off_centre))


class FacePipeline:
    """The face pipeline. ``load()`` is explicit; the first call also loads on demand.

    Example:
        >>> pipeline = FacePipeline(FaceConfig(models_dir=Path("data/models"))).load()  # doctest: +SKIP
        >>> faces = pipeline.embed_image(Path("child.jpg").read_bytes())  # doctest: +SKIP
        >>> faces[0].embedding.shape  # doctest: +SKIP
        (512,)
    """

    def __init__(self, cfg: FaceConfig) -> None:
        self.cfg = cfg
        self.detector = FaceDetector(cfg)
        self.encoder = FaceEncoder(cfg)

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    def load(self) -> FacePipeline:
        self.detector.load()
        self.encoder.load()
        return self

    def embed_images(self, photos: list[bytes]) -> list[PhotoFaces]:
        """Every photo's faces, batched; a bad photo gets an error, never an exception."""
        images: list[Image.Image | None] = []
        outcomes: list[PhotoFaces | None] = []
        for data in photos:
            try:
                images.append(decode_image(data, max_bytes=self.cfg.max_bytes, max_pixels=self.cfg.max_pixels))
                outcomes.append(None)
            except EmbeddingError as exc:
                images.append(None)
                outcomes.append(PhotoFaces((), str(exc)))
        live = [i for i, img in enumerate(images) if img is not None]
        copies = [detection_copy(images[i], self.cfg.detect_max_side) for i in live]  # type: ignore[arg-type]
        detections = self.detector.detect_batch([c for c, _ in copies]) if live else []
        crops: list[np.ndarray] = []
        owners: list[tuple[int, DetectedFace, float]] = []
        for i, (_copy, scale), found in zip(live, copies, detections, strict=True):
            image = images[i]
            assert image is not None
            faces = [self._to_original(f, scale) for f in found if f.prob >= self.cfg.min_detection_prob]
            faces = [f for f in faces if min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= self.cfg.min_face_px]
            if not faces:
                outcomes[i] = PhotoFaces((), "no usable face: none detected" if not found else "no usable face: faces too small or unclear")
                continue
            faces.sort(key=lambda f: _primary_order(f, image.size), reverse=True)
            for face in faces:
                crop = crop_face(image, face.box, margin=self.cfg.margin, size=self.cfg.image_size)
                quality = face_quality(box=face.box, prob=face.prob, landmarks=face.landmarks, crop=crop, min_face_px=self.cfg.min_face_px)
                crops.append(crop)
                owners.append((i, face, quality))
        vectors = self.encoder.embed_batch(np.stack(crops)) if crops else np.zeros((0, 512), dtype=np.float32)
        per_photo: dict[int, list[FaceEmbedding]] = {}
        for (i, face, quality), vector in zip(owners, vectors, strict=True):
            per_photo.setdefault(i, []).append(
                FaceEmbedding(face.box, face.prob, quality, quality < self.cfg.quality_floor, vector, self.model_id)
            )
        for i, faces in per_photo.items():
            outcomes[i] = PhotoFaces(tuple(faces))
        return [o if o is not None else PhotoFaces((), "no usable face") for o in outcomes]

    def embed_image(self, data: bytes) -> list[FaceEmbedding]:
        """Faces of one photo, primary first; raises ``NoUsableFace`` or ``ImageRejected``."""
        outcome = self.embed_images([data])[0]
        if outcome.error is not None:
            if outcome.error.startswith("no usable face"):
                raise NoUsableFace(outcome.error)
            raise ImageRejected(outcome.error)
        return list(outcome.faces)

    @staticmethod
    def _to_original(face: DetectedFace, scale: float) -> DetectedFace:
        if scale == 1.0:
            return face
        box = tuple(v / scale for v in face.box)
        landmarks = face.landmarks / scale if face.landmarks is not None else None
        return DetectedFace(box, face.prob, landmarks)  # type: ignore[arg-type]
