"""Referral activity per area and quarter, counted by the national categories."""

from datetime import date

from sqlalchemy import select

from core.extensions import db
from core.vocab import REFERRAL_CATEGORIES, Role
from spoc.models import ReferralCount


def stored(app, area_id):
    with app.app_context():
        rows = db.session.scalars(select(ReferralCount).where(ReferralCount.area_id == area_id)).all()
        return {(r.quarter_start, r.dimension, r.category): r.count for r in rows}


def test_spoc_records_referrals_for_their_area(app, client, world, login_as):
    login_as(Role.SPOC)
    data = {"sector__education": "3", "concern__islamist": "1", "concern__extreme_right_wing": "2", "gender__male": "3"}
    response = client.post(f"/areas/{world.area_id}/referrals/2026-q3", data=data)
    assert response.status_code == 302
    counts = stored(app, world.area_id)
    q3 = date(2026, 7, 1)
    assert counts == {
        (q3, "sector", "education"): 3,
        (q3, "concern", "islamist"): 1,
        (q3, "concern", "extreme_right_wing"): 2,
        (q3, "gender", "male"): 3,
    }
    page = client.get(f"/areas/{world.area_id}").get_data(as_text=True)
    assert "July to September 2026" in page
    # Correcting a count keeps one row per category and the change is audited.
    client.post(
        f"/areas/{world.area_id}/referrals/2026-q3",
        data={"sector__education": "2", "concern__islamist": "2", "gender__male": "2"},
    )
    counts = stored(app, world.area_id)
    assert counts[(q3, "sector", "education")] == 2
    assert counts[(q3, "concern", "extreme_right_wing")] == 0


def test_counts_must_add_up_and_be_whole_numbers(app, client, world, login_as):
    login_as(Role.SPOC)
    page = client.post(
        f"/areas/{world.area_id}/referrals/2026-q3",
        data={"sector__education": "3", "concern__islamist": "2", "gender__female": "-1", "age_band__15_20": "x"},
    ).get_data(as_text=True)
    assert "Female: enter a whole number" in page
    assert "15 to 20: enter a whole number" in page
    page = client.post(
        f"/areas/{world.area_id}/referrals/2026-q3", data={"sector__education": "3", "concern__islamist": "2"}
    ).get_data(as_text=True)
    assert "must add up to the same number of referrals" in page
    assert stored(app, world.area_id) == {}


def test_spoc_cannot_record_for_another_area_or_a_future_quarter(app, client, world, login_as):
    login_as(Role.SPOC)
    response = client.post(f"/areas/{world.other_area_id}/referrals/2026-q3", data={"sector__education": "1"})
    assert response.status_code == 403
    assert stored(app, world.other_area_id) == {}
    assert client.get(f"/areas/{world.area_id}/referrals/2999-q1").status_code == 404
    assert client.get(f"/areas/{world.area_id}/referrals/not-a-quarter").status_code == 404


def test_every_category_has_a_box(client, world, login_as):
    login_as(Role.PREVENT_LEAD)
    page = client.get(f"/areas/{world.area_id}/referrals/2026-q3").get_data(as_text=True)
    for dimension, options in REFERRAL_CATEGORIES.items():
        for category, _ in options:
            assert f'name="{dimension}__{category}"' in page


def test_area_referral_totals_are_published_with_small_counts_hidden(client, world, login_as):
    # July to September: 3 referrals (fewer than 5: [c]); April to June: 6 (shown); the quarters
    # with nothing recorded say so. No two quarters add up to anything shown, so nothing else hides.
    login_as(Role.SPOC)
    for quarter, n in (("2026-q3", "3"), ("2026-q2", "6")):
        response = client.post(
            f"/areas/{world.area_id}/referrals/{quarter}", data={"sector__education": n, "gender__male": n}
        )
        assert response.status_code == 302
    login_as(Role.BOARD_MEMBER)
    page = " ".join(client.get(f"/areas/{world.area_id}").get_data(as_text=True).split())
    assert (
        '<td class="govuk-table__cell">July to September 2026</td> '
        '<td class="govuk-table__cell govuk-table__cell--numeric">[c]</td>' in page
    )
    assert (
        '<td class="govuk-table__cell">April to June 2026</td> '
        '<td class="govuk-table__cell govuk-table__cell--numeric">6</td>' in page
    )
    assert "Not recorded" in page
    assert "[c]: fewer than 5, suppressed to protect individuals." in page
