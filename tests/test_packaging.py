"""One artifact: the wheel built from a copy of the checkout runs outside it, in Vietnamese.

`python -m build` (sdist, then the wheel from the sdist) on a copy of the checkout's files
without any compiled catalog; the wheel is installed in a new virtualenv outside the checkout;
`init-db` makes a new SQLite database with production settings; the login page is in
Vietnamese and a progress report says "Trang 1 / 1". Slow (about 20 s): marked `packaging`,
run once in CI, on the SQLite pass.

To stay quick and offline, the new virtualenv gets the wheel alone (`--no-deps`) and reads
its dependencies from this test's virtualenv through a `.pth` line: a plain path, so the
checkout's editable install (a finder that `.pth` files of that directory would load) is
not seen, and the test checks that `incubator` and `config` come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging


def _copy_checkout(target: Path) -> None:
    """The files git would ship (tracked, or new and not ignored): no .venv, no .mo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file() or source.suffix == ".mo":
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


CLIENT = """
import incubator, config
from incubator import create_app
assert "site-packages" in incubator.__file__ and "site-packages" in config.__file__, (
    incubator.__file__, config.__file__)
app = create_app()
response = app.test_client().get("/login", headers={"Accept-Language": "vi"})
assert response.status_code == 200, response.status_code
print(response.get_data(as_text=True))
"""


def test_the_wheel_installs_and_serves_vietnamese(tmp_path: Path) -> None:
    source, dist, run = tmp_path / "source", tmp_path / "dist", tmp_path / "run"
    run.mkdir()
    _copy_checkout(source)
    assert not list(source.rglob("*.mo"))
    build_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        tmp_path,
        build_env,
    )

    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {Path(*Path(name).parts[1:]).as_posix() for name in archive.getnames()}
    assert {"templates/accounts/login.html", "migrations/env.py", "config.py"} <= names
    assert "incubator/translations/vi/LC_MESSAGES/messages.po" in names
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {
        "config.py",
        "incubator/_data/templates/pdf/report_startup.html",
        "incubator/_data/migrations/env.py",
        "incubator/_data/migrations/versions/0001_foundation.py",
        "incubator/translations/vi/LC_MESSAGES/messages.mo",
        "incubator/static/css/pdf.css",
    } <= names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, build_env)
    python = str(venv / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps"]
    _run([*pip, "--no-index", str(wheel)], tmp_path, build_env)
    purelib = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        tmp_path,
        build_env,
    )
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib.strip()) / "test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("INCUBATOR_", "TEST_", "FLASK_")) and key != "PYTHONPATH"
    }
    env.update(
        SECRET_KEY="packaging-test-" + "k" * 32,
        DATABASE_URL=f"sqlite:///{run / 'incubator.db'}",
        BASE_URL="https://incubator.example.vn",
        MAIL_BACKEND="log",
        PROXY_COUNT="1",
        INCUBATOR_INSTANCE=str(run / "instance"),
        SCHEDULER_ENABLED="0",
    )
    flask = [python, "-m", "flask", "--app", "incubator"]
    assert "latest schema" in _run([*flask, "init-db"], run, env)
    _run([*flask, "seed-demo", "--i-know-this-is-production"], run, env)  # a report to print
    report = run / "report.pdf"
    _run([*flask, "report", "startup", "1", "--lang", "vi", "-o", str(report)], run, env)

    page = _run([python, "-c", CLIENT], run, env)
    assert "Đăng nhập" in page
    from pypdf import PdfReader

    text = "".join(sheet.extract_text() for sheet in PdfReader(report).pages)
    assert "Trang 1 / " in text
    assert "Báo cáo tiến độ" in text
