"""Pure image preprocessing: decoding with bounds, orientation, colour modes, crops, quality.

Every uploaded photo passes ``decode_image`` before any model sees it: size and pixel
count are bounded (decompression bombs are refused before decoding), truncated files
and non-images are rejected with a clear message, EXIF orientation is applied, and
CMYK, greyscale, palette, alpha, 16- and 32-bit images all become 8-bit RGB.
"""

from __future__ import annotations

import io
import math
import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from embeddings.errors import ImageRejected

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF", "MPO"})


def decode_image(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """Decode untrusted bytes into an upright 8-bit RGB image, or raise ``ImageRejected``."""
    return decode_reduced(data, max_bytes=max_bytes, max_pixels=max_pixels, max_side=None)[0]


def decode_reduced(data: bytes, *, max_bytes: int, max_pixels: int, max_side: int | None) -> tuple[Image.Image, float]:
    """Like ``decode_image``, but a JPEG larger than ``max_side`` is decoded at 1/2, 1/4 or 1/8
    scale (libjpeg's DCT scaling, a real downsample), keeping its long side at least
    ``max_side``. Returns the image and its scale against the file's own size.

    Halving a 12-megapixel photo's side cuts its decoding time about in half, and a face
    still gets more pixels than the 160-px crop needs unless it is under a tenth of the
    photo's long side.
    """
    if not data:
        raise ImageRejected("the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ImageRejected(f"unsupported image format {image.format}; use JPEG, PNG or WEBP")
            width, height = image.size
            # checked on the header, before any pixel is decoded
            if width * height > max_pixels:
                raise ImageRejected(f"the image is {width}x{height} pixels; the limit is {max_pixels:,} pixels")
            if max_side is not None and image.format == "JPEG" and max(width, height) > max_side:
                ratio = max_side / max(width, height)
                image.draft(None, (math.ceil(width * ratio), math.ceil(height * ratio)))
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"the image declares too many pixels (decompression bomb); the limit is {max_pixels:,} pixels") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected(f"not a readable image ({type(exc).__name__})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"the image is truncated or corrupt ({exc})") from exc
    scale = max(image.size) / max(width, height)
    image = ImageOps.exif_transpose(image) or image
    return to_rgb8(image), scale


def to_rgb8(image: Image.Image) -> Image.Image:
    """Any PIL mode → 8-bit RGB; transparency is composited on white."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) / (high - low) * 255.0 if high > low else np.zeros_like(array)
        return Image.fromarray(scaled.astype(np.uint8), mode="L").convert("RGB")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode == "RGB":
        return image
    return image.convert("RGB")


def detection_copy(image: Image.Image | np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """An (H, W, 3) uint8 copy small enough for the detector, and the factor that maps its
    boxes back. Area-averaged with OpenCV: several times faster than PIL's filter here."""
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    longest = max(width, height)
    if longest <= max_side:
        return pixels, 1.0
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), scale


def crop_face(
    image: Image.Image, box: tuple[float, float, float, float], *, margin: int, size: int, landmarks: np.ndarray | None = None
) -> np.ndarray:
    """A square ``size``×``size`` RGB crop around ``box`` with ``margin`` output pixels of context.

    The square is centred on the box and padded with black beyond the image edge, so a
    face near the edge keeps its shape instead of being stretched. Given the five
    landmarks, the face is turned about the box centre so that the eyes are level first
    (a tilted head; measured on ../shared/faces: d' 5.33 → 5.54, issue 3's note).
    """
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1)
    side_with_margin = side * size / max(1, size - margin)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    roll = pose_from_landmarks(landmarks)[1] if landmarks is not None else 0.0
    if abs(roll) < 1.0:
        half = side_with_margin / 2
        left, top = round(cx - half), round(cy - half)
        extent = max(1, round(side_with_margin))
        region = image.crop((left, top, left + extent, top + extent))  # pads with black outside
        return np.asarray(region.resize((size, size), Image.Resampling.BILINEAR), dtype=np.uint8)
    # a region √2 wider holds the turned square whole; it is shrunk first, so turning is cheap
    outer = side_with_margin * 1.42
    left, top = round(cx - outer / 2), round(cy - outer / 2)
    extent = max(1, round(outer))
    region = image.crop((left, top, left + extent, top + extent))
    working = min(extent, round(2 * size * 1.42))
    if working < extent:
        region = region.resize((working, working), Image.Resampling.BILINEAR, reducing_gap=2.0)
    factor = working / extent
    centre = ((cx - left) * factor, (cy - top) * factor)
    region = region.rotate(roll, resample=Image.Resampling.BILINEAR, center=centre)  # counter-clockwise: eyes level
    inner = side_with_margin * factor
    square = (centre[0] - inner / 2, centre[1] - inner / 2, centre[0] + inner / 2, centre[1] + inner / 2)
    return np.asarray(region.resize((size, size), Image.Resampling.BILINEAR, box=square), dtype=np.uint8)


def standardise(crops: np.ndarray) -> np.ndarray:
    """Fixed standardisation (RGB − 127.5) / 128, NHWC uint8 → NCHW float32 (never per-image prewhitening)."""
    return ((crops.astype(np.float32) - 127.5) / 128.0).transpose(0, 3, 1, 2).copy()


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the grey crop: low for blurred faces."""
    grey = crop.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    lap = -4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
    return float(lap.var())


def pose_from_landmarks(landmarks: np.ndarray) -> tuple[float, float]:
    """(yaw proxy, roll in degrees) from MTCNN's five points (eyes, nose, mouth corners).

    Yaw proxy: horizontal offset of the nose from the eyes' midpoint, in eye distances;
    0 for a frontal face, about 0.5 in profile.
    """
    left_eye, right_eye, nose = landmarks[0], landmarks[1], landmarks[2]
    dx, dy = right_eye[0] - left_eye[0], right_eye[1] - left_eye[1]
    eye_distance = max(1e-6, math.hypot(dx, dy))
    mid_x = (left_eye[0] + right_eye[0]) / 2
    return abs(nose[0] - mid_x) / eye_distance, math.degrees(math.atan2(dy, dx))


def face_quality(
    *,
    box: tuple[float, float, float, float],
    prob: float,
    landmarks: np.ndarray | None,
    crop: np.ndarray,
    min_face_px: int,
    sharp: float | None = None,
) -> float:
    """Quality in [0, 1]: detection confidence × size × sharpness × frontal pose.

    Size saturates at 112 px (a face that big carries all the detail the model uses);
    sharpness saturates at a Laplacian variance of 400; pose loses weight beyond a yaw of
    0.15 eye distances and a roll of 15°.
    """
    side = min(box[2] - box[0], box[3] - box[1])
    size_score = min(1.0, max(0.0, (side - min_face_px) / (112 - min_face_px)))
    sharp_score = min(1.0, math.log1p(sharpness(crop) if sharp is None else sharp) / math.log1p(400))
    pose_score = 1.0
    if landmarks is not None:
        yaw, roll = pose_from_landmarks(landmarks)
        pose_score = max(0.0, 1 - max(0.0, yaw - 0.15) / 0.45) * max(0.0, 1 - max(0.0, abs(roll) - 15) / 45)
    return round(float(prob * size_score**0.4 * sharp_score**0.3 * pose_score**0.3), 4)


# The standard five-point template of a 112×112 ArcFace-style crop (insightface, OpenCV's SFace):
# image-left eye, image-right eye, nose tip, image-left and image-right mouth corners.
ARCFACE_TEMPLATE = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]], dtype=np.float64
)


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2×3 similarity (rotation, uniform scale, shift) mapping ``source`` points onto ``target``
    in the least-squares sense (Umeyama 1991, without reflection)."""
    src = np.asarray(source, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(target, dtype=np.float64).reshape(-1, 2)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.ones(2)
    if np.linalg.det(covariance) < 0:
        sign[1] = -1
    rotation = u @ np.diag(sign) @ vt
    variance = src_c.var(axis=0).sum()
    scale = float((singular * sign).sum() / variance) if variance > 0 else 1.0
    shift = dst_mean - scale * rotation @ src_mean
    return np.hstack([scale * rotation, shift[:, None]])


def align_five_point(pixels: np.ndarray, landmarks: np.ndarray, *, size: int = 112) -> np.ndarray:
    """A ``size``×``size`` crop warped so that MTCNN's five landmarks fall on the ArcFace template.

    Black beyond the image edge. A face much larger than the crop is first shrunk with an area
    filter (a bilinear warp alone would alias it), so the warp itself scales by about 1.
    """
    points = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    target = ARCFACE_TEMPLATE * (size / 112.0)
    matrix = similarity_transform(points, target)
    scale = math.hypot(matrix[0, 0], matrix[1, 0])
    if scale < 0.5:
        # cut a generous square around the face, shrink it to about twice the crop's size, warp from there
        inverse = cv2.invertAffineTransform(matrix)
        corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], dtype=np.float64) @ inverse.T
        x0, y0 = np.floor(corners.min(axis=0)).astype(int)
        x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
        height, width = pixels.shape[:2]
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
        if x1 > x0 and y1 > y0:
            factor = min(1.0, 2 * scale)
            region = pixels[y0:y1, x0:x1]
            new_size = (max(1, round((x1 - x0) * factor)), max(1, round((y1 - y0) * factor)))
            small = cv2.resize(region, new_size, interpolation=cv2.INTER_AREA)
            fx, fy = new_size[0] / (x1 - x0), new_size[1] / (y1 - y0)
            shifted = (points - [x0, y0]) * [fx, fy]
            matrix = similarity_transform(shifted, target)
            pixels = small
    return cv2.warpAffine(pixels, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def crop_box_margin(image: Image.Image, box: tuple[float, float, float, float], *, margin: float, size: int) -> np.ndarray:
    """FaceNet's own crop (davidsandberg/facenet ``align_dataset_mtcnn``): the detector's box grown
    by ``margin`` × its mean side in all (half on each side), clipped to the image, resized to
    ``size``×``size`` with a bilinear filter, aspect ratio not kept.

    The original grows the box by a margin in source pixels (32 px for its 160-px LFW
    validation crops, 44 px at 182 px for training, on 250-px photos whose faces are about
    110 px); here it is a fraction of the box so that it does not depend on the photo's resolution.
    """
    x1, y1, x2, y2 = box
    grow = margin * ((x2 - x1) + (y2 - y1)) / 2 / 2
    width, height = image.size
    left, top = max(0, int(x1 - grow)), max(0, int(y1 - grow))
    right, bottom = min(width, int(x2 + grow)), min(height, int(y2 + grow))
    if right <= left or bottom <= top:
        return np.zeros((size, size, 3), dtype=np.uint8)
    region = image.crop((left, top, right, bottom))
    return np.asarray(region.resize((size, size), Image.Resampling.BILINEAR), dtype=np.uint8)


def prewhiten(crops: np.ndarray) -> np.ndarray:
    """Per-image standardisation (davidsandberg's ``prewhiten``), NHWC uint8 → NCHW float32."""
    x = crops.astype(np.float32)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    std = np.maximum(x.std(axis=(1, 2, 3), keepdims=True), 1.0 / math.sqrt(x[0].size))
    return ((x - mean) / std).transpose(0, 3, 1, 2).copy()
