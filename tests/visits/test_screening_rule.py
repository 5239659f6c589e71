"""The screening rule as a plain function (figures per person per month)."""

from datetime import date

from api.visits.screening import Standard, screen

URBAN = Standard(id=1, area_id=1, monthly_amount=828.0, valid_from=date(2022, 1, 1), valid_to=None)


def test_expenditure_hardship_line_follows_its_setting():
    findings = {"household_size": 2, "monthly_income_total": 2000, "rigid_expenses_monthly": 500}
    # 750 a head after rigid expenses: under 828, over 0.8 x 828 = 662.4.
    assert screen(findings, 2, URBAN, 1.5, 1.6)[0] == "likely_expenditure_hardship"
    result, figures = screen(findings, 2, URBAN, 1.5, 1.6, expenditure_factor=0.8)
    assert result == "likely_marginal"
    assert figures["expenditure_hardship_line"] == 662.4
