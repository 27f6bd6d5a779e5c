"""Face detection, alignment crops, FaceNet and SFace embeddings (fused) and the FAISS face index (offline)."""

from embeddings.advice import PhotoAdvice, PhotoProblem, advise
from embeddings.config import FaceConfig
from embeddings.errors import EmbeddingError, FaceIndexMismatch, ImageRejected, NoUsableFace, WeightsCorrupt, WeightsNotFound
from embeddings.faiss_index import FaceHit, FaceIndex
from embeddings.pipeline import FaceEmbedding, FacePipeline, PhotoFaces
from embeddings.transforms import decode_image
from embeddings.weights import converted_weights_path, embedder_ids, embedding_dimension, find_facenet_pb, find_sface_onnx, model_id

__all__ = [
    "EmbeddingError",
    "FaceConfig",
    "FaceEmbedding",
    "FaceHit",
    "FaceIndex",
    "FaceIndexMismatch",
    "FacePipeline",
    "ImageRejected",
    "NoUsableFace",
    "PhotoAdvice",
    "PhotoFaces",
    "PhotoProblem",
    "WeightsCorrupt",
    "WeightsNotFound",
    "advise",
    "converted_weights_path",
    "decode_image",
    "embedder_ids",
    "embedding_dimension",
    "find_facenet_pb",
    "find_sface_onnx",
    "model_id",
]
