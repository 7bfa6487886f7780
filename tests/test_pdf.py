"""The shared PDF rules: the vendored font only, exact Vietnamese, a fetcher that serves
the package's static files and nothing else, plain values into print templates."""

from __future__ import annotations

import http.server
import io
import threading
import tracemalloc
from dataclasses import dataclass
from typing import ClassVar

import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from incubator import pdf
from incubator.pdf import (
    CHUNK_LINK,
    STATIC_BASE,
    RefusedURL,
    merge_chunks,
    number_pages_file,
    numbering_ranges,
    page_frame,
    refuse_orm_objects,
    render_pdf,
    render_pdf_file,
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


# ------------------------------------------------------------ merging chunks

SECTION_NAMES = ["Công nghệ Sông Bé", "Đồng Xoài AgriTech", "Nông Trại Số Thủ Dầu Một"]
CHUNK_HEAD = (
    "<html lang=vi><style>@font-face { font-family: 'Be Vietnam Pro';"
    " src: url(fonts/be-vietnam-pro/ttf/BeVietnamPro-Regular.ttf) format('truetype'); }"
    "html { font-family: 'Be Vietnam Pro' } .page { break-after: page }</style>"
)


@pytest.fixture(scope="module")
def chunk_files(tmp_path_factory) -> dict[str, tuple[str, int]]:
    """A contents chunk linking to chunks 1..3 and a section chunk of three pages, with an
    image and an internal link, as render.py writes them."""
    folder = tmp_path_factory.mktemp("chunks")
    contents = "".join(
        f'<p><a href="{CHUNK_LINK}{index}">{name}</a></p>'
        for index, name in enumerate(SECTION_NAMES, start=1)
    )
    section = (
        '<p><a href="#last">Xem trang cuối</a></p><img src="favicon.svg" width="40">'
        + "".join(f'<p class="page">{VIETNAMESE} – trang {n}</p>' for n in (1, 2))
        + f'<p id="last">{VIETNAMESE} – hết</p>'
    )
    files = {}
    for name, html in (("contents", contents), ("section", section)):
        path = str(folder / f"{name}.pdf")
        files[name] = (path, render_pdf_file(CHUNK_HEAD + html, path))
    return files


def numbers_for(total: int, folder) -> list[str]:
    return [
        number_pages_file(first, last, total, "Trang", str(folder / f"numbers-{first}.pdf"))
        for first, last in numbering_ranges(total)
    ]


def test_merged_chunks_number_every_page_and_link_the_contents(chunk_files, tmp_path):
    contents, section = chunk_files["contents"], chunk_files["section"]
    chunks = [contents, section, section, section]
    total = sum(pages for _path, pages in chunks)
    out = tmp_path / "merged.pdf"
    title = "Báo cáo khóa ươm tạo: Chương trình Ươm tạo 2026"
    outline = [(name, index) for index, name in enumerate(SECTION_NAMES, start=1)]
    numbers = numbers_for(total, tmp_path)

    assert merge_chunks(chunks, str(out), "Trang", outline, title, numbers) == total

    reader = PdfReader(str(out), strict=True)
    assert len(reader.pages) == total
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    for number, text in enumerate(texts, start=1):
        assert f"Trang {number} / {total}" in text, (number, text)
    assert sum(VIETNAMESE in text for text in texts) == 3 * 3
    starts = [contents[1] + n * section[1] for n in range(3)]
    page_index = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    links = [a.get_object() for a in reader.pages[0]["/Annots"]]
    targets = sorted({page_index[link["/A"]["/D"][0].idnum] for link in links})
    assert targets == starts
    assert all(link["/A"]["/S"] == "/GoTo" for link in links)
    # a section's own link to its last page lands there, in its own copy of the section
    for start in starts:
        (link,) = [a.get_object() for a in reader.pages[start]["/Annots"]]
        destination = link["/Dest"]
        if isinstance(destination, str):  # a named destination
            target = reader.get_destination_page_number(reader.named_destinations[destination])
        else:
            target = page_index[destination[0].idnum]
        assert target == start + section[1] - 1
    assert [item.title for item in reader.outline] == SECTION_NAMES
    assert [reader.get_destination_page_number(item) for item in reader.outline] == starts
    assert reader.metadata.title == title
    assert reader.trailer["/Root"]["/Lang"] == "vi"


def test_merging_holds_one_chunk_in_memory_whatever_the_number_of_chunks(
    chunk_files, tmp_path, monkeypatch
):
    # numbers documents as short as chunks, so that both merges hold the same amount of them
    monkeypatch.setattr(pdf, "NUMBERS_PER_DOCUMENT", 10)
    contents, section = chunk_files["contents"], chunk_files["section"]

    def peak(copies: int) -> int:
        chunks = [contents] + [section] * copies
        total = sum(pages for _path, pages in chunks)
        numbers = numbers_for(total, tmp_path)
        tracemalloc.start()
        try:
            merge_chunks(chunks, str(tmp_path / f"merged-{copies}.pdf"), "Trang", numbers=numbers)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(8), peak(32)
    assert large < 1.5 * small, (small, large)


def test_merging_without_numbers_files_makes_them(chunk_files, tmp_path):
    chunks = [chunk_files["contents"]] + [chunk_files["section"]] * 3
    out = tmp_path / "merged.pdf"
    total = merge_chunks(chunks, str(out), "Page")
    texts = [" ".join(page.extract_text().split()) for page in PdfReader(str(out)).pages]
    assert len(texts) == total == sum(pages for _path, pages in chunks)
    assert all(f"Page {n} / {total}" in text for n, text in enumerate(texts, start=1))


def test_a_chunk_whose_pages_are_miscounted_is_refused(chunk_files, tmp_path):
    path, pages = chunk_files["section"]
    with pytest.raises(ValueError, match="pages"):
        merge_chunks([(path, pages + 1)], str(tmp_path / "merged.pdf"), "Trang")
