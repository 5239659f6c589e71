"""track append: points' patrol checked once a statement, the route stored uncompressed

Two costs of each batch of the track append (issue #17, benchmark 8), on PostgreSQL only:

**The patrol of each point.** The foreign key from ``track_points.patrol_id`` to
``patrols`` checked each inserted row on its own: a batch of 1,000 points ran 1,000
look-ups, about half of its insert's time. It is replaced by triggers that keep the same
rules:

- an ``INSERT`` of points checks the distinct patrols they name, once per statement (a
  transition table); an ``UPDATE`` that changes a point's patrol checks it per row, as
  the key did. A missing patrol fails the statement with ``foreign_key_violation``
  (SQLSTATE 23503, the constraint's name), as before;
- the check does not only lock the patrol (the key took ``FOR KEY SHARE``): it updates
  it in place (``SET id = id``: same values, a HOT update). A deleting transaction that
  started before the points were committed then fails to serialize under REPEATABLE
  READ instead of missing them (the key's cascade found such rows through a cross-check
  snapshot that triggers cannot take); under READ COMMITTED the delete waits and its
  cascade sees them, as with the key;
- deleting a patrol deletes its points (``ON DELETE CASCADE``), in the same statement;
- changing a patrol's id while it has points fails, as the key's ``NO ACTION`` did;
- ``TRUNCATE patrols`` without ``track_points`` fails while points remain.

**The route.** Each batch writes the patrol's whole route again (≈ 160 KB at 10,000
points). Geometry columns are stored ``MAIN``: PostgreSQL tries to compress each new
value first, and a line of GPS coordinates does not compress by the quarter it asks, so
every batch spent 5–20 ms on a compression it threw away. The route is stored
``EXTERNAL``: out of line, uncompressed, the same bytes as before.

SQLite keeps the foreign key (its check is in process and cheap) and its storage.

Revision ID: 0028_track_append
Revises: 0003_patrols
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028_track_append"
down_revision: str | None = "0003_patrols"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "fk_track_points_patrol_id_patrols"

UPGRADE = """
CREATE FUNCTION track_points_patrol_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted integer;
    found integer;
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
        SELECT count(DISTINCT patrol_id) INTO wanted FROM new_points;
        WITH touched AS (
            UPDATE patrols SET id = id
            WHERE id IN (SELECT patrol_id FROM new_points)
            RETURNING 1
        )
        SELECT count(*) INTO found FROM touched;
    ELSE
        wanted := 1;
        UPDATE patrols SET id = id WHERE id = NEW.patrol_id;
        GET DIAGNOSTICS found = ROW_COUNT;
    END IF;
    IF found < wanted THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "track_points" violates foreign key '
                || 'constraint "fk_track_points_patrol_id_patrols"',
            DETAIL = 'A track point names a patrol that does not exist.',
            TABLE = 'track_points',
            CONSTRAINT = 'fk_track_points_patrol_id_patrols';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER track_points_patrol_inserted
    AFTER INSERT ON track_points
    REFERENCING NEW TABLE AS new_points
    FOR EACH STATEMENT EXECUTE FUNCTION track_points_patrol_check();

CREATE TRIGGER track_points_patrol_changed
    AFTER UPDATE OF patrol_id ON track_points
    FOR EACH ROW WHEN (OLD.patrol_id IS DISTINCT FROM NEW.patrol_id)
    EXECUTE FUNCTION track_points_patrol_check();

CREATE FUNCTION patrols_track_points_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM track_points WHERE patrol_id IN (SELECT id FROM old_patrols);
    ELSIF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT FROM track_points WHERE patrol_id = OLD.id) THEN
            RAISE foreign_key_violation USING
                MESSAGE = 'update or delete on table "patrols" violates foreign key '
                    || 'constraint "fk_track_points_patrol_id_patrols" on table "track_points"',
                TABLE = 'track_points',
                CONSTRAINT = 'fk_track_points_patrol_id_patrols';
        END IF;
    ELSIF EXISTS (SELECT FROM track_points) THEN
        RAISE feature_not_supported USING
            MESSAGE = 'cannot truncate a table referenced in a foreign key constraint',
            DETAIL = 'Table "track_points" references "patrols".',
            HINT = 'Truncate table "track_points" at the same time.';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER patrols_track_points_deleted
    AFTER DELETE ON patrols
    REFERENCING OLD TABLE AS old_patrols
    FOR EACH STATEMENT EXECUTE FUNCTION patrols_track_points_cascade();

CREATE TRIGGER patrols_track_points_renumbered
    AFTER UPDATE OF id ON patrols
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION patrols_track_points_cascade();

CREATE TRIGGER patrols_track_points_truncated
    AFTER TRUNCATE ON patrols
    FOR EACH STATEMENT EXECUTE FUNCTION patrols_track_points_cascade();
"""

DOWNGRADE = """
DROP TRIGGER patrols_track_points_truncated ON patrols;
DROP TRIGGER patrols_track_points_renumbered ON patrols;
DROP TRIGGER patrols_track_points_deleted ON patrols;
DROP FUNCTION patrols_track_points_cascade();
DROP TRIGGER track_points_patrol_changed ON track_points;
DROP TRIGGER track_points_patrol_inserted ON track_points;
DROP FUNCTION track_points_patrol_check();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(KEY, "track_points", type_="foreignkey")
    op.execute(UPGRADE)
    op.execute("ALTER TABLE patrols ALTER COLUMN route SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE patrols ALTER COLUMN route SET STORAGE MAIN")
    op.execute(DOWNGRADE)
    op.create_foreign_key(KEY, "track_points", "patrols", ["patrol_id"], ["id"], ondelete="CASCADE")
