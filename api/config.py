"""Every setting of the service, read from environment variables in one place.

Each setting is declared once in ``SETTINGS`` with its default and meaning; the README's
settings table lists the same names (a test keeps the two in step). With nothing set the
service runs on the embedded default: SQLite + SpatiaLite under ``instance/`` and jobs
in-process, no Redis.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("DOUDI_INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _zone(value: str) -> str:
    # Checked at start-up: an unknown zone would otherwise fail every report, and the
    # dashboard, at their first date.
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"not a time zone name such as Asia/Shanghai: {value!r}") from exc
    return value


# The Cybersecurity Law (网络安全法, art. 21) asks for network logs of at least six months.
AUDIT_MIN_RETENTION_MONTHS = 6


def _retention_months(value: str) -> int:
    # Checked at start-up: a typo here would drop the audit log's months within the hour.
    months = int(value)
    if months != 0 and not AUDIT_MIN_RETENTION_MONTHS <= months <= 1200:
        raise ValueError(
            f"0 (keep everything) or {AUDIT_MIN_RETENTION_MONTHS} to 1200 months: {value!r}"
        )
    return months


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    doc: str


SETTINGS: list[Setting] = [
    # Infrastructure
    Setting(
        "DATABASE_URL",
        f"sqlite:///{INSTANCE_DIR / 'doudi.sqlite3'}",
        str,
        "SQLAlchemy URL. `postgresql+psycopg://…` (PostGIS) in production; the default is "
        "the embedded SQLite + SpatiaLite file under `instance/`.",
    ),
    Setting(
        "REDIS_URL",
        "",
        str,
        "Redis for the RQ job queue. Empty: jobs (and the recurring ones) run in-process.",
    ),
    Setting(
        "REPLICA_DATABASE_URL",
        "",
        str,
        "A streaming replica of the PostgreSQL database. Set: reports, maps and exports read "
        "from it (writes and read-after-write stay on the primary). Empty: all on the primary.",
    ),
    Setting(
        "REPLICA_MAX_LAG_SECONDS",
        30.0,
        float,
        "A replica further behind than this is left aside: reports read from the primary.",
    ),
    Setting(
        "REPLICA_RECHECK_SECONDS",
        5.0,
        float,
        "How often a process checks the replica's lag (and retries one that was down).",
    ),
    Setting("RQ_QUEUE", "doudi", str, "Name of the RQ queue the API enqueues to."),
    Setting(
        "SECRET_KEY",
        "",
        str,
        "Signs access tokens. Required in production; when empty a random key is kept in "
        "`instance/secret_key` so the embedded default survives restarts.",
    ),
    Setting(
        "PHOTO_STORAGE_DIR",
        str(INSTANCE_DIR / "photos"),
        str,
        "Private folder for photo originals and cleaned copies (never a public static path).",
    ),
    Setting("SPATIALITE_LIBRARY_PATH", "mod_spatialite", str, "SpatiaLite extension to load."),
    Setting("LOG_LEVEL", "INFO", str, "Python log level."),
    Setting("LOG_JSON", True, _bool, "Structured (JSON) log lines on stderr."),
    Setting(
        "COUNTY_TIMEZONE",
        "Asia/Shanghai",
        _zone,
        "Zone used for dates in reports (IANA name; an unknown one stops start-up).",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        int,
        "Reverse proxies in front of the service; their X-Forwarded-For gives the client "
        "address (used by login throttling and logs). 0 trusts no header.",
    ),
    Setting(
        "AUDIT_RETENTION_MONTHS",
        0,
        _retention_months,
        "PostgreSQL: whole months of audit log kept before this one (6 to 1200); older "
        "monthly partitions are dropped by an hourly job (the drop is audited). 0 keeps "
        "everything.",
    ),
    # Requests and auth
    Setting("JSON_MAX_BYTES", 5 * 1024 * 1024, int, "Largest JSON request body (413 above)."),
    Setting("ACCESS_TOKEN_TTL", 900, int, "Access-token lifetime, seconds."),
    Setting("REFRESH_TOKEN_TTL", 30 * 24 * 3600, int, "Refresh-token lifetime, seconds."),
    Setting(
        "LOGIN_FAILURE_WINDOW",
        24 * 3600,
        int,
        "How far back (seconds) failed sign-ins are counted by throttling.",
    ),
    Setting(
        "LOGIN_MAX_DELAY",
        900,
        int,
        "Longest wait (seconds) between tries that throttling imposes (429, Retry-After).",
    ),
    Setting(
        "LOGIN_FREE_FAILURES",
        5,
        int,
        "Failed sign-ins for one username from one client address (on a trusted device: "
        "from that device) before each further failure doubles the wait (1, 2, 4 … s; 429).",
    ),
    Setting(
        "LOGIN_FREE_FAILURES_PER_USERNAME",
        10,
        int,
        "Failed sign-ins for one username from untrusted devices, any address, before "
        "untrusted devices must wait for it; trusted devices are not slowed.",
    ),
    Setting(
        "LOGIN_FREE_FAILURES_PER_ADDRESS",
        20,
        int,
        "Failed sign-ins of untrusted devices from one client address, any username, before "
        "untrusted devices there must wait; trusted devices are not slowed.",
    ),
    Setting(
        "LOGIN_TRUSTED_DEVICE_DAYS",
        180,
        int,
        "A device that signed in as a user within this many days is trusted by sign-in "
        "throttling for that user.",
    ),
    # Visits and photos
    Setting("PHOTO_MAX_BYTES", 20 * 1024 * 1024, int, "Largest photo upload (413 above)."),
    Setting(
        "AREA_IMPORT_MAX_BYTES",
        10 * 1024 * 1024,
        int,
        "Largest GeoJSON file an admin imports from the page (413 above).",
    ),
    Setting(
        "PHOTO_MAX_PIXELS",
        64_000_000,
        int,
        "Largest decoded image (pixels); larger files are refused as decompression bombs.",
    ),
    Setting("PHOTO_CLEAN_MAX_SIDE", 2048, int, "Long side of the served cleaned copy, px."),
    Setting("PHOTO_THUMB_SIDE", 320, int, "Long side of thumbnails, px."),
    Setting(
        "PHOTO_MAX_DISTANCE_M",
        500.0,
        float,
        "A photo whose EXIF position is farther than this from the visit point is flagged.",
    ),
    Setting(
        "PHOTO_MAX_AGE_HOURS",
        24.0,
        float,
        "A photo whose EXIF time is this long before the visit is flagged.",
    ),
    Setting(
        "PRESENCE_MAX_DISTANCE_M",
        500.0,
        float,
        "An in-person visit farther than this from the household's location is flagged.",
    ),
    Setting(
        "PRESENCE_MAX_ACCURACY_M",
        100.0,
        float,
        "An in-person visit whose GPS accuracy is worse than this is flagged.",
    ),
    Setting(
        "VISIT_MAX_CLOCK_SKEW_MINUTES",
        10,
        int,
        "How far in the future a phone's `visited_at` may be (clock skew).",
    ),
    Setting("VISIT_MAX_AGE_DAYS", 366, int, "How far back a visit may be dated."),
    Setting(
        "MARGINAL_INCOME_FACTOR",
        1.5,
        float,
        "低保边缘: per-capita income under this × the dibao standard.",
    ),
    Setting(
        "EXPENDITURE_HARDSHIP_FACTOR",
        1.0,
        float,
        "支出型困难: per-capita income minus rigid expenses under this × the dibao standard.",
    ),
    Setting(
        "EXTREME_POVERTY_FACTOR",
        1.6,
        float,
        "特困 basic living standard as a multiple of the dibao standard.",
    ),
    # Rescue
    Setting(
        "PATROL_MAX_SPEED_KMH",
        150.0,
        float,
        "Track points implying a faster move from their neighbour are left out of the route.",
    ),
    Setting(
        "TRACK_MAX_ACCURACY_M",
        100.0,
        float,
        "Track points with worse accuracy are kept but left out of the route.",
    ),
    Setting("LONG_STAY_DAYS", 90, int, "Days in the centre after which a resident is long-stay."),
    Setting(
        "TRACING_STALE_DAYS", 30, int, "A tracing case with no action for this long is reviewed."
    ),
    # Follow-up
    Setting(
        "REVISIT_DAYS_POVERTY_RETURN_MONITORING",
        30,
        int,
        "Revisit cadence (days) for households under anti-poverty-return monitoring.",
    ),
    Setting("REVISIT_DAYS_DEFAULT", 90, int, "Revisit cadence (days) for other focus groups."),
    Setting(
        "ESCALATE_AFTER_DAYS",
        3,
        int,
        "Days past due after which an open task escalates to the assignee's supervisor.",
    ),
    # Help requests (api.casework.leads)
    Setting(
        "HELP_URGENT_CONTACT_HOURS",
        24,
        int,
        "An urgent help request must be contacted within this many hours.",
    ),
    Setting(
        "HELP_NORMAL_CONTACT_HOURS",
        120,
        int,
        "A normal help request must be contacted within this many hours (5 days).",
    ),
    Setting(
        "HELP_PUBLIC_MAX_BYTES", 16384, int, "Largest body the public help form accepts (413)."
    ),
    Setting(
        "HELP_PUBLIC_WINDOW_SECONDS",
        3600,
        int,
        "Window (seconds) in which public help-form submissions are counted.",
    ),
    Setting(
        "HELP_PUBLIC_MAX_PER_ADDRESS",
        5,
        int,
        "Public help requests from one client address within the window before 429.",
    ),
    Setting(
        "HELP_PUBLIC_MAX_PER_PHONE",
        3,
        int,
        "Public help requests giving one phone number within the window before 429.",
    ),
    Setting(
        "HELP_PUBLIC_MAX_SAME_TEXT",
        2,
        int,
        "Public help requests with the same text within the window before 429 (bulk).",
    ),
    Setting(
        "HELP_PUBLIC_MAX_TOTAL",
        300,
        int,
        "Public help requests county-wide within the window before 429 (a flood).",
    ),
    Setting(
        "HELP_LOOKUP_WINDOW_SECONDS",
        900,
        int,
        "Window (seconds) in which failed status lookups are counted.",
    ),
    Setting(
        "HELP_LOOKUP_MAX_FAILURES",
        10,
        int,
        "Failed status lookups from one address, or for one code, within the window before 429.",
    ),
    Setting(
        "OUTBOX_RETRY_AFTER_SECONDS",
        300,
        int,
        "A queued job not finished after this long is enqueued again by the sweep.",
    ),
    # Data matching (api.matching)
    Setting(
        "MATCHING_FILE_DIR",
        str(INSTANCE_DIR / "lists"),
        str,
        "Private folder for uploaded department lists (removed with their raw rows).",
    ),
    Setting(
        "MATCHING_MAX_UPLOAD_BYTES",
        256 * 1024 * 1024,
        int,
        "Largest department list accepted by POST /matching/lists (413 above).",
    ),
    Setting(
        "MATCHING_MAX_ROW_CHARS",
        16384,
        int,
        "A list row longer than this (characters) is kept as a bad row (row_too_long).",
    ),
    Setting(
        "MATCHING_ROW_RETENTION_DAYS",
        180,
        int,
        "Days a list's raw rows and file are kept; then purged, keeping outcomes and warnings.",
    ),
    # Supervisors' page
    Setting(
        "MAP_TILE_URL",
        "",
        str,
        "Tile URL template for the dashboard map; empty draws on a plain background.",
    ),
    Setting(
        "MAP_TILE_CREDIT",
        "",
        str,
        "Credit for the map tiles shown on the map (e.g. `底图：天地图`); empty with no tiles.",
    ),
    Setting(
        "MAP_DATA_CREDIT",
        "",
        str,
        "Credit for the data on the map; empty: `数据：<county>民政局` (the root area's name).",
    ),
]


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Settings from the environment, then ``overrides`` (tests pass theirs here)."""
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = os.environ.get(setting.name)
        try:
            config[setting.name] = setting.parse(raw) if raw not in (None, "") else setting.default
        except ValueError as exc:
            raise ValueError(f"setting {setting.name}: {exc}") from exc
    config.update(overrides or {})
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret_key()
    # Werkzeug refuses larger bodies with 413 before any view reads them; JSON bodies get a
    # tighter limit of their own in the request hooks.
    config["MAX_CONTENT_LENGTH"] = config["PHOTO_MAX_BYTES"] + 64 * 1024
    config["JOBS_IN_PROCESS"] = not config["REDIS_URL"]
    return config


def _instance_secret_key() -> str:
    """A random key kept in the instance folder: fine for the embedded default only."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
