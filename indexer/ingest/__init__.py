"""Loading JSONL/CSV registers into the store and the text index."""

from indexer.ingest.readers import RawRow, read_rows
from indexer.ingest.service import Ingestor, IngestReport, RowProblem, validate_row

__all__ = ["IngestReport", "Ingestor", "RawRow", "RowProblem", "read_rows", "validate_row"]
