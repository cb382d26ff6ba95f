"""Every table module, imported so that Base.metadata is complete (migrations, tests)."""

from models import absences, audit, changes, forms, keys, practices, sessions, texts
from models.base import Base

metadata = Base.metadata

__all__ = [
    "absences",
    "audit",
    "changes",
    "forms",
    "keys",
    "metadata",
    "practices",
    "sessions",
    "texts",
]
