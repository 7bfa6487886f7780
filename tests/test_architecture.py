"""The shape every domain follows (DESIGN section 5): dependencies run one way, in DOMAINS
order, and a new domain plugs in with one line in DOMAINS."""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from jinja2 import ChoiceLoader, DictLoader

from incubator import create_app, domains
from incubator.accounts.models import Role
from incubator.db import db
from incubator.domains import DOMAINS, MenuEntry, Panel, Section, contribute
from tests.conftest import _empty_tables

PACKAGE = Path(domains.__file__).parent

# (importing module, imported module): why the import runs against the order.
ALLOWED_UPWARD = {
    ("incubator.security", "incubator.accounts.models"): (
        "the user loader and the role checks every route declares need User and Role"
    ),
    ("incubator.cli", "incubator.accounts.models"): (
        "seed-demo only fills a database that has no users yet"
    ),
}


def _imports() -> Iterator[tuple[str, str, str | None]]:
    """(module, imported module, owning domain or None for the shared core) for every import."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts).removesuffix(".__init__")
        owner = parts[1] if len(parts) > 2 and parts[1] in DOMAINS else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            for target in targets:
                yield module, target, owner


def _domain_of(target: str) -> str | None:
    parts = target.split(".")
    return parts[1] if parts[0] == "incubator" and len(parts) > 1 and parts[1] in DOMAINS else None


def upward_imports() -> set[tuple[str, str]]:
    """Imports of a later domain by an earlier one, or of any domain by the shared core."""
    found = set()
    for module, target, owner in _imports():
        imported = _domain_of(target)
        if imported is None or imported == owner:
            continue
        if owner is None or DOMAINS.index(imported) > DOMAINS.index(owner):
            found.add((module, ".".join(target.split(".")[:3])))
    return found


def test_dependencies_run_one_way() -> None:
    unexpected = upward_imports() - set(ALLOWED_UPWARD)
    assert not unexpected, (
        "an import runs against DOMAINS order (connect to a signal in incubator/signals.py, "
        f"or add an entry with its reason to ALLOWED_UPWARD): {sorted(unexpected)}"
    )


def test_the_allowlist_is_short_and_still_needed() -> None:
    assert len(ALLOWED_UPWARD) <= 5
    assert set(ALLOWED_UPWARD) <= upward_imports(), "remove entries that no longer apply"


def test_the_check_sees_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import walk is not vacuous: a programs module importing reviews is caught."""
    offending = PACKAGE / "programs" / "_upward_probe.py"
    offending.write_text("from incubator.reviews.models import Review  # noqa\n", encoding="utf-8")
    try:
        assert ("incubator.programs._upward_probe", "incubator.reviews.models") in upward_imports()
    finally:
        offending.unlink()


def test_every_domain_is_a_package_with_init_app() -> None:
    for name in DOMAINS:
        module = __import__(f"incubator.{name}", fromlist=["init_app"])
        assert callable(module.init_app), name


# ----------------------------------------------------------- a toy domain


def _toy_domain() -> types.ModuleType:
    """What a new domain's package provides: init_app registering what it adds."""
    toy = types.ModuleType("incubator.toy")
    blueprint = Blueprint("toy", __name__)

    from incubator.security import public

    @blueprint.get("/toy")
    @public
    def index() -> str:
        return "toy page"

    def init_app(app: Flask) -> None:
        app.register_blueprint(blueprint)
        contribute(
            app,
            MenuEntry("Toy menu", "toy.index", order=99),
            Panel("toy/panel.html", lambda user: {"name": user.name}, order=99),
            Section("startups.detail", "toy/section.html", lambda user, s: {"s": s}, order=99),
        )
        app.jinja_env.loader = ChoiceLoader(
            [
                DictLoader(
                    {
                        "toy/panel.html": '<section class="panel" id="panel-toy">'
                        "Toy for {{ data.name }}</section>",
                        "toy/section.html": "<p id='toy-section'>Toy on {{ s.name }}</p>",
                    }
                ),
                app.jinja_env.loader,
            ]
        )
        assert Role.FOUNDER  # a domain may import any earlier one

    toy.init_app = init_app  # type: ignore[attr-defined]
    return toy


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with a toy domain added the way a real one is: one more name in DOMAINS."""
    monkeypatch.setitem(sys.modules, "incubator.toy", _toy_domain())
    monkeypatch.setattr(domains, "DOMAINS", (*DOMAINS, "toy"))
    app = create_app("testing", DATABASE_URL=database_url, UPLOAD_DIR=tmp_path)
    yield app
    _empty_tables(app)
    db.engine(app).dispose()


def test_a_new_domain_plugs_in_with_one_line_in_domains(
    make_startup: Any, make_user: Any, login: Any
) -> None:
    """Its route, menu entry, home panel and a section on another domain's page all appear."""
    founder = make_user(Role.FOUNDER, name="Toy Tester")
    startup = make_startup(founder, name="Toy Startup")
    client = login(founder)
    assert client.get("/toy").get_data(as_text=True) == "toy page"
    home = client.get("/").get_data(as_text=True)
    assert "Toy menu" in home and 'id="panel-toy"' in home and "Toy for Toy Tester" in home
    page = client.get(f"/startups/{startup.id}").get_data(as_text=True)
    assert "<p id='toy-section'>Toy on Toy Startup</p>" in page
