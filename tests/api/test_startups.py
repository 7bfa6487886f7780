"""/api/v1/startups: create, read, change; who sees which startup."""

from __future__ import annotations

from typing import Any

from incubator.accounts.models import Role
from tests.api.fixtures import error_code

NEW = {
    "name": "Nông Nghiệp Xanh",
    "sector": "agritech",
    "description": "Tưới thông minh",
    "founded_on": "2024-03-01",
    "website": "https://xanh.example",
    "trl": 4,
    "team_size": 3,
}


def test_a_founder_creates_a_startup_and_leads_it(make_user: Any, api: Any) -> None:
    founder = make_user(Role.FOUNDER)
    client = api(founder)
    response = client.post("/api/v1/startups", json=NEW)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Nông Nghiệp Xanh"
    assert body["sector"] == "agritech"
    assert body["members"][0]["user_id"] == founder.id
    listed = client.get("/api/v1/startups").get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == body["id"]
    assert listed["page"] == 1 and listed["per_page"] == 20


def test_validation_names_the_fields(make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    response = client.post("/api/v1/startups", json={**NEW, "sector": "space", "trl": 12})
    assert response.status_code == 422
    assert error_code(response) == "invalid"
    assert set(response.get_json()["error"]["fields"]) == {"sector", "trl"}
    blank = client.post("/api/v1/startups", json={**NEW, "name": " \t "})
    assert blank.status_code == 422
    assert "name" in blank.get_json()["error"]["fields"]
    nul = client.post("/api/v1/startups", json={**NEW, "name": " \x00 "})  # (edge.py)
    assert nul.status_code == 400
    assert "name" in nul.get_json()["error"]["fields"]
    future = client.post("/api/v1/startups", json={**NEW, "founded_on": "2999-01-01"})
    assert future.status_code == 422
    error = future.get_json()["error"]
    assert error["fields"] == {"founded_on": error["message"]}


def test_malformed_json_is_a_400(make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER))
    response = client.post(
        "/api/v1/startups", data="{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_only_founders_create(make_user: Any, api: Any) -> None:
    response = api(make_user(Role.MENTOR)).post("/api/v1/startups", json=NEW)
    assert response.status_code == 422
    assert error_code(response) == "refused"


def test_another_founder_never_reaches_the_startup(
    make_user: Any, make_startup: Any, api: Any
) -> None:
    startup = make_startup()
    other = api(make_user(Role.FOUNDER))
    assert other.get(f"/api/v1/startups/{startup.id}").status_code == 404
    response = other.patch(f"/api/v1/startups/{startup.id}", json={"trl": 6})
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert other.get("/api/v1/startups").get_json()["total"] == 0


def test_members_change_the_profile(make_user: Any, make_startup: Any, api: Any) -> None:
    founder = make_user(Role.FOUNDER)
    startup = make_startup(founder)
    client = api(founder)
    response = client.patch(f"/api/v1/startups/{startup.id}", json={"trl": 6, "website": ""})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["trl"] == 6
    assert response.get_json()["name"] == startup.name


def test_a_read_only_token_cannot_write(make_user: Any, api: Any) -> None:
    client = api(make_user(Role.FOUNDER), read_only=True)
    assert client.get("/api/v1/startups").status_code == 200
    response = client.post("/api/v1/startups", json=NEW)
    assert response.status_code == 403
    assert error_code(response) == "read_only_token"


def test_managers_see_the_startups_that_applied_to_their_center(
    make_application: Any, manager_of: Any, api: Any
) -> None:
    submitted = make_application("submitted")
    make_application("draft")  # a draft is the founders' own business
    biic = api(manager_of("BIIC"))
    listed = biic.get("/api/v1/startups").get_json()
    assert [s["id"] for s in listed["items"]] == [submitted.startup_id]
    assert biic.get(f"/api/v1/startups/{submitted.startup_id}").status_code == 200
    smic = api(manager_of("SMIC"))
    assert smic.get("/api/v1/startups").get_json()["total"] == 0
    assert smic.get(f"/api/v1/startups/{submitted.startup_id}").status_code == 404
