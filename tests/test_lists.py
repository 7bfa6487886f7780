"""List specs (incubator/lists.py) without HTTP where possible, and each list's CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from incubator.accounts.lists import USERS
from incubator.accounts.models import Role, User
from incubator.applications.lists import MINE, RANKING, score_from_text
from incubator.applications.stages import Stage
from incubator.lists import Column, Filter, ListSpec, csv_response, neutralise_cell
from incubator.programs.lists import CALLS, PROGRAMS
from incubator.reviews.lists import QUEUE
from incubator.startups.models import Sector

SPECS = (USERS, CALLS, PROGRAMS, MINE, RANKING, QUEUE)


def _text(response: Any) -> str:
    return b"".join(response.response).decode("utf-8")


def _rows(response: Any) -> list[list[str]]:
    text = response.data.decode("utf-8") if hasattr(response, "data") else _text(response)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# ------------------------------------------------------------------ parsing


def test_defaults_without_any_parameter() -> None:
    params = USERS.parse({})
    assert (params.sort, params.descending, params.number) == ("name", False, 1)
    assert params.filters == {"q": "", "role": ""}
    assert params.values == {}


@pytest.mark.parametrize(
    "args",
    [
        {"sort": "password_hash"},
        {"sort": "-password_hash"},
        {"sort": "name; DROP TABLE users"},
        {"sort": "--name"},
        {"sort": ""},
        {"sort": "\x00"},
    ],
)
def test_only_declared_sorts_are_accepted(args: dict[str, str]) -> None:
    params = USERS.parse(args)
    assert (params.sort, params.descending) == ("name", False)


def test_sort_keys_are_the_columns_and_the_extra_sorts(ctx: Any) -> None:
    assert set(USERS.sort_columns) == {"name", "email", "created"}
    assert set(PROGRAMS.sort_columns) == {"name", "opens", "closes", "capacity", "created"}
    assert set(RANKING.sort_columns) == {"startup", "stage", "score", "reviews", "submitted"}
    params = CALLS.parse({"sort": "-capacity"})
    assert (params.sort, params.descending) == ("capacity", True)
    assert (CALLS.parse({}).sort, CALLS.parse({}).descending) == ("closes", False)
    assert (CALLS.parse({"sort": "-created"}).sort, PROGRAMS.default_sort) == (
        "created",
        "-created",
    )


@pytest.mark.parametrize(
    ("page", "number"),
    [("2", 2), ("0", 1), ("-1", 1), ("1.5", 1), ("²", 1), ("9" * 5000, 1), ("", 1), (3, 3)],
)
def test_page_numbers(page: Any, number: int) -> None:
    assert USERS.parse({"page": page}).number == number


def test_select_filters_take_only_their_choices() -> None:
    params = MINE.parse(MultiDict({"stage": "submitted"}))
    assert params.filters == {"stage": "submitted"}
    assert params.values == {"stage": Stage.SUBMITTED}
    for crafted in ("nonsense", "SUBMITTED", "\x00", "submitted\x00x", ""):
        params = MINE.parse({"stage": crafted})
        assert params.values == {}
        assert params.filters == {"stage": ""}


def test_the_ranking_does_not_offer_drafts() -> None:
    values = [value for value, _label in RANKING.parse({}).options["stage"]]
    assert "draft" not in values and "submitted" in values
    assert RANKING.parse({"stage": "draft"}).values == {}
    params = RANKING.parse({"sector": Sector.AGRITECH.value, "min_score": "72,5", "q": " An "})
    assert params.values == {"sector": Sector.AGRITECH, "min_score": 72.5, "q": "An"}


def test_text_filters_are_cleaned_and_parsed() -> None:
    params = RANKING.parse({"q": "  a\x00b  ", "min_score": "lots"})
    assert params.filters["q"] == "ab" and params.values["q"] == "ab"
    assert params.filters["min_score"] == "lots" and "min_score" not in params.values
    assert score_from_text("") is None and score_from_text("50") == 50.0
    assert RANKING.parse({"min_score": 50, "q": None}).values == {"min_score": 50.0}


def test_choices_can_depend_on_the_actor() -> None:
    spec = ListSpec(
        name="things",
        columns=(Column("id", "Id", value=str, sort=User.id),),
        filters=(
            Filter(
                "owner",
                "Owner",
                choices=lambda actor: [(actor, actor.upper())],
                apply=lambda statement, value: statement,
            ),
        ),
        default_sort="id",
        tiebreak=User.id,
    )
    assert spec.parse({"owner": "an"}, actor="an").values == {"owner": "an"}
    assert spec.parse({"owner": "an"}, actor="binh").values == {}


def test_a_spec_is_checked_when_declared() -> None:
    with pytest.raises(ValueError, match="default sort"):
        ListSpec(name="x", columns=(), default_sort="name", tiebreak=User.id)
    with pytest.raises(ValueError, match="cells template"):
        ListSpec(
            name="x",
            columns=(Column("name", "Name", cell="name", csv=str, sort=User.name),),
            default_sort="name",
            tiebreak=User.id,
        )
    with pytest.raises(ValueError, match="needs a value"):
        Column("name", "Name")
    with pytest.raises(ValueError, match="priority"):
        Column("name", "Name", value=str, priority="low")


def every_list_spec() -> list[ListSpec]:
    """Every ListSpec that a domain's lists.py declares."""
    import importlib

    from incubator.domains import DOMAINS

    specs = []
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"incubator.{domain}.lists")
        except ModuleNotFoundError:
            continue
        specs += [value for value in vars(module).values() if isinstance(value, ListSpec)]
    return specs


def test_every_list_heads_its_phone_cards_with_one_key_column() -> None:
    """Issue 7 item 15: on a phone each row is a card titled by the list's key column."""
    specs = every_list_spec()
    assert len(specs) >= 8
    for spec in specs:
        titles = [c.key for c in spec.html_columns if c.priority == "title"]
        assert len(titles) == 1, (spec.name, titles)
    with pytest.raises(ValueError, match="one title column"):
        ListSpec(
            name="x",
            columns=(
                Column("a", "A", value=str, sort=User.name, priority="title"),
                Column("b", "B", value=str, priority="title"),
            ),
            default_sort="a",
            tiebreak=User.id,
        )


def test_every_list_has_a_csv_column_and_an_empty_text(ctx: Any) -> None:
    for spec in SPECS:
        assert spec.csv_header() and spec.html_columns and str(spec.empty)


# ------------------------------------------------------------- statements


def test_filters_and_sort_go_into_the_statement() -> None:
    params = USERS.parse({"q": "an", "role": "mentor", "sort": "-email"})
    sql = str(USERS.ordered(select(User), params))
    assert "role_grants" in sql and "ORDER BY users.email DESC, users.id" in sql
    assert "role_grants" not in str(USERS.ordered(select(User), USERS.parse({})))


# --------------------------------------------------------- with no request


def test_a_spec_reads_rows_and_writes_csv_without_a_request(
    ctx: Any, english: None, make_user: Any
) -> None:
    from incubator.accounts.roles import users_query

    make_user(Role.MENTOR, name="Đỗ Thị Hương", email="huong@example.test")
    make_user(Role.FOUNDER, name="=cmd|' /C calc'!A0", email="evil@example.test")
    params = USERS.parse({"role": "mentor"})
    assert [u.email for u in USERS.rows(users_query(), params)] == ["huong@example.test"]
    page = USERS.page(users_query(), USERS.parse({"page": "7"}), per_page=1)
    assert (page.total, page.number, page.pages) == (2, 2, 2)
    rows = _rows(USERS.csv(users_query(), USERS.parse({"sort": "email"}), "people.csv"))
    assert rows == [
        ["Name", "Email", "Roles", "Active"],
        ["'=cmd|' /C calc'!A0", "evil@example.test", "Founder", "True"],
        ["Đỗ Thị Hương", "huong@example.test", "Mentor", "True"],
    ]


def test_csv_neutralises_formulas() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_cell(text) == "'" + text
    assert neutralise_cell("an") == "an" and neutralise_cell(-1) == -1
    response = csv_response("x.csv", ["A"], [["=HYPERLINK(1)"], [3]])
    assert response.headers["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert _rows(response) == [["A"], ["'=HYPERLINK(1)"], ["3"]]


# ---------------------------------------------------------------- the pages


def test_the_table_macro_draws_the_spec(make_user: Any, login: Any) -> None:
    admin = login(make_user(Role.ADMIN, name="Admin Root", locale="en"))
    make_user(Role.MENTOR, name="Mentor Một", active=False)
    html = admin.get("/admin/users?sort=-created").get_data(as_text=True)
    name_header = '<th scope="col" class="title-sm"><a href="/admin/users?sort=name&amp;page=1">'
    assert name_header + "Name</a> </th>" in html
    # on a phone each row is a card: the title cell heads it, the others carry their label
    assert '<table class="list"' in html
    assert '<td data-label="Name" class="title-sm"><a href="/admin/users/' in html
    assert '<td data-label="Email">' in html
    assert '<th scope="col">Roles</th>' in html
    assert '<th scope="col" class="hide-sm"><a href="/admin/users?sort=created' in html
    assert "Created</a> ▼</th>" in html
    assert '<span class="badge">Mentor</span>' in html
    assert '<span class="muted">Deactivated</span>' in html
    assert 'class="table-wrap"' in html and "2 items" in html and "Export CSV" in html
    assert '<select name="role" aria-label="Role">' in html
    assert '<input type="search" name="q" value="" placeholder="Name or email"' in html


def test_a_select_with_one_choice_is_not_shown(make_user: Any, login: Any) -> None:
    manager = login(make_user(Role.MANAGER, center="BIIC", locale="en"))
    admin = login(make_user(Role.ADMIN, locale="en"))
    assert 'name="center"' not in manager.get("/manage/programs").get_data(as_text=True)
    assert 'name="center"' in admin.get("/manage/programs").get_data(as_text=True)


def test_each_list_exports_its_csv(
    app: Any,
    make_user: Any,
    make_program: Any,
    make_application: Any,
    make_startup: Any,
    manager_of: Any,
    login: Any,
) -> None:
    from tests.reviews.test_views import assigned

    program = make_program(name="=Chương trình")
    application = make_application(
        Stage.SUBMITTED, program=program, startup=make_startup(name="@Khởi nghiệp")
    )
    mentor = make_user(Role.MENTOR, locale="en")
    assigned(app, application, mentor, manager_of("BIIC"))
    founder = english_founder(app, application, login)
    manager = login(make_user(Role.MANAGER, center="BIIC", locale="en"))
    cases = [
        (
            login(make_user(Role.ADMIN, locale="en")),
            "/admin/users",
            "users.csv",
            ["Name", "Email", "Roles", "Active"],
        ),
        (
            manager,
            "/manage/programs",
            "programs.csv",
            PROGRAM_HEADER,
        ),
        (app.test_client(), "/calls", "calls.csv", PROGRAM_HEADER),
        (founder, "/applications", "applications.csv", MINE_HEADER),
        (
            manager,
            f"/manage/programs/{program.id}/applications",
            f"program-{program.id}-applications.csv",
            RANKING_HEADER,
        ),
        (login(mentor), "/reviews", "reviews.csv", REVIEWS_HEADER),
    ]
    for client, path, filename, header in cases:
        response = client.get(f"{path}?format=csv", headers={"Accept-Language": "en"})
        assert response.status_code == 200, path
        assert filename in response.headers["Content-Disposition"]
        rows = _rows(response)
        assert rows[0] == header, path
        assert len(rows) > 1, path
        for row in rows[1:]:
            assert not any(cell.startswith(("=", "@")) for cell in row), (path, row)


PROGRAM_HEADER = [
    "Center",
    "Name (Vietnamese)",
    "Name (English)",
    "Kind",
    "Status",
    "Applications open",
    "Applications close",
    "Capacity",
]
MINE_HEADER = ["Startup", "Program", "Center", "Stage", "Submitted"]
RANKING_HEADER = [
    "Rank",
    "Startup",
    "Sector",
    "Stage",
    "Weighted mean",
    "Reviews",
    "Spread",
    "Submitted",
    # then one column per question of the call's form (here the default form)
    "Problem",
    "Solution",
    "Market",
    "Traction",
    "Team",
    "Funding need (VND)",
]
REVIEWS_HEADER = ["Startup", "Program", "Conflict of interest", "Assigned", "Scored"]


def english_founder(app: Any, application: Any, login: Any) -> Any:
    from incubator.db import db

    with app.app_context():
        founder = db.session.get(User, application.startup.members[0].user_id)
        founder.locale = "en"
        db.session.commit()
        return login(founder)
