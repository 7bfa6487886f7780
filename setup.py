"""The build steps that pyproject.toml cannot declare.

The checkout keeps its fixed layout (`templates/` and `migrations/` at the top level, next to
`incubator/`); the wheel carries both inside the package, under `incubator/_data/`, where
`incubator.DATA` finds them once installed. The Vietnamese catalog is compiled (`.mo`) at
build time with Babel; the `.po` stays the source and the `.mo` stays out of git.
An editable install (`make`) is left alone: it reads the checkout, and `make` compiles.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_DIRS = ("templates", "migrations")


def compile_catalogs(translations: Path) -> list[Path]:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(translations.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=True)  # as `make translations` (--use-fuzzy)
        written.append(mo)
    return written


class BuildPy(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "incubator"
        for name in DATA_DIRS:
            target = package / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(
                HERE / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        if not compile_catalogs(package / "translations"):
            raise RuntimeError("no catalog to compile under incubator/translations")


setup(cmdclass={"build_py": BuildPy})
