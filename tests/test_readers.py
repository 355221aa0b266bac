"""Readers and bad input: every problem is reported per file or line, the rest is read."""

import json

import pytest

from briefkit.corpus.readers import ReadError, decode_bytes, read_file
from briefkit.text.dates import normalise_date

MB = 1_000_000


WESTERN = "São Paulo: Hélène Müller paid 5 € at the café. "
CENTRAL = "Zażółć gęślą jaźń: Łódź, Kraków. "
CZECH = "Příliš žluťoučký kůň úpěl ďábelské ódy v Brně. "


@pytest.mark.parametrize("text,encoding", [
    (WESTERN.replace("€", "EUR"), "latin-1"),  # short: one sentence
    (WESTERN, "cp1252"),
    (WESTERN.replace("€", "EUR") * 40, "latin-1"),  # long: many lines' worth
    (WESTERN * 40, "cp1252"),
    (CENTRAL, "cp1250"),
    (CENTRAL * 40, "cp1250"),
    (CZECH * 30, "cp1250"),
    (WESTERN, "utf-16"),  # Python writes a byte-order mark
    (CENTRAL * 40, "utf-16"),
    (WESTERN * 40, "utf-8-sig"),
])
def test_legacy_and_bom_encodings_decode_exactly(tmp_path, text, encoding):
    path = tmp_path / "note.txt"
    path.write_bytes(text.encode(encoding))
    outcome = read_file(path, MB)
    assert not outcome.failures
    assert outcome.articles[0].text == text  # "São" stays São (not Săo), "Hélène" stays Hélène (not Hélčne)


@pytest.mark.parametrize("name,data,needle", [
    ("empty.txt", b"", "empty"),
    ("binary.txt", bytes(range(256)) * 40, "binary"),
    ("huge.txt", b"word " * 300_000, "limit"),
    ("image.png", b"\x89PNG....", "unsupported"),
])
def test_bad_files_fail_with_one_line(tmp_path, name, data, needle):
    path = tmp_path / name
    path.write_bytes(data)
    outcome = read_file(path, MB)
    assert outcome.articles == []
    (where, error), = outcome.failures
    assert needle in error and "\n" not in error


def test_jsonl_reports_bad_lines_and_keeps_good_ones(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": "First article text.", "title": "One", "date": "2026-03-01", "source": "X"}),
        "{not json",
        json.dumps({"id": "a2", "title": "no text"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "a3", "text": "Third.", "date": "yesterday-ish"}),
        json.dumps({"text": "Fourth article, no id.", "date": "March 4, 2026", "extra_field": 1}),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    outcome = read_file(path, MB)
    assert [a.id for a in outcome.articles] == ["a1", None]
    assert outcome.articles[1].date == "2026-03-04"
    assert outcome.articles[1].extra == {"extra_field": 1}
    failed_lines = [w.rsplit(":", 1)[1] for w, _ in outcome.failures]
    assert failed_lines == ["2", "3", "4", "5"]
    assert "malformed JSON" in outcome.failures[0][1]


def test_html_main_content_is_extracted(tmp_path):
    body = " ".join(["Alibaba said the Qwen team will keep releasing open-weight models this year."] * 6)
    html = f"""<html><head><title>Qwen news</title></head><body>
    <nav><a href='/'>Home</a> <a href='/shop'>Shop</a> <a href='/about'>About us</a></nav>
    <article><h1>Qwen keeps shipping</h1><p>{body}</p><p>{body}</p></article>
    <footer>Subscribe to our newsletter. Copyright 2026 Example Media.</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html, encoding="utf-8")
    outcome = read_file(path, MB)
    assert not outcome.failures
    article = outcome.articles[0]
    assert "open-weight models" in article.text
    assert "Copyright 2026" not in article.text and "About us" not in article.text


def test_pdf_text_is_read(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Qwen3.5 Small comes in four sizes. The smallest has about 0.8 billion parameters.")
    path = tmp_path / "doc.pdf"
    pdf.output(str(path))
    outcome = read_file(path, MB)
    assert not outcome.failures
    assert "0.8 billion parameters" in outcome.articles[0].text


def test_corrupt_pdf_fails_cleanly(tmp_path):
    path = tmp_path / "bad.pdf"
    path.write_bytes(b"%PDF-1.4 garbage garbage")
    outcome = read_file(path, MB)
    assert outcome.articles == [] and len(outcome.failures) == 1


def test_decode_rejects_nul_bytes():
    with pytest.raises(ReadError):
        decode_bytes(b"abc\x00def")


def test_normalise_date_spellings():
    assert normalise_date("March 3, 2026") == "2026-03-03"
    assert normalise_date("4 March 2026") == "2026-03-04"
    assert normalise_date("2026-03-20T10:00:00") == "2026-03-20"
    assert normalise_date("soon") is None


def test_markdown_front_matter_sets_title_date_source_and_is_not_body(tmp_path):
    path = tmp_path / "posts" / "tidal.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: \"Tidal pilot goes live\"\ndate: 2026-03-05\nsource: Harbour Herald\n"
                    "url: https://example.org/tidal\ntags:\n  - energy\n---\n# A heading\n\n"
                    "Three tidal turbines can power 1,200 homes, engineers said.\n", encoding="utf-8")
    article = read_file(path, MB).articles[0]
    assert (article.title, article.date, article.source, article.url) == \
        ("Tidal pilot goes live", "2026-03-05", "Harbour Herald", "https://example.org/tidal")
    assert "title:" not in article.text and "---" not in article.text and "energy" not in article.text
    assert article.text.lstrip().startswith("A heading")


@pytest.mark.parametrize("name,body,title", [
    ("notes.md", "Intro words first.\n\n## The real heading\n\nBody text follows here.", "The real heading"),
    ("plain.md", "Just a paragraph of body text without any heading at all.", "plain"),
    ("report.txt", "Tidal pilot results\n\nThe turbines ran for a week without trouble.", "Tidal pilot results"),
    ("one-line.txt", "Rovers won the league title on the final day with a win away.", "one-line"),
])
def test_title_is_front_matter_then_heading_then_file_name(tmp_path, name, body, title):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    assert read_file(path, MB).articles[0].title == title


def test_pdf_title_and_date_come_from_metadata(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    from datetime import datetime

    pdf = fpdf.FPDF()
    pdf.set_title("Qwen3.5 Small briefing")
    pdf.set_creation_date(datetime(2026, 3, 2, 9, 30))
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Qwen3.5 Small comes in four sizes. The smallest has about 0.8 billion parameters.")
    path = tmp_path / "doc.pdf"
    pdf.output(str(path))
    article = read_file(path, MB).articles[0]
    assert (article.title, article.date, article.warning) == ("Qwen3.5 Small briefing", "2026-03-02", None)


def test_pdf_warnings_become_one_line_per_file(tmp_path, capsys):
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Qwen3.5 Small comes in four sizes. The smallest has about 0.8 billion parameters.")
    data = bytes(pdf.output())
    start = data.rindex(b"startxref")
    broken = data[:start] + b"startxref\n999999\n%%EOF\n"  # a wrong xref offset: pypdf warns and recovers
    path = tmp_path / "odd.pdf"
    path.write_bytes(broken)
    outcome = read_file(path, MB)
    article = outcome.articles[0]
    assert "0.8 billion" in article.text
    assert article.warning.startswith("pypdf: ") and "\n" not in article.warning
    assert capsys.readouterr().err == ""  # nothing leaked to the terminal
