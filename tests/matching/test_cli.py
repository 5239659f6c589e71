"""``flask lists``: the sample sources and files, imported from the command line; purge."""

from sqlalchemy import select

from api.casework.leads.models import Lead
from api.matching.demo import SAMPLES
from api.matching.models import ListRow, ListUpload


def test_sample_sources_and_files_import_from_the_cli(app, db, areas):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["lists", "sources"])
    assert made.exit_code == 0 and "4 sources defined" in made.output
    county = areas.county.code
    medical = runner.invoke(
        args=["lists", "import", "medical_large_bills", str(SAMPLES / "medical_large_bills.csv"),
              "--area", county]
    )  # fmt: skip
    assert medical.exit_code == 0, medical.output
    upload = db.scalar(select(ListUpload).order_by(ListUpload.id.desc()))
    assert (upload.status, upload.encoding, upload.rows_done, upload.rows_bad) == (
        "done",
        "gbk",
        6,
        2,
    )
    reasons = db.scalars(
        select(ListRow.bad_reason).where(ListRow.list_id == upload.id).order_by(ListRow.row_no)
    ).all()
    assert reasons == [None, None, None, "missing_name", "unreadable_id_number", None]
    # Nobody of the sample is in this register: the three bills of ¥10,000+ are leads,
    # for the county's queue (the sample's towns are not this county's).
    leads = db.scalars(select(Lead).where(Lead.origin == "data_matching")).all()
    assert len(leads) == 3 and {lead.queue for lead in leads} == {"county"}
    for code, sample in (("disability_certificates", "disability_certificates.xlsx"),
                         ("deaths", "deaths.csv")):  # fmt: skip
        result = runner.invoke(
            args=["lists", "import", code, str(SAMPLES / sample), "--area", county]
        )
        assert result.exit_code == 0 and " done:" in result.output, result.output
    again = runner.invoke(
        args=["lists", "import", "deaths", str(SAMPLES / "deaths.csv"), "--area", county]
    )
    assert again.exit_code != 0 and "imported already" in again.output
    purged = runner.invoke(args=["lists", "purge", "--days", "0"])
    assert purged.exit_code == 0 and "3 lists purged" in purged.output
