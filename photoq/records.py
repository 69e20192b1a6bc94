"""Plain records that cross a layer boundary, and their JSON form."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO 8601 strings and tuples as lists, recursively."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class JsonRecord:
    """Mixin for dataclass records: ``to_dict()`` gives what ``json.dumps`` takes as it is."""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(asdict(self))  # type: ignore[call-overload]
        return data
