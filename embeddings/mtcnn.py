"""MTCNN's three-stage cascade over facenet-pytorch's P-, R- and O-Nets, driven per image.

The networks and their weights are facenet-pytorch's (shipped inside its wheel). This module
only replaces the driver, ``facenet_pytorch.models.utils.detect_face``, for speed on a CPU:

- resampling (the image pyramid and the 24/48-px box crops) uses OpenCV's area filter on
  numpy arrays instead of one ``torch.interpolate`` call per candidate box, which was a
  quarter of detection time;
- the caller sets the smallest face looked for and the per-stage thresholds;
- images of any size are accepted one at a time (batching equal-size images gained nothing
  on this CPU: measured in issue 3's note).

The cascade is otherwise the same: stage by stage, the same box arithmetic, non-maximum
suppression and thresholds, so boxes agree with facenet-pytorch's ``MTCNN.detect``
(``tests/embeddings/test_mtcnn.py`` checks it on real photos).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from embeddings.runtime import import_torch


@dataclass(frozen=True)
class CascadeSettings:
    """What the cascade looks for. ``min_face_px`` is in the pixels of the image it is given."""

    min_face_px: int = 20
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)
    pyramid_factor: float = 0.709


@dataclass(frozen=True)
class CascadeFaces:
    boxes: np.ndarray  # (n, 4) x1, y1, x2, y2
    probs: np.ndarray  # (n,)
    landmarks: np.ndarray  # (n, 5, 2)


_EMPTY = CascadeFaces(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 5, 2), np.float32))


def _nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, *, by_min: bool = False) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression, best score first.

    Overlap is intersection over union, or over the smaller box (``by_min``), with MTCNN's
    inclusive-pixel areas (+1).
    """
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores, kind="stable")[::-1]
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        overlap = inter / np.minimum(area[i], area[rest]) if by_min else inter / (area[i] + area[rest] - inter)
        order = rest[overlap <= threshold]
    return np.asarray(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box to a square around its centre (MTCNN's ``rerec``)."""
    boxes = boxes.copy()
    h = boxes[:, 3] - boxes[:, 1]
    w = boxes[:, 2] - boxes[:, 0]
    side = np.maximum(w, h)
    boxes[:, 0] = boxes[:, 0] + w * 0.5 - side * 0.5
    boxes[:, 1] = boxes[:, 1] + h * 0.5 - side * 0.5
    boxes[:, 2] = boxes[:, 0] + side
    boxes[:, 3] = boxes[:, 1] + side
    return boxes


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Apply a stage's box regression (offsets in box widths, inclusive pixels)."""
    boxes = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    boxes[:, 0] += offsets[:, 0] * w
    boxes[:, 1] += offsets[:, 1] * h
    boxes[:, 2] += offsets[:, 2] * w
    boxes[:, 3] += offsets[:, 3] * h
    return boxes


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box cut from the image (clamped to it, as facenet-pytorch does) and resized."""
    height, width = image.shape[:2]
    ints = np.trunc(boxes[:, :4]).astype(np.int64)
    x = np.maximum(ints[:, 0], 1)
    y = np.maximum(ints[:, 1], 1)
    ex = np.minimum(ints[:, 2], width)
    ey = np.minimum(ints[:, 3], height)
    out = np.zeros((len(boxes), size, size, 3), dtype=np.float32)
    for k in range(len(boxes)):
        if ey[k] > y[k] - 1 and ex[k] > x[k] - 1:
            out[k] = cv2.resize(image[y[k] - 1 : ey[k], x[k] - 1 : ex[k]], (size, size), interpolation=cv2.INTER_AREA)
    return out


def _to_input(pixels: np.ndarray):  # type: ignore[no-untyped-def]
    """NHWC float pixels → NCHW tensor scaled as the nets were trained: (p − 127.5) / 128."""
    torch = import_torch()
    # NHWC memory is already channels-last: a permuted view, no copy
    return torch.from_numpy(np.ascontiguousarray((pixels - 127.5) * 0.0078125)).permute(0, 3, 1, 2)


class MtcnnCascade:
    """P-Net over an image pyramid, then R-Net and O-Net on the surviving boxes."""

    def __init__(self, settings: CascadeSettings) -> None:
        torch = import_torch()
        from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

        self.settings = settings
        # pretrained=True reads the state dicts packaged in the wheel; nothing is fetched
        # channels-last: P-, R- and O-Net ran 1.5, 3.3 and 2.3 times faster on this CPU
        nets = (net.eval().to(memory_format=torch.channels_last) for net in (PNet(), RNet(), ONet()))
        self.pnet, self.rnet, self.onet = nets

    def detect(self, image: np.ndarray) -> CascadeFaces:
        """Faces in one (H, W, 3) uint8 RGB image."""
        torch = import_torch()
        with torch.inference_mode():
            pixels = image.astype(np.float32)
            boxes = self._proposals(image)
            if len(boxes):
                boxes = self._refine(pixels, boxes)
            if len(boxes):
                return self._output(pixels, boxes)
        return _EMPTY

    def _scales(self, height: int, width: int) -> list[float]:
        scale = 12.0 / self.settings.min_face_px
        shortest = min(height, width) * scale
        scales = []
        while shortest >= 12:
            scales.append(scale)
            scale *= self.settings.pyramid_factor
            shortest *= self.settings.pyramid_factor
        return scales

    def _proposals(self, image: np.ndarray) -> np.ndarray:
        """Stage 1: P-Net's candidate boxes (x1, y1, x2, y2, score), squared."""
        height, width = image.shape[:2]
        threshold = self.settings.thresholds[0]
        found = []
        first: np.ndarray | None = None
        for scale in self._scales(height, width):
            size = (int(width * scale + 1), int(height * scale + 1))
            # 8-bit area resampling, each level from the pyramid's first (largest) level rather
            # than from the whole image: a third of the time, and still an area average
            if first is None:
                level = first = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            else:
                level = cv2.resize(first, size, interpolation=cv2.INTER_AREA)
            offsets, probs = self.pnet(_to_input(level.astype(np.float32)[None]))
            score = probs[0, 1].numpy()
            ys, xs = np.nonzero(score >= threshold)
            if not len(ys):
                continue
            cells = np.stack([xs, ys], axis=1).astype(np.float32)
            top_left = np.floor((2 * cells + 1) / scale)
            bottom_right = np.floor((2 * cells + 12) / scale)
            reg = offsets[0].numpy()[:, ys, xs].T
            boxes = np.concatenate([top_left, bottom_right, score[ys, xs][:, None], reg], axis=1)
            found.append(boxes[_nms(boxes[:, :4], boxes[:, 4], 0.5)])
        if not found:
            return np.zeros((0, 5), np.float32)
        boxes = np.concatenate(found)
        boxes = boxes[_nms(boxes[:, :4], boxes[:, 4], 0.7)]
        w = boxes[:, 2] - boxes[:, 0]
        h = boxes[:, 3] - boxes[:, 1]
        moved = np.stack(
            [
                boxes[:, 0] + boxes[:, 5] * w,
                boxes[:, 1] + boxes[:, 6] * h,
                boxes[:, 2] + boxes[:, 7] * w,
                boxes[:, 3] + boxes[:, 8] * h,
                boxes[:, 4],
            ],
            axis=1,
        )
        return _square(moved)

    def _refine(self, pixels: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Stage 2: R-Net keeps and tightens the likely faces."""
        offsets, probs = self.rnet(_to_input(_crops(pixels, boxes, 24)))
        score = probs[:, 1].numpy()
        passed = score > self.settings.thresholds[1]
        boxes = np.concatenate([boxes[passed, :4], score[passed, None]], axis=1)
        offsets = offsets.numpy()[passed]
        keep = _nms(boxes[:, :4], boxes[:, 4], 0.7)
        return _square(_regress(boxes[keep], offsets[keep]))

    def _output(self, pixels: np.ndarray, boxes: np.ndarray) -> CascadeFaces:
        """Stage 3: O-Net's final boxes, probabilities and five landmarks."""
        offsets, points, probs = self.onet(_to_input(_crops(pixels, boxes, 48)))
        score = probs[:, 1].numpy()
        passed = score > self.settings.thresholds[2]
        if not passed.any():
            return _EMPTY
        boxes = np.concatenate([boxes[passed, :4], score[passed, None]], axis=1)
        points = points.numpy()[passed]
        w = boxes[:, 2] - boxes[:, 0] + 1
        h = boxes[:, 3] - boxes[:, 1] + 1
        xs = w[:, None] * points[:, :5] + boxes[:, 0:1] - 1
        ys = h[:, None] * points[:, 5:10] + boxes[:, 1:2] - 1
        landmarks = np.stack([xs, ys], axis=2)
        boxes = _regress(boxes, offsets.numpy()[passed])
        keep = _nms(boxes[:, :4], boxes[:, 4], 0.7, by_min=True)
        return CascadeFaces(boxes[keep, :4].astype(np.float32), boxes[keep, 4].astype(np.float32), landmarks[keep].astype(np.float32))
