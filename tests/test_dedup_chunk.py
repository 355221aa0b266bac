"""Deduplication and chunking invariants."""

import pytest

from briefkit.corpus.chunk import chunk_text
from briefkit.text.sentences import split_sentences
from briefkit.corpus.dedup import NearDuplicateIndex, content_hash, minhash_signature

from conftest import SEEDS


def words_counter(texts):
    return [len(t.split()) for t in texts]


def test_content_hash_ignores_case_and_spacing():
    assert content_hash("Hello   World\n") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello world!")


def test_near_duplicates_are_found_and_distinct_texts_are_not():
    base = next(SEEDS.glob("003_*.txt")).read_text(encoding="utf-8")
    edited = base.replace("Lin joined Alibaba in 2019", "Lin had joined Alibaba back in 2019") + " Syndicated."
    other = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    index = NearDuplicateIndex(threshold=0.85)
    index.add("base", minhash_signature(base))
    index.add("other", minhash_signature(other))
    assert index.find(minhash_signature(edited)) == "base"
    assert index.find(minhash_signature("A completely different story about tidal power and harbours.")) is None
    assert index.find(minhash_signature(base), exclude={"base"}) is None
    index.remove("base")
    assert index.find(minhash_signature(edited)) is None


TEXT = (
    "Alibaba released Qwen3.5 Small in March. It has four sizes! Is it good? Analysts think so.\n\n"
    "A new paragraph starts here without a full stop\n\n"
    + "This sentence is deliberately long " * 40 + ".\n\nThe end."
)


def test_sentences_are_trimmed_spans():
    spans = split_sentences(TEXT)
    assert [TEXT[s:e] for s, e in spans[:4]] == [
        "Alibaba released Qwen3.5 Small in March.", "It has four sizes!", "Is it good?", "Analysts think so."]
    assert TEXT[spans[4][0]:spans[4][1]] == "A new paragraph starts here without a full stop"


def test_markdown_marks_do_not_glue_sentences():
    """An advert or heading set off by markdown marks is its own sentence, not the tail of the fact before it;
    a bold run that the sentence goes on from, and a hashtag, stay inside it."""
    text = "Banks might pool risk. **Special Offer:** Upgrade your plan today!** The Fed kept rates low."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Banks might pool risk.", "**Special Offer:** Upgrade your plan today!", "The Fed kept rates low."]
    for text, second in [("Rates rose. **ADVERTISEMENT** The crisis spread fast.", "**ADVERTISEMENT** The crisis"),
                         ("Rates rose. *** Founded in 1900, the bank grew.", "*** Founded in 1900, the ban"),
                         ("Rates rose. ### As the industry recovers, banks lend.", "### As the industry recovers")]:
        spans = split_sentences(text)
        assert len(spans) == 2 and text[spans[1][0]:spans[1][0] + 28] == second
    for whole in ("Revenue rose 5%. **Net income** fell 3% in the quarter.", "It spread. #MeToo trended for days."):
        assert len(split_sentences(whole)) == 1


@pytest.mark.parametrize("budget,overlap", [(12, 0), (20, 6), (50, 10), (400, 40)])
def test_chunks_respect_budget_and_map_back(budget, overlap):
    chunks = chunk_text(TEXT, words_counter, budget, overlap)
    assert chunks
    for c in chunks:
        assert TEXT[c.start:c.end] == c.text
        assert c.n_tokens <= budget
    # every sentence's characters are covered by some chunk, and chunks advance
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    for s, e in split_sentences(TEXT):  # split sentences may leave gaps only at whitespace
        assert {i for i in range(s, e) if not TEXT[i].isspace()} <= covered
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_overlap_repeats_trailing_sentences():
    text = " ".join(f"Sentence number {i} is here." for i in range(20))
    chunks = chunk_text(text, words_counter, budget=15, overlap=5)
    assert len(chunks) > 2
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # the next chunk begins inside the previous one


def test_chunking_with_the_real_embedder_tokenizer(sample_ws):
    text = next(SEEDS.glob("002_*.txt")).read_text(encoding="utf-8")
    count = sample_ws.embedder.count_tokens
    chunks = chunk_text(text, count, budget=128, overlap=20)
    assert len(chunks) > 10
    assert all(count([c.text])[0] <= 128 for c in chunks)
