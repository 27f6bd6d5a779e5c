"""What to tell the person uploading a photo, at once: is the face usable, and if not, what to do.

Checked on the photo's faces as the pipeline found them: no face, a face too small, blurred,
turned away, or several faces (the largest, most central one is taken as the child's).
A photo with a problem is still kept (never lose a child): the advice says how to get a better one.
"""

from __future__ import annotations

from dataclasses import dataclass

from embeddings.pipeline import FaceEmbedding, PhotoFaces

# a face narrower than this (photo pixels) carries little of what tells children apart
MIN_GOOD_FACE_PX = 64
# Laplacian variance of the 160-px crop below which a face is blurred (a sharp face is in the hundreds)
MIN_SHARPNESS = 60.0
# nose offset from the eyes' midpoint, in eye distances: 0 frontal, about 0.5 in profile
MAX_YAW = 0.3
# a second face at least this share of the first face's area makes the photo ambiguous
SECOND_FACE_AREA = 0.25


@dataclass(frozen=True)
class PhotoProblem:
    code: str  # no_face, too_small, blurred, turned_away, several_faces, unreadable
    message: str  # what is wrong
    action: str  # what to do about it

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, "action": self.action}


@dataclass(frozen=True)
class PhotoAdvice:
    """The verdict on one uploaded photo: usable for face matching, and any problems."""

    usable: bool
    problems: tuple[PhotoProblem, ...]

    @property
    def ok(self) -> bool:
        return self.usable and not self.problems

    def summary(self) -> str:
        if self.ok:
            return "the face is clear enough for face matching"
        return " ".join(f"{p.message}: {p.action}." for p in self.problems)

    def to_json(self) -> dict:
        return {"usable": self.usable, "ok": self.ok, "problems": [p.to_json() for p in self.problems], "summary": self.summary()}


def _area(face: FaceEmbedding) -> float:
    return max(0.0, face.box[2] - face.box[0]) * max(0.0, face.box[3] - face.box[1])


def advise(outcome: PhotoFaces) -> PhotoAdvice:
    """Problems of one photo's faces, each with what to do."""
    if outcome.error is not None:
        if outcome.error.startswith("no usable face"):
            problem = PhotoProblem(
                "no_face",
                "no clear face was found in the photo",
                "upload a photo where the child faces the camera, the face well lit and not covered",
            )
        else:
            problem = PhotoProblem("unreadable", outcome.error, "upload a JPEG, PNG or WEBP photo")
        return PhotoAdvice(False, (problem,))
    face = outcome.faces[0]
    problems = []
    side = min(face.box[2] - face.box[0], face.box[3] - face.box[1])
    if side < MIN_GOOD_FACE_PX:
        problems.append(
            PhotoProblem(
                "too_small",
                f"the face is only {side:.0f} pixels wide",
                f"use a photo taken closer, or the original file, not a thumbnail (at least {MIN_GOOD_FACE_PX} px across the face)",
            )
        )
    if face.sharpness < MIN_SHARPNESS:
        problems.append(PhotoProblem("blurred", "the face is blurred", "use a sharper photo: hold the camera still, in good light"))
    if face.yaw > MAX_YAW:
        problems.append(
            PhotoProblem("turned_away", "the face is turned away from the camera", "use a photo where the child looks at the camera")
        )
    others = [f for f in outcome.faces[1:] if _area(f) >= SECOND_FACE_AREA * _area(face)]
    if others:
        problems.append(
            PhotoProblem(
                "several_faces",
                f"{len(others) + 1} faces are in the photo; the largest, most central one is taken as the child's",
                "crop the photo to the child's face, or upload a photo of the child alone",
            )
        )
    return PhotoAdvice(True, tuple(problems))
