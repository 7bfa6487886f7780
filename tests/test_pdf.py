"""The shared PDF rules: the vendored font only, exact Vietnamese, a fetcher that serves
the package's static files and nothing else, plain values into print templates."""

from __future__ import annotations

import http.server
import io
import threading
from dataclasses import dataclass
from typing import ClassVar

import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from incubator.pdf import (
    STATIC_BASE,
    RefusedURL,
    page_frame,
    refuse_orm_objects,
    render_pdf,
    render_template_pdf,
    static_path,
)

VIETNAMESE = "Trung tâm Đổi mới Sáng tạo Bình Dương – Nguyễn Thị Hồng Nhung, ươm tạo ổn định"


def text_and_fonts(pdf: bytes) -> tuple[str, set[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    # extraction breaks lines where the layout did; the words are what counts
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return text, fonts


def test_vietnamese_comes_out_exactly_in_the_vendored_font_only(ctx):
    decomposed = "Nguye\u0302\u0303n"  # NFD "Nguyễn", as some keyboards send it
    html = render_template_pdf(
        "_sample.html",
        heading=VIETNAMESE,
        body=decomposed,
        **page_frame("BIIC – Bình Dương", "Báo cáo"),
    )
    text, fonts = text_and_fonts(html)
    assert VIETNAMESE in text
    assert "Nguyễn" in text
    assert "Bình Dương" in text  # the running header
    assert fonts and all(name.startswith("Be-Vietnam-Pro") for name in fonts), fonts


def test_the_footer_reads_trang_x_of_y_in_vietnamese_and_page_in_english(ctx):
    for locale, footer, generated in (
        ("vi", "Trang 1 / 1", "Tạo lúc"),
        ("en", "Page 1 / 1", "Generated"),
    ):
        with force_locale(locale):
            frame = page_frame("BIIC", "T")
            text, _ = text_and_fonts(
                render_template_pdf("_sample.html", heading="A", body="B", **frame)
            )
        assert footer in text and generated in text
        assert frame["lang"] == locale


class CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self):
        CountingHandler.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/svg+xml")
        self.end_headers()
        self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')

    def log_message(self, *args):
        pass


@pytest.fixture
def outside_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), CountingHandler)
    CountingHandler.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_hostile_urls_in_user_text_read_no_file_and_make_no_request(ctx, outside_server):
    html = (
        '<link rel="stylesheet" href="css/pdf.css">'
        '<p>before</p><img src="file:///etc/passwd">'
        f'<img src="{outside_server}/tracker.svg">'
        f'<link rel="stylesheet" href="{outside_server}/evil.css">'
        f'<img src="{STATIC_BASE}../../../../etc/passwd"><p>after</p>'
    )
    text, _ = text_and_fonts(render_pdf(html))
    assert "before" in text and "after" in text
    assert "root:" not in text
    assert CountingHandler.hits == []


def test_the_fetcher_serves_static_files_and_refuses_the_rest():
    assert static_path(f"{STATIC_BASE}css/pdf.css").name == "pdf.css"
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/x.png",
        f"{STATIC_BASE}../incubator/pdf.py",
        f"{STATIC_BASE}%2e%2e/%2e%2e/config.py",
        f"{STATIC_BASE}js/app.js",  # a type that a PDF never needs
        f"{STATIC_BASE}css/missing.css",
    ):
        with pytest.raises(RefusedURL):
            static_path(url)


def test_the_pdf_carries_no_javascript_and_no_attachments(ctx):
    pdf = render_pdf('<p>x</p><script>alert(1)</script><a href="javascript:alert(1)">y</a>')
    reader = PdfReader(io.BytesIO(pdf))
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})


@dataclass
class Row:
    name: str
    startup: object


def test_print_templates_refuse_orm_objects(ctx, make_user):
    user = make_user()
    refuse_orm_objects({"rows": [Row("a", {"name": "b"})], "n": 1})
    with pytest.raises(TypeError, match="ORM object"):
        refuse_orm_objects({"rows": [Row("a", user)]})
