"""Sign-in throttling: guessing is slowed by growing delays, but nobody can keep a user's
own device out (docs/accounts.md, "Sign-in and throttling").

Time passes by moving the stored attempts into the past, never by sleeping.
"""

from datetime import timedelta

import pytest
from sqlalchemy import Interval, func, literal, select, update
from werkzeug.exceptions import TooManyRequests

from api.auth.models import LoginAttempt
from api.db import session
from api.demo.cli import DEMO_PASSWORD, seed_demo
from tests import factories

ATTACKER = "10.66.0.1"
HOME = "10.1.0.1"
# Phones send a persistent random id; these are as long as the real ones.
PHONE = "phone-3f9a1c2e7b5d4a60"
ATTACKER_DEVICE = "attacker-0d1e2f3a4b5c"


def login(client, username, password=factories.PASSWORD, device_id=PHONE, address=HOME):
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password, "device_id": device_id},
        environ_base={"REMOTE_ADDR": address},
    )


def let_time_pass(db, seconds):
    earlier = LoginAttempt.at - literal(timedelta(seconds=seconds), Interval())
    db.execute(update(LoginAttempt).values(at=earlier))
    db.flush()


def fail(client, db, username, times, device_id=ATTACKER_DEVICE, address=ATTACKER):
    """``times`` wrong passwords that count, waiting out each delay as a patient attacker
    would; returns the Retry-After of every 429 met on the way."""
    waits = []
    while times:
        response = login(client, username, "guess", device_id, address)
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            let_time_pass(db, waits[-1])
            continue
        assert response.status_code == 401
        times -= 1
    return waits


def stored_failures(db, usernames, count, address=None, device_id=None):
    """``count`` wrong passwords for ``usernames`` (in turn), stored just now as the login
    route stores them (test_attempts_record_the_device_and_its_trust): quicker than argon2
    through the API. From ``address`` and ``device_id``, or each try from an address and a
    device of its own (a botnet)."""
    usernames = [usernames] if isinstance(usernames, str) else usernames
    db.add_all(
        LoginAttempt(
            username=usernames[n % len(usernames)],
            address=address or f"10.99.{n // 250}.{n % 250}",
            device_id=device_id or f"bot-{n:016d}",
            succeeded=False,
        )
        for n in range(count)
    )
    db.flush()


def test_an_attacker_is_slowed_by_delays_that_double(client, db, areas, app):
    factories.user("outreach_worker", areas.town_a, username="target")
    free = app.config["LOGIN_FREE_FAILURES"]
    assert fail(client, db, "target", free) == []  # the first ones are free
    # Four more, waited out (kept in the store: argon2 makes each real try slow), and the
    # delays are long enough that a slow test machine does not outrun them.
    stored_failures(db, "target", 4, address=ATTACKER, device_id=ATTACKER_DEVICE)
    waits = []
    for _ in range(4):
        refused = login(client, "target", "guess", ATTACKER_DEVICE, ATTACKER)
        assert refused.status_code == 429
        assert refused.mimetype == "application/problem+json"
        assert refused.json["retry_after"] == int(refused.headers["Retry-After"])
        waits.append(int(refused.headers["Retry-After"]))
        # The right password waits too: a delay the right guess could skip is no delay.
        assert (
            login(client, "target", device_id=ATTACKER_DEVICE, address=ATTACKER).status_code == 429
        )
        let_time_pass(db, waits[-1])
        assert login(client, "target", "guess", ATTACKER_DEVICE, ATTACKER).status_code == 401
    assert waits == [16, 32, 64, 128]


def test_tries_during_a_delay_are_not_counted(client, db, areas, app):
    factories.user("outreach_worker", areas.town_a, username="hammered")
    stored = app.config["LOGIN_FREE_FAILURES"] + 6  # the next try waits 64 s
    stored_failures(db, "hammered", stored, address=ATTACKER, device_id=ATTACKER_DEVICE)
    for _ in range(20):
        refused = login(client, "hammered", "guess", ATTACKER_DEVICE, ATTACKER)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 64
    counted = db.scalar(select(func.count()).where(LoginAttempt.username == "hammered"))
    assert counted == stored
    let_time_pass(db, 64)
    assert login(client, "hammered", "guess", ATTACKER_DEVICE, ATTACKER).status_code == 401


def test_fifty_wrong_passwords_from_elsewhere_do_not_keep_the_users_own_phone_out(
    client, db, areas, app
):
    factories.user("outreach_worker", areas.town_a, username="wang")
    assert login(client, "wang").status_code == 200  # the phone has signed in before
    stored_failures(db, "wang", 45, address=ATTACKER, device_id=ATTACKER_DEVICE)
    waits = fail(client, db, "wang", 5)
    assert waits == [app.config["LOGIN_MAX_DELAY"]] * 5
    assert login(client, "wang", "guess", ATTACKER_DEVICE, ATTACKER).status_code == 429
    # The user's own phone signs in at once, at home or on the attacker's network.
    assert login(client, "wang").status_code == 200
    assert login(client, "wang", address=ATTACKER).status_code == 200


def test_a_botnet_for_one_username_slows_untrusted_devices_only(client, db, areas, app):
    factories.user("outreach_worker", areas.town_a, username="li")
    assert login(client, "li").status_code == 200
    stored_failures(db, "li", 50)
    assert login(client, "li", device_id="a-new-phone-00000000001").status_code == 429
    assert login(client, "li").status_code == 200


def test_one_attacker_behind_the_proxy_does_not_lock_everyone_out(client, db, areas, app):
    # TRUSTED_PROXIES=0 behind a proxy: every client has the proxy's address.
    assert app.config["TRUSTED_PROXIES"] == 0
    proxy = "172.16.0.1"
    names = [f"worker-{n}" for n in range(3)]
    for n, name in enumerate(names):
        factories.user("outreach_worker", areas.town_a, username=name)
        assert login(client, name, device_id=f"{PHONE}-{n}", address=proxy).status_code == 200
    # One attacker sprays wrong passwords over everyone's names and made-up ones, each
    # try from a new device id; the last five go through the API, and are slowed.
    sprayed = names + [f"nobody-{n}" for n in range(10)]
    stored_failures(db, sprayed, 45, address=proxy)
    for n, name in enumerate(sprayed[:5]):
        assert fail(client, db, name, 1, f"{ATTACKER_DEVICE}-{n}", proxy)
    # Everyone's own phone still signs in through the proxy, straight away.
    for n, name in enumerate(names):
        assert login(client, name, device_id=f"{PHONE}-{n}", address=proxy).status_code == 200
    # The limit, documented: a device never signed in before waits behind that proxy.
    factories.user("outreach_worker", areas.town_a, username="newcomer")
    assert (
        login(client, "newcomer", device_id="first-phone-000000001", address=proxy).status_code
        == 429
    )


def test_a_new_device_of_the_user_after_an_attack_waits_then_gets_in(client, db, areas, app):
    factories.user("outreach_worker", areas.town_a, username="zhao")
    stored_failures(db, "zhao", 50)
    new_phone = "zhaos-new-phone-000001"
    refused = login(client, "zhao", device_id=new_phone)
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 0 < wait <= app.config["LOGIN_MAX_DELAY"]
    let_time_pass(db, wait)
    assert login(client, "zhao", device_id=new_phone).status_code == 200
    # Signed in once, the phone is trusted: the attack goes on, the phone is not slowed.
    stored_failures(db, "zhao", 50)
    assert login(client, "zhao", device_id=new_phone).status_code == 200


def test_the_users_own_phone_is_slowed_by_its_own_failures(client, db, areas, app):
    factories.user("outreach_worker", areas.town_a, username="typo")
    assert login(client, "typo").status_code == 200
    fail(client, db, "typo", app.config["LOGIN_FREE_FAILURES"], device_id=PHONE, address=HOME)
    # Two more, waited out, so that the wait outlasts a slow test machine.
    stored_failures(db, "typo", 2, address=HOME, device_id=PHONE)
    refused = login(client, "typo")
    assert refused.status_code == 429
    let_time_pass(db, int(refused.headers["Retry-After"]))
    assert login(client, "typo").status_code == 200
    # Signed in: its typos are forgiven, the next wrong password is free again.
    assert login(client, "typo", "guess").status_code == 401


def test_a_guessable_device_id_is_never_trusted(client, db, areas):
    factories.user("supervisor", areas.county, username="zhou")
    assert login(client, "zhou", device_id="dashboard").status_code == 200
    stored_failures(db, "zhou", 50)
    # Anyone could claim to be "dashboard": it earns no exemption.
    assert login(client, "zhou", device_id="dashboard").status_code == 429


def test_a_lost_phone_loses_its_trust(client, db, areas):
    admin = factories.user("admin", areas.county)
    worker = factories.user("outreach_worker", areas.town_a, username="lost")
    tokens = login(client, "lost").json
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    # Logging out keeps the trust …
    stored_failures(db, "lost", 50)
    assert login(client, "lost").status_code == 200
    # … ending every sign-in (a lost phone) withdraws it.
    client.post(f"/api/v1/users/{worker.id}/revoke-tokens", headers=factories.headers_for(admin))
    assert login(client, "lost").status_code == 429


def test_failures_older_than_the_window_are_forgotten(client, db, areas, app):
    factories.user("outreach_worker", areas.town_a, username="returning")
    stored_failures(db, "returning", 50)
    assert login(client, "returning").status_code == 429
    let_time_pass(db, app.config["LOGIN_FAILURE_WINDOW"] + 1)
    assert login(client, "returning").status_code == 200


def test_every_429_says_when_to_come_back(app):
    # Raised by anything, not only sign-in: the error handler adds the header.
    with app.test_request_context("/api/v1/anything"):
        response = app.handle_user_exception(TooManyRequests())
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "application/problem+json"


def test_attempts_record_the_device_and_its_trust(client, db, areas):
    factories.user("outreach_worker", areas.town_a, username="recorded")
    login(client, "recorded")
    login(client, "recorded", "guess")
    login(client, "recorded", "guess", ATTACKER_DEVICE, ATTACKER)
    rows = db.execute(
        select(LoginAttempt.device_id, LoginAttempt.trusted_device, LoginAttempt.succeeded)
        .where(LoginAttempt.username == "recorded")
        .order_by(LoginAttempt.id)
    ).all()
    assert rows == [(PHONE, False, True), (PHONE, True, False), (ATTACKER_DEVICE, False, False)]


@pytest.mark.spatialite
def test_throttling_and_a_trusted_device_on_the_embedded_default(sqlite_app):
    seed_demo()
    session.commit()
    client = sqlite_app.test_client()
    assert login(client, "demo-worker", DEMO_PASSWORD).status_code == 200
    for _ in range(sqlite_app.config["LOGIN_FREE_FAILURES"]):
        assert login(client, "demo-worker", "guess", ATTACKER_DEVICE, ATTACKER).status_code == 401
    refused = login(client, "demo-worker", DEMO_PASSWORD, ATTACKER_DEVICE, ATTACKER)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert login(client, "demo-worker", DEMO_PASSWORD).status_code == 200
