"""The import of one uploaded list: read, match, warn (the job behind ``POST /lists``).

Rows are read and stored in chunks of ``CHUNK_ROWS``, and each chunk is committed with the
list's progress (rows done, rows per second): a million-row list shows its progress while
it runs, and memory holds one chunk, never the file. This is the one job that commits by
itself, and it is safe to run again: a run resumes after the last stored row (rows are
UNIQUE per list and number), warnings are UNIQUE per row and rule, and the follow-up
tasks are keyed by warning (``workers.followup.warnings_raised``). The register is loaded
once per run by the matching engine (``api.matching.linkage``).

Per row: a bad row (no name, unreadable ID number, unknown village, unreadable text, too
long, bad date or amount) is kept with its reason; a good one is matched; a row seen
unchanged (same key, same content) in the source's previous list raises nothing new; the
source's rules then raise warnings — on a matched person, a follow-up task for the
household (scheduled through the outbox); on an unmatched row of a source whose
``unmatched_leads`` is on, a lead for the town of the row's place (the county's queue
when it resolves to none). Rows proposed for review raise warnings when accepted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select

from api.areas.models import Area
from api.casework.leads.rules import AreaFacts, match_address
from api.common import county_time
from api.db import session, utcnow
from api.jobs.services import schedule_job
from api.matching import files, parsing, rules
from api.matching.models import EarlyWarning, ListRow, ListUpload, RejectedPair, Source
from api.visits.people import HEAD

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
WARNINGS_JOB = "workers.followup.warnings_raised"


def key_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(values: dict[str, str]) -> str:
    return key_hash(json.dumps(values, sort_keys=True, ensure_ascii=False))


# -- places -------------------------------------------------------------------------------


@dataclass
class Places:
    """The county's towns and villages, by code and by name, for resolving rows."""

    county_id: int
    by_code: dict[str, AreaFacts]
    all: list[AreaFacts]

    def resolve(self, row: parsing.ReadRow) -> tuple[int | None, bool]:
        """(the village or town the row names, whether it names one that does not exist)."""
        if row.village_code:
            place = self.by_code.get(row.village_code)
            return (place.id, False) if place else (None, True)
        if row.village:
            exact = [p for p in self.all if p.name == row.village]
            place = exact[0] if exact else match_address(row.village, self.all)
            return (place.id, False) if place else (None, True)
        place = match_address(row.address, self.all)
        return (place.id if place else None), False


def load_places(area_id: int) -> Places:
    area = session.scalar(select(Area).where(Area.id == area_id))
    county_id = int(area.path.strip("/").split("/")[0])
    county = session.scalar(select(Area).where(Area.id == county_id))
    facts = [
        AreaFacts(id=a.id, level=a.level, name=a.name, parent_id=a.parent_id)
        for a in session.scalars(
            select(Area).where(
                Area.path.startswith(county.path), Area.level.in_(("town", "village"))
            )
        )
    ]
    codes = dict(
        session.execute(select(Area.code, Area.id).where(Area.id.in_([f.id for f in facts]))).all()
    )
    by_id = {f.id: f for f in facts}
    return Places(county_id, {code: by_id[i] for code, i in codes.items()}, facts)


# -- register facts -----------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    member_id: int
    household_id: int
    area_id: int
    name: str
    is_head: bool
    has_programme: bool
    monitored: bool

    def rule_facts(self) -> dict[str, bool]:
        return {
            "registered": True,
            "monitored": self.monitored,
            "has_programme": self.has_programme,
            "is_head": self.is_head,
        }


def person_facts(member_ids: Iterable[int]) -> dict[int, PersonFacts]:
    """What the rules read of matched register members (three queries per chunk)."""
    from api.visits.models import (
        Household,
        HouseholdFocusGroup,
        HouseholdMember,
        HouseholdProgramme,
    )

    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            HouseholdMember.id,
            HouseholdMember.household_id,
            HouseholdMember.name,
            HouseholdMember.relation,
            Household.area_id,
        )
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(HouseholdMember.id.in_(ids))
    ).all()
    households = {r.household_id for r in rows}
    programmes = set(
        session.scalars(
            select(HouseholdProgramme.household_id).where(
                HouseholdProgramme.household_id.in_(households)
            )
        )
    )
    groups = set(
        session.scalars(
            select(HouseholdFocusGroup.household_id).where(
                HouseholdFocusGroup.household_id.in_(households)
            )
        )
    )
    return {
        r.id: PersonFacts(
            member_id=r.id,
            household_id=r.household_id,
            area_id=r.area_id,
            name=r.name,
            is_head=r.relation == HEAD,
            has_programme=r.household_id in programmes,
            monitored=r.household_id in programmes or r.household_id in groups,
        )
        for r in rows
    }


@dataclass
class RowRecord:
    """A row as the pipeline holds it before it is stored: plain values (an ORM object per
    row cost more than reading, matching and storing it), the columns of ``ListRow``."""

    row_no: int
    raw: dict[str, str] | None
    name: str | None
    id_number: str | None
    birth_date: date | None
    sex: str | None
    address: str | None
    place_area_id: int | None
    amount: Decimal | None
    event_date: date | None
    attributes: dict[str, str] | None
    content_hash: str
    bad_reason: str | None
    status: str
    row_key_hash: str | None = None
    unchanged: bool = False
    method: str | None = None
    member_id: int | None = None
    household_id: int | None = None
    score: float | None = None
    reasons: list[str] = field(default_factory=list)
    lead_id: int | None = None
    id: int | None = None


# Columns written for each row (all of ListRow's but the id).
ROW_COLUMNS = [c.name for c in ListRow.__table__.columns if c.name != "id"]


def row_facts(row: ListRow | RowRecord) -> dict[str, Any]:
    return {
        "amount": row.amount,
        "event_date": row.event_date.isoformat() if row.event_date else None,
        "attributes": row.attributes or {},
        "name": row.name,
    }


# -- warnings -----------------------------------------------------------------------------


def fired_rules(
    source: Source, row: ListRow | RowRecord, person: PersonFacts | None
) -> list[rules.Fired]:
    """The source's rules that fire on a row (its person's facts, or an unknown
    person's); none for an unknown person when the source makes no leads."""
    if person is None and not source.unmatched_leads:
        return []
    facts = row_facts(row) | (person.rule_facts() if person else rules.unregistered_facts())
    return rules.evaluate(source.rules or [], facts)


def store_warnings(
    upload: ListUpload,
    source: Source,
    row: ListRow | RowRecord,
    person: PersonFacts | None,
    fired: list[rules.Fired],
    lead: Any,
) -> list[EarlyWarning]:
    """The warnings of a stored row: about the person, or about the row's lead."""
    today = county_time.local_today()
    made = [
        EarlyWarning(
            list_id=upload.id,
            row_id=row.id,
            source_id=source.id,
            area_id=person.area_id if person else lead.area_id,
            rule_code=rule.code,
            level=rule.level,
            action=rule.action,
            reason=rule.reason,
            subject_name=person.name if person else row.name,
            household_id=person.household_id if person else None,
            member_id=person.member_id if person else None,
            lead_id=None if person else lead.id,
            due_on=today + timedelta(days=rules.DUE_DAYS[rule.level]),
        )
        for rule in fired
    ]
    session.add_all(made)
    upload.warnings_raised += len(made)
    return made


def raise_warnings(
    upload: ListUpload, source: Source, row: ListRow, person: PersonFacts | None
) -> list[EarlyWarning]:
    """The source's rules on one stored row (an accepted review): warnings, and for an
    unmatched row a lead. Returns the warnings about register people (their follow-up
    tasks are scheduled by the caller)."""
    fired = fired_rules(source, row, person)
    if not fired:
        return []
    lead = None
    if person is None:
        lead = _lead_for(upload, source, row, fired)
        row.lead_id = lead.id
    made = store_warnings(upload, source, row, person, fired, lead)
    session.flush()
    return made if person else []


def _lead_for(
    upload: ListUpload, source: Source, row: ListRow | RowRecord, fired: list[rules.Fired]
) -> Any:
    from api.casework.leads.services import create_lead

    upload.leads_made += 1
    reported = (
        session.scalar(select(Area).where(Area.id == row.place_area_id))
        if row.place_area_id
        else None
    )
    county_id = int(
        session.scalar(select(Area.path).where(Area.id == upload.area_id)).strip("/").split("/")[0]
    )
    worst = min(fired, key=lambda f: list(rules.DUE_DAYS).index(f.level))
    reasons = "；".join(f.reason for f in fired)
    lead, _code = create_lead(
        {
            "origin": "data_matching",
            "about": "other",
            "subject_name": row.name,
            "address": row.address,
            "description": f"数据比对（{source.name}，名单 #{upload.id} 第 {row.row_no} 行）："
            f"户籍库未找到此人。{reasons}",
            "urgency": "urgent" if worst.level == "red" else "normal",
        },
        county_id=county_id,
        reported=reported,
        settings=current_app.config,
    )
    return lead


# -- the job ------------------------------------------------------------------------------


def _chunks(rows: Iterator[parsing.RawRow], size: int) -> Iterator[list[parsing.RawRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def previous_list_id(upload: ListUpload) -> int | None:
    return session.scalar(
        select(func.max(ListUpload.id)).where(
            ListUpload.source_id == upload.source_id,
            ListUpload.id < upload.id,
            ListUpload.status == "done",
        )
    )


def run_import(list_id: int) -> str:
    """Import a list (see the module's docstring); returns its status."""
    upload = session.scalar(select(ListUpload).where(ListUpload.id == list_id))
    if upload is None or upload.status in ("done", "failed") or upload.purged_at is not None:
        return "skipped"
    source = session.scalar(select(Source).where(Source.id == upload.source_id))
    config = current_app.config
    if upload.status == "queued":
        upload.status, upload.started_at = "running", utcnow()
        session.flush()
    # The engine (splink, DuckDB, Arrow, the pinyin tables: ≈ 100 MB) is loaded by the job
    # that needs it, not by every API worker that imports this module to queue the job.
    from api.matching import linkage

    context = _Context(
        upload=upload,
        source=source,
        places=load_places(upload.area_id),
        register=linkage.load_register(session, upload.area_id),
        previous=previous_list_id(upload),
        rejected=rejected_pairs(),
    )
    path = files.path_for(upload.file_sha256)
    try:
        raw_rows = parsing.iter_rows(
            path, upload.file_format, upload.encoding, config["MATCHING_MAX_ROW_CHARS"]
        )
        started = time.monotonic()
        done_before = upload.rows_done
        for chunk in _chunks(raw_rows, CHUNK_ROWS):
            # Two runs of one list (a sweep's retry beside a slow worker) take turns per
            # chunk: the list's row is locked until the chunk commits, and each stores
            # only rows past the last one stored.
            session.refresh(upload, with_for_update=True)
            last_row = _last_row(list_id)
            fresh = [r for r in chunk if last_row is None or r.row_no > last_row]
            if fresh:
                store_chunk(context, fresh)
                elapsed = time.monotonic() - started
                if elapsed > 0:
                    upload.rows_per_second = round((upload.rows_done - done_before) / elapsed, 1)
                session.commit()
    except FileNotFoundError:
        upload.status, upload.error = "failed", "The stored file is missing."
        upload.finished_at = utcnow()
        session.flush()
        return upload.status
    except parsing.BadFile as exc:
        upload.status, upload.error = "failed", str(exc)
        upload.finished_at = utcnow()
        session.flush()
        return upload.status
    upload.status, upload.finished_at = "done", utcnow()
    session.flush()
    log.info("list %s imported: %s rows", upload.id, upload.rows_done)
    return upload.status


def _last_row(list_id: int) -> int | None:
    return session.scalar(select(func.max(ListRow.row_no)).where(ListRow.list_id == list_id))


@dataclass
class _Context:
    upload: ListUpload
    source: Source
    places: Places
    register: Any
    previous: int | None
    # Rejected members by row key hash.
    rejected: dict[str, set[int]]


def rejected_pairs() -> dict[str, set[int]]:
    pairs: dict[str, set[int]] = {}
    for key, member in session.execute(select(RejectedPair.row_key_hash, RejectedPair.member_id)):
        pairs.setdefault(key, set()).add(member)
    return pairs


def store_chunk(context: _Context, chunk: list[parsing.RawRow]) -> None:
    """Read, match, store and warn one chunk of rows."""
    from api.matching import linkage  # loaded with the job (run_import)

    upload, source = context.upload, context.source
    records: list[RowRecord] = []
    to_match: list[Any] = []
    raw_keys: dict[int, str] = {}
    for raw in chunk:
        read = parsing.read_row(raw, source.columns, list(source.attributes or []))
        place_id, unknown = (
            context.places.resolve(read) if read.bad_reason is None else (None, False)
        )
        if read.bad_reason is None and unknown:
            read.bad_reason = "unknown_village"
        record = RowRecord(
            row_no=raw.row_no,
            raw=raw.values or None,
            name=read.name[:100] if read.name else None,
            id_number=read.id_number if read.id_number and len(read.id_number) <= 18 else None,
            birth_date=read.birth_date,
            sex=read.sex,
            address=read.address[:255] if read.address else None,
            place_area_id=place_id,
            amount=read.amount,
            event_date=read.event_date,
            attributes=read.attributes or None,
            content_hash=content_hash(raw.values),
            bad_reason=read.bad_reason,
            status="bad" if read.bad_reason else "unmatched",
        )
        records.append(record)
        if read.bad_reason is None:
            match_row = linkage.Row(
                row_no=raw.row_no,
                name=read.name,
                id_number=read.id_number,
                birth_date=read.birth_date,
                birth_year=read.birth_year,
                sex=read.sex,
                area_id=place_id,
                address=read.address,
            )
            raw_keys[raw.row_no] = linkage.row_key(match_row)
            record.row_key_hash = key_hash(raw_keys[raw.row_no])
            to_match.append(match_row)
    by_no = {record.row_no: record for record in records}
    # The rejected pairs of this chunk's rows, in the engine's own keys.
    rejected = [
        (raw_keys[no], member)
        for no in raw_keys
        for member in context.rejected.get(by_no[no].row_key_hash or "", ())
    ]
    for match in linkage.match_rows(to_match, context.register, rejected=rejected):
        record = by_no[match.row_no]
        record.status, record.method, record.score = match.status, match.method, match.score
        record.reasons = list(match.reasons or [])
        record.member_id = match.member_id
    people = person_facts(r.member_id for r in records if r.member_id is not None)
    _mark_unchanged(context.previous, records)
    # Rules first (a lead is made before its row is stored, which names it), then the
    # rows, then the warnings, which name the rows.
    firing: list[tuple[RowRecord, PersonFacts | None, list[rules.Fired], Any]] = []
    for record in records:
        person = people.get(record.member_id) if record.member_id is not None else None
        if person is not None:
            record.household_id = person.household_id
        counter = f"rows_{record.status}"
        setattr(upload, counter, getattr(upload, counter) + 1)
        if record.unchanged or record.status in ("bad", "review"):
            continue
        if record.status == "matched" and person is None:
            continue  # the member left the register since it was loaded
        fired = fired_rules(source, record, person)
        if fired:
            lead = None if person else _lead_for(upload, source, record, fired)
            record.lead_id = lead.id if lead is not None else None
            firing.append((record, person, fired, lead))
    session.flush()
    insert_rows(upload, records)
    if firing:
        ids = dict(
            session.execute(
                select(ListRow.row_no, ListRow.id).where(
                    ListRow.list_id == upload.id,
                    ListRow.row_no.in_([r.row_no for r, *_ in firing]),
                )
            ).all()
        )
        warnings: list[EarlyWarning] = []
        for record, person, fired, lead in firing:
            record.id = ids[record.row_no]
            made = store_warnings(upload, source, record, person, fired, lead)
            warnings += made if person is not None else []
        session.flush()
        if warnings:
            schedule_job(WARNINGS_JOB, *[w.id for w in warnings], area_id=upload.area_id)
    upload.rows_done += len(records)
    session.flush()


def insert_rows(upload: ListUpload, records: list[RowRecord]) -> None:
    """Store a chunk's rows: PostgreSQL's COPY (an INSERT of thousands of rows spent most
    of the import converting its parameters), an executemany elsewhere."""
    now = utcnow()
    fixed = {"list_id": upload.id, "area_id": upload.area_id, "created_at": now}
    values = [
        {name: fixed[name] if name in fixed else getattr(record, name) for name in ROW_COLUMNS}
        for record in records
    ]
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(ListRow), values)
        return
    from psycopg.types.json import Jsonb

    json_columns = {"raw", "attributes", "reasons"}

    def cell(row: dict[str, Any], name: str) -> Any:
        value = row[name]
        return Jsonb(value) if name in json_columns and value is not None else value

    cursor = connection.connection.driver_connection.cursor()
    with (
        cursor,
        cursor.copy(f"COPY {ListRow.__tablename__} ({', '.join(ROW_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in values:
            copy.write_row(
                [
                    Jsonb(row[name])
                    if name in json_columns and row[name] is not None
                    else row[name]
                    for name in ROW_COLUMNS
                ]
            )


def _mark_unchanged(previous: int | None, rows: list[RowRecord]) -> None:
    """Rows whose key and content were in the source's previous list."""
    keyed = [r for r in rows if r.row_key_hash]
    if previous is None or not keyed:
        return
    seen = set(
        session.execute(
            select(ListRow.row_key_hash, ListRow.content_hash).where(
                ListRow.list_id == previous,
                ListRow.row_key_hash.in_({r.row_key_hash for r in keyed}),
            )
        ).all()
    )
    for row in keyed:
        row.unchanged = (row.row_key_hash, row.content_hash) in seen
