"""register people: the head is one member, relations are codes, ID numbers give sex and birth date

Carries the register over, household by household:

- **The head.** The household's head fields (``head_name``, ``head_id_number``) win: they
  are what lists, search, duplicate flags, exports and the visit form showed as the head.
  The head member is the member with that name (and no other ID number), preferring one
  recorded as 户主; failing that, a head member is made from the head fields. Any other
  member recorded as 户主 becomes ``other`` and is reported (``head_member_differs``,
  ``several_heads``). A head member's ID number fills an empty ``head_id_number``.
- **Relations.** Each word becomes a code (户主 -> head, 配偶/妻子 -> spouse…); a word of no
  known meaning becomes ``other`` and is reported (``unknown_relation``).
- **ID numbers.** An old 15-digit number is upgraded to 18 characters. A valid number
  gives the member's sex, birth date and birth year; a typed sex or birth year that
  disagreed is replaced and reported. An invalid number is kept as it was and reported.
- Members are renumbered head first; every household gets a new sync stamp, so phones
  download the carried-over members.

What was reported lands in ``register_reconciliations`` (``flask households
reconcile-report`` prints it), with a summary log line. Then the relation codes are
enforced (CHECK) and one head per household (a partial UNIQUE index).

Revision ID: 0019_register_people
Revises: 0011_name_statistics
Create Date: 2026-11-30 02:30:00

On the visits line; depends on 0017_sync for the households' sync stamps.
"""

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0019_register_people"
down_revision: str | None = "0011_name_statistics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0017_sync",)

log = logging.getLogger("alembic.runtime.migration")

# As api.visits.people at the time of writing (a migration does not import the app).
LABELS = {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "son_in_law": "女婿",
    "daughter_in_law": "儿媳",
    "grandchild": "孙子女",
    "parent": "父母",
    "grandparent": "祖父母",
    "sibling": "兄弟姐妹",
    "other": "其他",
}
WORDS = {
    "head": "本人 户主本人",
    "spouse": "妻 妻子 夫 丈夫 老婆 老公 爱人",
    "child": "子 女 儿子 女儿 长子 次子 三子 长女 次女 三女 独生子 独生女 养子 养女 继子 继女",
    "son_in_law": "婿",
    "daughter_in_law": "媳 媳妇",
    "grandchild": "孙子 孙女 外孙 外孙子 外孙女 孙 孙辈",
    "parent": "父 母 父亲 母亲 爸爸 妈妈 公公 婆婆 岳父 岳母",
    "grandparent": "祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆",
    "sibling": "兄 弟 姐 妹 哥哥 弟弟 姐姐 妹妹 兄弟 姐妹",
    "other": "家属 亲属 其他亲属 非亲属 其它",
}
CODE_OF = {
    **{code: code for code in LABELS},
    **{label: code for code, label in LABELS.items()},
    **{word: code for code, words in WORDS.items() for word in words.split()},
}
RELATION_CHECK = "relation IN (" + ", ".join(f"'{code}'" for code in LABELS) + ")"
ONE_HEAD = "relation = 'head'"
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _check_character(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _valid(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit() or not number[:17].isascii():
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return _check_character(number[:17]) == number[17]


def _upgraded(raw: str | None) -> str | None:
    """The number as 18 characters when it is an old 15-digit one, else as stored."""
    if raw is None:
        return None
    text = raw.strip().upper()
    if len(text) == 15 and text.isdigit() and text.isascii():
        first17 = text[:6] + "19" + text[6:]
        candidate = first17 + _check_character(first17)
        if _valid(candidate):
            return candidate
    return text or None


def _mask(number: str | None) -> str:
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if number else "—"


def _reconciliation_table() -> sa.Table:
    return sa.table(
        "register_reconciliations",
        sa.column("area_id", sa.Integer),
        sa.column("household_id", sa.Integer),
        sa.column("member_id", sa.Integer),
        sa.column("problem", sa.String),
        sa.column("detail", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )


class _Household:
    """One household carried over: the member rows to write and what to report."""

    def __init__(self, household_id: int, area_id: int, head_name: str, head_id: str | None):
        self.id, self.area_id, self.head_name = household_id, area_id, head_name
        self.head_id_number = _upgraded(head_id)
        self.found: list[dict] = []

    def report(self, problem: str, detail: str, member_id: int | None) -> None:
        self.found.append(
            {
                "area_id": self.area_id,
                "household_id": self.id,
                "member_id": member_id,
                "problem": problem,
                "detail": detail,
            }
        )

    def relations(self, members: list[dict]) -> None:
        for member in members:
            word = (member["relation"] or "").strip()
            member["old_relation"] = word
            member["relation"] = CODE_OF.get(word) or CODE_OF.get(word.lower())
            if member["relation"] is None:
                member["relation"] = "other"
                self.report(
                    "unknown_relation",
                    f"{member['name']}: relation「{word}」is not a known relation; "
                    "recorded as 其他 (other).",
                    member["id"],
                )
            member["id_number"] = _upgraded(member["id_number"])

    def _fits(self, member: dict) -> bool:
        return member["name"] == self.head_name and (
            not member["id_number"]
            or not self.head_id_number
            or member["id_number"] == self.head_id_number
        )

    def head(self, members: list[dict]) -> dict:
        """The head member (found or made); other members recorded as head become other."""
        candidates = sorted(
            (m for m in members if self._fits(m)), key=lambda m: m["relation"] != "head"
        )
        head = candidates[0] if candidates else None
        for member in members:
            if member["relation"] != "head" or member is head:
                continue
            member["relation"] = "other"
            several = head is not None and head["old_relation"] in ("户主", "head", "本人")
            self.report(
                "several_heads" if several else "head_member_differs",
                f"The household's head is {self.head_name} ({_mask(self.head_id_number)}); "
                f"the member {member['name']} ({_mask(member['id_number'])}) was also recorded "
                f"as「{member['old_relation']}」and is kept as 其他 (other): check who heads "
                "this household.",
                member["id"],
            )
        if head is None:
            return {
                "id": None,
                "name": self.head_name,
                "relation": "head",
                "sex": None,
                "birth_year": None,
                "id_number": self.head_id_number,
            }
        head["relation"] = "head"
        head["id_number"] = head["id_number"] or self.head_id_number
        return head

    def id_facts(self, member: dict) -> None:
        member["birth_date"] = None
        number = member["id_number"]
        if number and not _valid(number):
            self.report(
                "invalid_id_number",
                f"{member['name']}: the ID number {_mask(number)} is not valid (length, birth "
                "date or check character); kept as it was, sex and birth date as typed.",
                member["id"],
            )
        if not number or not _valid(number):
            return
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        sex = "male" if int(number[16]) % 2 else "female"
        if member["sex"] not in (None, sex):
            self.report(
                "sex_disagrees_with_id",
                f"{member['name']}: sex was typed {member['sex']}; the ID number "
                f"{_mask(number)} says {sex}, which is kept.",
                member["id"],
            )
        if member["birth_year"] not in (None, born.year):
            self.report(
                "birth_year_disagrees_with_id",
                f"{member['name']}: birth year was typed {member['birth_year']}; the ID number "
                f"{_mask(number)} says {born.year}, which is kept.",
                member["id"],
            )
        member.update(sex=sex, birth_date=born, birth_year=born.year)


MEMBER_COLUMNS = ("position", "relation", "sex", "birth_date", "birth_year", "id_number")


def _carry_over(conn: sa.Connection) -> None:
    now = datetime.now(UTC)
    members_of: dict[int, list[dict]] = {}
    for row in conn.execute(
        sa.text(
            "SELECT id, household_id, position, name, relation, sex, birth_year, id_number "
            "FROM household_members ORDER BY household_id, position, id"
        )
    ).mappings():
        members_of.setdefault(row["household_id"], []).append(dict(row))
    households = conn.execute(
        sa.text("SELECT id, area_id, head_name, head_id_number FROM households ORDER BY id")
    ).all()
    updates: list[dict] = []
    new_heads: list[dict] = []
    head_ids: list[dict] = []
    found: list[dict] = []
    for row in households:
        household = _Household(*row)
        members = members_of.get(household.id, [])
        household.relations(members)
        head = household.head(members)
        if head["id_number"] != row.head_id_number:
            head_ids.append({"id": household.id, "head_id_number": head["id_number"]})
        for position, member in enumerate([head, *(m for m in members if m is not head)]):
            member["position"] = position
            household.id_facts(member)
            values = {key: member[key] for key in MEMBER_COLUMNS}
            if member["id"] is None:
                new_heads.append({"household_id": household.id, "name": member["name"], **values})
            else:
                updates.append({"member_id": member["id"], **values})
        found.extend({**finding, "created_at": now} for finding in household.found)
    if updates:
        conn.execute(
            sa.text(
                "UPDATE household_members SET position = :position, relation = :relation, "
                "sex = :sex, birth_date = :birth_date, birth_year = :birth_year, "
                "id_number = :id_number WHERE id = :member_id"
            ),
            updates,
        )
    if new_heads:
        conn.execute(
            sa.text(
                "INSERT INTO household_members (household_id, position, name, relation, sex, "
                "birth_date, birth_year, id_number) VALUES (:household_id, :position, :name, "
                ":relation, :sex, :birth_date, :birth_year, :id_number)"
            ),
            new_heads,
        )
    if head_ids:
        conn.execute(
            sa.text("UPDATE households SET head_id_number = :head_id_number WHERE id = :id"),
            head_ids,
        )
    if found:
        conn.execute(sa.insert(_reconciliation_table()), found)
    _stamp_households(conn)
    log.warning(
        "0019_register_people: %d households carried over, %d head members made, %d findings "
        "to check (flask households reconcile-report)",
        len(households),
        len(new_heads),
        len(found),
    )


def _stamp_households(conn: sa.Connection) -> None:
    """A new sync stamp on every household (as api.common.sync_clock stamps a write)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(
                "UPDATE households SET sync_version = nextval('sync_version_seq'), "
                "sync_xid = CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)"
            )
        )
    else:
        conn.execute(
            sa.text(
                "UPDATE households SET sync_version = 1 + (SELECT coalesce(max(v), 0) FROM ("
                "SELECT max(sync_version) AS v FROM households UNION ALL "
                "SELECT max(sync_version) AS v FROM tasks UNION ALL "
                "SELECT max(sync_version) AS v FROM sync_tombstones))"
            )
        )


def upgrade() -> None:
    op.add_column("household_members", sa.Column("birth_date", sa.Date(), nullable=True))
    op.create_table(
        "register_reconciliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("problem", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_register_reconciliations_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_register_reconciliations_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["household_members.id"],
            name=op.f("fk_register_reconciliations_member_id_household_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_reconciliations")),
    )
    op.create_index(
        op.f("ix_register_reconciliations_area_id"), "register_reconciliations", ["area_id"]
    )
    op.create_index(
        op.f("ix_register_reconciliations_household_id"),
        "register_reconciliations",
        ["household_id"],
    )
    _carry_over(op.get_bind())
    with op.batch_alter_table("household_members") as batch_op:
        batch_op.create_check_constraint(op.f("ck_household_members_relation"), RELATION_CHECK)
    op.create_index(
        "uq_household_members_one_head",
        "household_members",
        ["household_id"],
        unique=True,
        postgresql_where=sa.text(ONE_HEAD),
        sqlite_where=sa.text(ONE_HEAD),
    )


def downgrade() -> None:
    op.drop_index("uq_household_members_one_head", table_name="household_members")
    with op.batch_alter_table("household_members") as batch_op:
        batch_op.drop_constraint(op.f("ck_household_members_relation"), type_="check")
    # Back to the words (head members made by the upgrade stay: they are the head).
    for code, label in LABELS.items():
        op.execute(
            sa.text(
                "UPDATE household_members SET relation = :label WHERE relation = :code"
            ).bindparams(label=label, code=code)
        )
    op.drop_index(
        op.f("ix_register_reconciliations_household_id"), table_name="register_reconciliations"
    )
    op.drop_index(
        op.f("ix_register_reconciliations_area_id"), table_name="register_reconciliations"
    )
    op.drop_table("register_reconciliations")
    with op.batch_alter_table("household_members") as batch_op:
        batch_op.drop_column("birth_date")
