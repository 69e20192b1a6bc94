"""The :class:`ExifRecord`: one flat, typed record of what the camera recorded."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

_OFFSET_RE = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True, slots=True)
class ExifRecord:
    """What the camera recorded. Every field is None when the file does not say."""

    make: str | None = None
    model: str | None = None
    lens: str | None = None
    capture_time: dt.datetime | None = None  # DateTimeOriginal, naive (camera clock)
    subsec: str | None = None  # SubSecTimeOriginal, digits as written
    utc_offset: str | None = None  # OffsetTimeOriginal, e.g. "+02:00"
    exposure_time: float | None = None  # seconds
    f_number: float | None = None
    iso: int | None = None
    focal_length: float | None = None  # mm, real (not 35 mm equivalent)
    focal_length_35mm: float | None = None
    flash_fired: bool | None = None
    orientation: int | None = None  # 1–8
    width: int | None = None  # stored size, before orientation is applied
    height: int | None = None
    gps_lat: float | None = None  # signed degrees, north positive
    gps_lon: float | None = None  # signed degrees, east positive
    software: str | None = None
    serial: str | None = None  # camera body serial number
    shutter_count: int | None = None

    def captured_at(self) -> dt.datetime | None:
        """Capture time with sub-seconds; timezone-aware when the offset is known."""
        if self.capture_time is None:
            return None
        when = self.capture_time
        digits = "".join(c for c in (self.subsec or "") if c.isdigit())
        if digits:
            when = when.replace(microsecond=int(digits[:6].ljust(6, "0")))
        match = _OFFSET_RE.match(self.utc_offset or "")
        if match:
            sign = -1 if match.group(1) == "-" else 1
            delta = dt.timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
            if delta < dt.timedelta(hours=24):
                when = when.replace(tzinfo=dt.timezone(sign * delta))
        return when

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly copy: datetimes as ISO 8601 strings, the rest as is."""
        out: dict[str, object] = asdict(self)
        out["capture_time"] = self.capture_time.isoformat() if self.capture_time else None
        captured = self.captured_at()
        out["captured_at"] = captured.isoformat() if captured else None
        return out
