"""The sun's elevation above the horizon for a time and place: pure arithmetic, no network.

The NOAA "general solar position" approximation (fractional-year series for the equation of
time and the declination) is good to a fraction of a degree, far finer than what separates
golden hour (sun below ≈ 10°), civil twilight (0° to −6°) and astronomical night (below −18°).
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["sun_elevation", "to_utc"]

_MINUTES_PER_DEGREE = 4.0  # the Earth turns one degree of longitude in four minutes


def to_utc(when: dt.datetime, lon: float) -> dt.datetime:
    """``when`` as naive UTC; a naive time is taken as local *solar* time at longitude ``lon``.

    Cameras often record no UTC offset. Solar time is off from the legal time by the time-zone
    rounding and daylight saving (an hour or so), which moves the sun by ≈15° at most and
    usually far less near sunrise and sunset, where the elevation changes slowly with the hour.
    """
    if when.tzinfo is not None:
        return when.astimezone(dt.UTC).replace(tzinfo=None)
    return when - dt.timedelta(hours=lon / 15.0)


def sun_elevation(when_utc: dt.datetime, lat: float, lon: float) -> float:
    """Elevation of the sun's centre in degrees (negative below the horizon); UTC time."""
    day = when_utc.timetuple().tm_yday
    hours = when_utc.hour + when_utc.minute / 60.0 + when_utc.second / 3600.0
    gamma = 2.0 * math.pi / 365.0 * (day - 1 + (hours - 12.0) / 24.0)
    eq_time = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    true_solar_minutes = hours * 60.0 + eq_time + _MINUTES_PER_DEGREE * lon
    hour_angle = math.radians(true_solar_minutes / _MINUTES_PER_DEGREE - 180.0)
    phi = math.radians(lat)
    cos_zenith = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(
        hour_angle
    )
    return 90.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos_zenith))))
