"""The demo county: real town names, plausible village names and boundaries near the
real places (squares around each town's approximate centre, split into villages)."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import box

from api.areas.models import Area
from api.areas.services import create_area

COUNTY = ("440229", "翁源县")
# (code, name, approximate centre lon, lat, villages)
TOWNS = [
    ("440229100", "龙仙镇", 114.130, 24.350, ["城东社区", "城西社区", "青云村"]),
    ("440229101", "坝仔镇", 113.985, 24.515, ["坝仔社区", "下坝村"]),
    ("440229102", "江尾镇", 114.215, 24.210, ["江尾社区", "南塘村", "大坑村"]),
    ("440229103", "官渡镇", 114.045, 24.255, ["官渡社区", "石塘村"]),
    ("440229104", "周陂镇", 114.270, 24.420, ["周陂社区", "高塘村"]),
    ("440229105", "翁城镇", 113.905, 24.300, ["翁城社区", "上塘村"]),
    ("440229106", "新江镇", 114.330, 24.300, ["新江社区", "铁龙村"]),
]
HALF = 0.045  # half the side of a town's square, degrees


@dataclass
class DemoAreas:
    county: Area
    towns: dict[str, Area]
    villages: dict[str, list[Area]]


def seed_areas() -> DemoAreas:
    lon0, lat0, lon1, lat1 = 113.85, 24.15, 114.39, 24.57
    county = create_area(COUNTY[0], COUNTY[1], "county", None, box(lon0, lat0, lon1, lat1))
    towns: dict[str, Area] = {}
    villages: dict[str, list[Area]] = {}
    for code, name, lon, lat, village_names in TOWNS:
        town = create_area(
            code, name, "town", county, box(lon - HALF, lat - HALF, lon + HALF, lat + HALF)
        )
        towns[name] = town
        width = 2 * HALF / len(village_names)
        villages[name] = [
            create_area(
                f"{code}{index + 1:03d}",
                village,
                "village",
                town,
                box(
                    lon - HALF + index * width,
                    lat - HALF,
                    lon - HALF + (index + 1) * width,
                    lat + HALF,
                ),
            )
            for index, village in enumerate(village_names)
        ]
    return DemoAreas(county, towns, villages)
