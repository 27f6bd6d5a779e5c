"""Photos of records → face vectors in the face index (needs both indexer and embeddings)."""
