"""Exchange with other tools: Hugging Face datasets, spaCy DocBin, REFI-QDA (.qdpx), and an analyst table.

Each format has its own module; heavy libraries (datasets, spaCy) are imported inside the functions.
"""

from .qdpx import export_qdpx, import_qdpx, validate_qdpx
from .table import analyst_rows, write_analyst_table

__all__ = ["export_qdpx", "import_qdpx", "validate_qdpx", "analyst_rows", "write_analyst_table"]
