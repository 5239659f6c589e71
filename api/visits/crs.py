"""Coordinates from Chinese map SDKs to WGS-84.

Maps served in China (AMap/Gaode, Tencent, Google China) use GCJ-02, an obfuscated datum
offset by a few hundred metres from WGS-84; Baidu adds its own offset on top (BD-09). A
phone that reads its position through such an SDK says so with ``crs``; the server stores
WGS-84. GCJ-02 has no closed-form inverse: the forward transform is inverted by fixed-point
iteration to well under a centimetre. Outside China the offsets are not applied (by
definition of GCJ-02), so those points pass through unchanged.
"""

from __future__ import annotations

import math

SUPPORTED = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as GCJ-02 uses
_EE = 0.00669342162296594323  # its first eccentricity squared
_BD_X_PI = math.pi * 3000.0 / 180.0


def _outside_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform(x: float, y: float) -> tuple[float, float]:
    """The GCJ-02 offset polynomial at (x, y) = (lon - 105, lat - 35): (dlat, dlon) raw."""
    xy = x * y
    abs_x = math.sqrt(abs(x))
    x_pi, y_pi = x * math.pi, y * math.pi
    d = 20.0 * math.sin(6.0 * x_pi) + 20.0 * math.sin(2.0 * x_pi)
    lat = d + 20.0 * math.sin(y_pi) + 40.0 * math.sin(y_pi / 3.0)
    lon = d + 20.0 * math.sin(x_pi) + 40.0 * math.sin(x_pi / 3.0)
    lat += 160.0 * math.sin(y_pi / 12.0) + 320.0 * math.sin(y_pi / 30.0)
    lon += 150.0 * math.sin(x_pi / 12.0) + 300.0 * math.sin(x_pi / 30.0)
    lat *= 2.0 / 3.0
    lon *= 2.0 / 3.0
    lat += -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * xy + 0.2 * abs_x
    lon += 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * xy + 0.1 * abs_x
    return lat, lon


def _delta(lon: float, lat: float) -> tuple[float, float]:
    dlat, dlon = _transform(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    if _outside_china(lon, lat):
        return lon, lat
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert GCJ-02 by iteration (converges to < 1e-9 degrees in a few steps)."""
    if _outside_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
    return wlon, wlat


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: float, lat: float, crs: str | None) -> tuple[float, float]:
    """(lon, lat) in ``crs`` (``wgs84`` when None) as WGS-84."""
    if crs in (None, "wgs84"):
        return lon, lat
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise ValueError(f"unknown crs {crs!r}")
