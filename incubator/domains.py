"""The domains, in dependency order, and what each one contributes to the app.

A domain is a package `incubator/<name>/` whose `init_app(app)` registers its
blueprints, template globals, menu entries, home-page panels, sections of
other domains' pages, CLI commands and scheduled jobs (`Schedule`). `create_app`, the
model registry and the demo seed loop over `DOMAINS`; a domain imports only
the domains before it (tests/test_architecture.py), and reacts to later ones
through `incubator.signals`.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from types import ModuleType
from typing import Any

from flask import Flask, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

DOMAINS = (
    "centers",
    "accounts",
    "api",
    "site",
    "startups",
    "programs",
    "questions",
    "applications",
    "reviews",
    "mentoring",
    "fablab",
    "demodays",
    "reports",
)


def domain_modules(part: str) -> Iterator[ModuleType]:
    """`incubator.<domain>.<part>` of every domain that has one, in DOMAINS order."""
    for name in DOMAINS:
        module_name = f"incubator.{name}.{part}"
        if importlib.util.find_spec(module_name) is not None:
            yield importlib.import_module(module_name)


def init_domains(app: Flask) -> None:
    app.extensions["contributions"] = Contributions()
    app.jinja_env.globals.update(navigation=navigation, sections=render_sections)
    for name in DOMAINS:
        importlib.import_module(f"incubator.{name}").init_app(app)


# ------------------------------------------------------------ contributions


@dataclass(frozen=True)
class MenuEntry:
    """A link in the header menu; `roles` None means every visitor."""

    label: Any
    endpoint: str
    order: int
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class Panel:
    """A block of the home page. `build(user)` gives the template's context, or None to skip.

    `roles` None shows it to every logged-in user; `anonymous` panels are shown
    only to visitors who are not logged in.
    """

    template: str
    build: Callable[[Any], dict[str, Any] | None]
    order: int
    roles: frozenset[str] | None = None
    anonymous: bool = False


@dataclass(frozen=True)
class Section:
    """A block that a later domain adds to an earlier domain's page. `page` names a place
    on it: the page's endpoint, with a suffix for a second place ("startups.detail.wide").

    `build(user, obj)` gives the template's context, or None to skip.
    """

    page: str
    template: str
    build: Callable[[Any, Any], dict[str, Any] | None]
    order: int


@dataclass(frozen=True)
class Schedule:
    """Work that runs by itself every `every` (see incubator/scheduler.py).

    `job` is an import path ("incubator.<domain>.services:function") that takes no
    argument and is idempotent: it may run twice, or on two machines at once.
    """

    name: str
    job: str
    every: timedelta
    order: int = 0


Contribution = MenuEntry | Panel | Section | Schedule


@dataclass
class Contributions:
    menu: list[MenuEntry] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)

    def add(self, *items: Contribution) -> None:
        for item in items:
            target = {
                MenuEntry: self.menu,
                Panel: self.panels,
                Section: self.sections,
                Schedule: self.schedules,
            }[type(item)]
            target.append(item)
            target.sort(key=lambda entry: entry.order)


def contribute(app: Flask, *items: Contribution) -> None:
    app.extensions["contributions"].add(*items)


def _contributions() -> Contributions:
    return current_app.extensions["contributions"]


def _sees(user: Any, roles: frozenset[str] | None) -> bool:
    return roles is None or (user.is_authenticated and user.has_role(*roles))


@dataclass
class MenuItem:
    label: str
    url: str
    active: bool


def navigation() -> list[MenuItem]:
    """The header menu of the current user."""
    return [
        MenuItem(str(entry.label), url_for(entry.endpoint), request.endpoint == entry.endpoint)
        for entry in _contributions().menu
        if _sees(current_user, entry.roles)
    ]


def home_panels(user: Any) -> list[tuple[str, dict[str, Any]]]:
    """(template, context) of each home-page panel the user sees, in order."""
    shown = []
    for panel in _contributions().panels:
        if panel.anonymous != (not user.is_authenticated) or not _sees(user, panel.roles):
            continue
        context = panel.build(user)
        if context is not None:
            shown.append((panel.template, context))
    return shown


def render_sections(page: str, obj: Any) -> Markup:
    """The sections later domains add to `page` about `obj`, rendered in order."""
    parts = []
    for section in _contributions().sections:
        if section.page != page:
            continue
        context = section.build(current_user, obj)
        if context is not None:
            parts.append(render_template(section.template, **context))
    return Markup("\n".join(parts))  # noqa: S704 (rendered by Jinja with autoescape)
