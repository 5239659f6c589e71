"""The patrol demo seeder on PostGIS: what it leaves for the seeders after it."""

from sqlalchemy import func, select

from api.auth.services import create_user
from api.demo.areas import seed_areas
from api.rescue.patrols import demo
from api.rescue.patrols.models import TrackPoint


def test_seed_builds_campaigns_patrols_and_context(db):
    areas = seed_areas()
    rescue = create_user("demo-rescue-t", "救助站", "rescue_staff", areas.county.id, "x" * 12)
    context = {"areas": areas, "users": {"demo-rescue": rescue}}
    demo.seed(context)
    assert set(context["campaigns"]) == {"winter_2024", "summer_2025", "winter_2025", "summer_2026"}
    assert len(context["patrols"]) == 6
    assert all(p.route_length_m > 1000 for p in context["patrols"])
    assert context["encounters"]["escorted"].outcome == "escorted_to_centre"
    assert context["encounters"]["hospital"].outcome == "sent_to_hospital"
    assert context["encounters"]["refused_cold"].vulnerable is True
    assert context["street_people"]["桥头老伯"].first_seen_at is not None
    wild = db.scalar(select(func.count()).where(TrackPoint.excluded_reason == "implausible_speed"))
    assert wild == 6
