"""Cleaning on the real seed articles."""

from briefkit.corpus.clean import clean_text

from conftest import SEEDS


def _seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_boilerplate_is_removed_from_scraped_article():
    cleaned = clean_text(_seed("001"))
    for junk in ("Featured tools", "Similar Blogs", "Read more", "Join 80,000+", "Thank you! Your submission",
                 "Oops! Something went wrong", "Promote Your Tool", "Copy Embed Code", "Neuron AI", "Murf",
                 "BLP Digital", "Nuclidium"):
        assert junk not in cleaned, junk
    # the article itself and its attribution survive
    assert "A significant leadership change has unfolded at Alibaba Group" in cleaned
    assert "Source: TechCrunch" in cleaned
    assert "March 30, 2026" in cleaned


def test_body_repeated_twice_is_kept_once():
    raw = _seed("001")
    sentence = "Investors may interpret the move through two lenses"
    assert raw.count(sentence) == 2
    cleaned = clean_text(raw)
    assert cleaned.count(sentence) == 1
    assert len(cleaned) < 0.5 * len(raw)


def test_clean_articles_keep_their_content():
    for prefix in ("000", "002", "003"):
        raw = _seed(prefix)
        cleaned = clean_text(raw)
        assert len(cleaned) > 0.9 * len(" ".join(raw.split())) * 0.95
    assert "Related Coverage" not in clean_text(_seed("004"))


def test_menu_runs_and_framed_blurbs_are_dropped_but_headings_stay():
    text = "Big news today\n\nThe council approved the budget on Monday after a long debate.\n\nNav\nHome\nShop\n" \
           "Our partner sells shoes online at low prices.\nPrices\nFree\n\nThe mayor said the vote was close."
    cleaned = clean_text(text)
    assert "Home" not in cleaned and "partner sells shoes" not in cleaned
    assert cleaned.startswith("Big news today")
    assert "The mayor said the vote was close." in cleaned


def test_a_dateline_run_into_the_first_sentence_is_split_off():
    text = "date 2026-03-04 The research team lost its technical lead this week, colleagues said.\n\nMore follows here."
    assert clean_text(text).split("\n\n")[:2] == [
        "date 2026-03-04", "The research team lost its technical lead this week, colleagues said."]
    assert clean_text("March 30, 2026 — The company will keep releasing open models.").split("\n\n") == [
        "March 30, 2026", "The company will keep releasing open models."]
    # not prose after it
    assert clean_text("Posted on March 3, 2026 by the desk") == "Posted on March 3, 2026 by the desk"


def test_html_line_breaks_in_plain_text_end_paragraphs():
    assert clean_text("The bank failed on Friday.<br><br>Regulators stepped in on Sunday.") == (
        "The bank failed on Friday.\n\nRegulators stepped in on Sunday.")


def test_citation_markers_in_articles_are_removed():
    from briefkit.corpus.clean import clean_text

    text = "The company went bankrupt [1][2][3]. Results [4-6] and [7, 8] agree. In [2024] nothing changed."
    assert clean_text(text) == "The company went bankrupt. Results and agree. In [2024] nothing changed."
