"""Interchange: PFIF 1.4 import and export (person and note records) and CSV export of records."""

from search_api.interchange.pfif import DEFAULT_DOMAIN, HostileXml, PfifError
from search_api.interchange.service import PfifImport, PfifRefused, export_csv, export_pfif, import_pfif

__all__ = ["DEFAULT_DOMAIN", "HostileXml", "PfifError", "PfifImport", "PfifRefused", "export_csv", "export_pfif", "import_pfif"]
