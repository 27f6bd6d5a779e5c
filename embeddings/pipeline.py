"""Photo → faces → embeddings, batched: decode, detect, crop, grade quality, embed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image

from embeddings.config import FaceConfig
from embeddings.errors import EmbeddingError, ImageRejected, NoUsableFace
from embeddings.models import DetectedFace, FaceDetector, FaceEncoder, SFaceEncoder
from embeddings.runtime import import_torch
from embeddings.transforms import (
    align_five_point,
    crop_box_margin,
    crop_face,
    decode_reduced,
    detection_copy,
    face_quality,
    pose_from_landmarks,
    sharpness,
)
from embeddings.weights import model_id

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class FaceEmbedding:
    """One face of a photo: where, how sure, how good, and its vector.

    ``embedding`` is the weighted concatenation of each embedder's unit vector (√weight × vector),
    so the inner product of two embeddings is the fused score Σ weight × cosine, and the
    embedding is itself a unit vector. ``parts`` keeps each embedder's own unit vector.
    """

    box: tuple[float, float, float, float]
    prob: float
    quality: float
    low_quality: bool  # below the quality floor: stored, flagged, down-weighted by fusion
    embedding: np.ndarray = field(repr=False)
    model_id: str = ""
    parts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    sharpness: float = 0.0  # Laplacian variance of the crop: low when blurred
    yaw: float = 0.0  # nose offset from the eyes' midpoint in eye distances: 0 frontal, ~0.5 profile

    def to_json(self) -> dict:
        return {
            "box": [round(v, 1) for v in self.box],
            "prob": round(self.prob, 4),
            "quality": self.quality,
            "low_quality": self.low_quality,
            "sharpness": round(self.sharpness, 1),
            "yaw": round(self.yaw, 3),
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


@dataclass(frozen=True)
class _FoundFace:
    face: DetectedFace  # in the photo's own pixel coordinates
    crops: tuple[np.ndarray, ...]  # one per embedder
    quality: float
    sharpness: float
    yaw: float


class FacePipeline:
    """The face pipeline. ``load()`` is explicit; the first call also loads on demand.

    ``cfg.threads`` photos are decoded and detected side by side, and crops are embedded in
    ``cfg.batch_size`` chunks side by side, each worker with one torch thread: on this
    2-core CPU that beat two torch threads inside each operation (MTCNN's small layers
    barely parallelise), 0.99 s against 1.53 s to detect faces in 31 photos.

    Example:
        >>> pipeline = FacePipeline(FaceConfig(models_dir=Path("data/models"))).load()  # doctest: +SKIP
        >>> faces = pipeline.embed_image(Path("child.jpg").read_bytes())  # doctest: +SKIP
        >>> faces[0].embedding.shape  # doctest: +SKIP
        (640,)
    """

    def __init__(self, cfg: FaceConfig) -> None:
        self.cfg = cfg
        self.detector = FaceDetector(cfg)
        self.encoders: tuple[FaceEncoder | SFaceEncoder, ...] = tuple(
            FaceEncoder(cfg) if name == "facenet" else SFaceEncoder(cfg) for name in cfg.embedders
        )
        self.encoder = self.encoders[0]
        self._scales = np.sqrt(np.asarray(cfg.weights, dtype=np.float32))
        self.dimension = sum(e.dimension for e in self.encoders)
        self._model_id = model_id(cfg)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._loaded = False

    @property
    def model_id(self) -> str:
        return self._model_id

    def load(self) -> FacePipeline:
        if not self._loaded:  # once: every batch calls this
            # parallelism comes from the workers (see class doc); OpenCV's own pool only competed
            import_torch().set_num_threads(1)
            cv2.setNumThreads(1)
            self.detector.load()
            for encoder in self.encoders:
                encoder.load()
            self._loaded = True
        return self

    def _map(self, work: Callable[[T], R], items: list[T]) -> list[R]:
        """``work`` over ``items`` on the pipeline's workers, in order."""
        if self.cfg.threads == 1 or len(items) < 2:
            return [work(item) for item in items]
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.cfg.threads, thread_name_prefix="faces")
        return list(self._pool.map(work, items))

    def embed_images(self, photos: list[bytes]) -> list[PhotoFaces]:
        """Every photo's faces, batched; a bad photo gets an error, never an exception."""
        self.load()
        # largest files first: the workers take the next photo as they finish, so the slowest
        # photos start early instead of leaving one worker alone at the end of the batch
        order = sorted(range(len(photos)), key=lambda i: -len(photos[i]))
        found_in_order = self._map(self._find_faces, [photos[i] for i in order])
        found: list[list[_FoundFace] | str] = [""] * len(photos)
        for i, outcome in zip(order, found_in_order, strict=True):
            found[i] = outcome
        owners = [(i, f) for i, faces in enumerate(found) if not isinstance(faces, str) for f in faces]
        per_encoder = [self._embed_all(encoder, [f.crops[k] for _, f in owners]) for k, encoder in enumerate(self.encoders)]
        fused = np.concatenate([vectors * scale for vectors, scale in zip(per_encoder, self._scales, strict=True)], axis=1)
        per_photo: dict[int, list[FaceEmbedding]] = {}
        for n, (i, f) in enumerate(owners):
            parts = {encoder.model_id: vectors[n] for encoder, vectors in zip(self.encoders, per_encoder, strict=True)}
            per_photo.setdefault(i, []).append(
                FaceEmbedding(
                    f.face.box,
                    f.face.prob,
                    f.quality,
                    f.quality < self.cfg.quality_floor,
                    fused[n],
                    self.model_id,
                    parts,
                    sharpness=f.sharpness,
                    yaw=f.yaw,
                )
            )
        return [PhotoFaces((), faces) if isinstance(faces, str) else PhotoFaces(tuple(per_photo[i])) for i, faces in enumerate(found)]

    def _embed_all(self, encoder: FaceEncoder | SFaceEncoder, crops: list[np.ndarray]) -> np.ndarray:
        """One embedder over every crop: even chunks, at least one per worker, none above the batch size."""
        if not crops:
            return np.zeros((0, encoder.dimension), np.float32)
        n_chunks = max(min(self.cfg.threads, len(crops)), -(-len(crops) // self.cfg.batch_size))
        return np.concatenate(self._map(encoder.embed_batch, np.array_split(np.stack(crops), n_chunks)))

    def crops_of(self, image: Image.Image, face: DetectedFace, pixels: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Each embedder's crop of one face (``face`` in the coordinates of ``image``; ``pixels``:
        the image as an array, when the caller has it already)."""
        crops = []
        for name in self.cfg.embedders:
            if name == "sface":
                if face.landmarks is None:  # MTCNN always gives them; a square crop otherwise
                    crops.append(crop_face(image, face.box, margin=20, size=112))
                else:
                    crops.append(align_five_point(np.asarray(image) if pixels is None else pixels, face.landmarks, size=112))
            elif self.cfg.facenet_crop == "box":
                crops.append(crop_box_margin(image, face.box, margin=self.cfg.box_margin, size=self.cfg.image_size))
            else:
                landmarks = face.landmarks if self.cfg.level_eyes else None
                crops.append(crop_face(image, face.box, margin=self.cfg.margin, size=self.cfg.image_size, landmarks=landmarks))
        return tuple(crops)

    def _find_faces(self, data: bytes) -> list[_FoundFace] | str:
        """One photo's usable faces, primary first, each cropped and graded; or why none."""
        try:
            image, decoded_scale = decode_reduced(
                data, max_bytes=self.cfg.max_bytes, max_pixels=self.cfg.max_pixels, max_side=self.cfg.decode_max_side
            )
        except EmbeddingError as exc:
            return str(exc)
        pixels = np.asarray(image)  # one copy out of PIL, for the detector's copy and the aligned crops
        copy, copy_scale = detection_copy(pixels, self.cfg.detect_max_side)
        detected = self.detector.detect(copy)
        faces = [_scaled(f, copy_scale) for f in detected if f.prob >= self.cfg.min_detection_prob]
        # the size floor is in the photo's own pixels, whatever it was decoded at
        faces = [f for f in faces if min(f.box[2] - f.box[0], f.box[3] - f.box[1]) / decoded_scale >= self.cfg.min_face_px]
        if not faces:
            return "no usable face: none detected" if not detected else "no usable face: faces too small or unclear"
        faces.sort(key=lambda f: _primary_order(f, image.size), reverse=True)
        out = []
        for face in faces:
            crops = self.crops_of(image, face, pixels)
            in_photo = _scaled(face, decoded_scale)
            sharp = sharpness(crops[0])
            quality = face_quality(
                box=in_photo.box, prob=face.prob, landmarks=face.landmarks, crop=crops[0], min_face_px=self.cfg.min_face_px, sharp=sharp
            )
            yaw = float(pose_from_landmarks(face.landmarks)[0]) if face.landmarks is not None else 0.0
            out.append(_FoundFace(in_photo, crops, quality, sharp, yaw))
        return out

    def embed_image(self, data: bytes) -> list[FaceEmbedding]:
        """Faces of one photo, primary first; raises ``NoUsableFace`` or ``ImageRejected``."""
        outcome = self.embed_images([data])[0]
        if outcome.error is not None:
            if outcome.error.startswith("no usable face"):
                raise NoUsableFace(outcome.error)
            raise ImageRejected(outcome.error)
        return list(outcome.faces)


def _scaled(face: DetectedFace, scale: float) -> DetectedFace:
    """The face in the coordinates of an image ``1/scale`` times the size."""
    if scale == 1.0:
        return face
    box = tuple(v / scale for v in face.box)
    landmarks = face.landmarks / scale if face.landmarks is not None else None
    return DetectedFace(box, face.prob, landmarks)  # type: ignore[arg-type]
