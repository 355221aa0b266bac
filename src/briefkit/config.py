"""Run profiles: TOML files loaded into pydantic models that reject unknown keys.

Every field has a built-in default, so a profile only lists what it changes. CLI flags
override a loaded profile through :meth:`Settings.with_overrides`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import BadInput


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorpusSettings(_Strict):
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are refused.")
    chunk_tokens: int = Field(200, ge=16, description="Token budget of a chunk (embedder tokenizer).")
    overlap_tokens: int = Field(40, ge=0, description="Tokens of trailing sentences repeated in the next chunk.")
    near_duplicate_threshold: float = Field(0.85, gt=0, le=1, description="MinHash Jaccard for near-duplicates.")
    min_chars: int = Field(40, ge=1, description="Documents shorter than this after cleaning are refused.")


class IndexSettings(_Strict):
    embedder: str = "all-MiniLM-L6-v2"
    # onnx-int8: 2.6-4.7x faster ingest than torch at the same retrieval precision (BENCHMARKS.md)
    embedder_backend: Literal["torch", "onnx", "onnx-int8"] = "onnx-int8"
    batch_size: int = Field(64, ge=1)
    commit_chunks: int = Field(2048, ge=1, description="Embedded chunks saved at a time: an interrupted ingest"
                               " resumes from the last save.")
    kind: Literal["auto", "flat", "ivf", "ivfpq"] = "auto"
    ivf_min_vectors: int = Field(50_000, ge=1000, description="`auto` switches to IVF at this many chunks.")
    nprobe: int = Field(16, ge=1)
    pq_m: int = Field(48, ge=1, description="Bytes a vector in an ivfpq index (must divide the dimension).")
    device: str | None = None
    sentence_vectors: bool = Field(True, description="Ingest also embeds every new sentence into the vector cache, so"
                                   " that a summary's corroboration search finds them embedded (ingest about 1.8x as"
                                   " long; every summary after it about 1.3 s faster on a 100-article topic).")


class RetrievalSettings(_Strict):
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    k: int = Field(8, ge=1, le=200)
    candidates: int = Field(50, ge=1, description="Hits taken from each retriever before fusion.")
    rrf_k: int = Field(60, ge=1)
    mmr: bool = False
    mmr_lambda: float = Field(0.7, ge=0, le=1)
    mmr_by: Literal["cosine", "ranking", "both"] = Field(
        "cosine", description="What a diversified search (and a summary's retrieval) ranks by: the dense cosine to the"
        " query, the search's own ranking (hybrid: the fused dense + BM25 one), or both (half the passages by"
        " each, taken in turn).")


class GenerationSettings(_Strict):
    model: str = "auto"
    backend: str = "auto"  # auto | transformers | llamacpp | openai
    device: str = "auto"
    dtype: str = "auto"
    threads: int | None = None
    max_new_tokens: int = Field(256, ge=1)
    temperature: float = Field(0.0, ge=0)
    seed: int = 0
    repetition_penalty: float = Field(1.15, ge=1.0, description="Above 1 discourages loops in small models.")
    cache: bool = True
    base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1.")
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = Field(120.0, gt=0)
    retries: int = Field(3, ge=0)
    concurrency: int = Field(4, ge=1, description="Parallel requests to a server backend.")
    context_tokens: int = Field(8192, ge=256, description="Context window of a server model (openai backend).")


CheckRewrites = Literal["auto", "on", "off"]  # whether the model checks its own wording (attribution.model_check)


class SummariseSettings(_Strict):
    strategy: Literal["auto", "stuff", "map-reduce", "extractive"] = "auto"
    k: int = Field(16, ge=1, le=100, description="Passages retrieved for a summary (the relevance floor drops"
                   " off-topic ones).")
    context_tokens: int = Field(1536, ge=256, description="Prompt budget for passages in one call.")
    min_support: float = Field(0.5, ge=0, le=1, description="Support score below which a sentence is not shown.")
    min_relevance: float = Field(0.2, ge=-1, le=1, description="Dense score below which a passage is off-topic.")
    max_bullets: int = Field(6, ge=1)
    max_citations: int = Field(5, ge=1, description="Most documents a bullet cites (its best-matching ones).")
    group_threshold: float = Field(0.7, gt=0, le=1, description="Cosine at which sentences state the same fact.")
    support_k: int = Field(10, ge=0, description="Passages searched with each candidate bullet's sentence for other "
                           "documents stating it: they raise its score (0: off).")
    citation_k: int = Field(60, ge=0, description="Passages searched with each chosen bullet's sentence for the "
                            "documents that state it, its citations (not above support_k: that search's passages "
                            "serve).")
    scorer: Literal["auto", "learned", "cosine"] = Field("auto", description="Support scorer of the verifier.")
    selector: Literal["learned", "hand", "judged"] = Field(
        "hand", description="Content selection: the hand-weighted sum; the learned model; or the hand-weighted sum"
        " (less of the embedding's salience) plus the generation model's probability that each candidate answers the"
        " topic (needs a model of about 1B or more; eval/SELECTOR.md).")
    check_rewrites: CheckRewrites = Field(
        "auto", description="The model asked whether the sources state all it wrote (a rewrite, a drafted bullet, an"
        " answer), the source quoted where it doubts (auto: models known to have 1B parameters or more).")
    judge_pool: int = Field(40, ge=1, description="judged: candidate groups put to the model (the best by the"
                            " hand-weighted score); the others are not chosen.")
    selector_weights: str | None = Field(None, description="A selector weights JSON replacing the shipped one.")
    max_words: int | None = Field(None, ge=1, description="Most words in all bullets' lead sentences (none: no cap).")
    sentences_per_passage: int = Field(3, ge=0,
                                       description="stuff/map-reduce: topic sentences kept per passage (0: whole).")
    prompts_dir: str | None = Field(None, description="Folder of prompt files overriding the shipped ones.")


class AskSettings(_Strict):
    k: int = Field(8, ge=1, le=50)
    min_relevance: float = Field(0.5, ge=-1, le=1, description="Answer score (0.6 dense + 0.4 lexical) an evidence"
                                 " sentence needs, else abstain (calibrated on eval/sample_questions.jsonl).")
    min_hop_relevance: float = Field(0.2, ge=-1, le=1, description="Answer score the best sentence of each hop of"
                                     " a multi-source question needs, else abstain naming the hop.")
    min_claim_support: float = Field(0.4, ge=0, le=1, description="Mean support (expected points) the hops' evidence"
                                     " gives their claims for a yes (when no model of 0.5B+ parameters judges"
                                     " them).")
    max_question_chars: int = Field(1000, ge=10)


class Settings(_Strict):
    home: Path | None = None
    corpus: CorpusSettings = CorpusSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    generation: GenerationSettings = GenerationSettings()
    summarise: SummariseSettings = SummariseSettings()
    ask: AskSettings = AskSettings()

    def resolved_home(self) -> Path:
        """``home`` if set, else ``$BRIEFKIT_HOME``, else ``./.briefkit``."""
        if self.home is not None:
            return Path(self.home)
        return Path(os.environ.get("BRIEFKIT_HOME", ".briefkit"))

    def with_overrides(self, **sections: dict[str, Any]) -> "Settings":
        """A copy with ``section={field: value}`` overrides; ``None`` values are ignored."""
        data = self.model_dump()
        for section, values in sections.items():
            if section == "home":
                if values is not None:
                    data["home"] = values
                continue
            data[section].update({k: v for k, v in values.items() if v is not None})
        return _validate(data, "command-line options")


def _validate(data: dict[str, Any], origin: str, text: str | None = None) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        line = _line_of(text, [str(p) for p in first["loc"]]) if text is not None else None
        at = f", line {line}" if line else ""
        if first["type"] == "extra_forbidden":
            raise BadInput(f"{origin}{at}: unknown key {where}; configs/default.toml lists every key") from None
        raise BadInput(f"{origin}{at}: {where}: {first['msg']}") from None


def _line_of(text: str, loc: list[str]) -> int | None:
    """The 1-based line of TOML ``text`` that sets the key at ``loc`` (``[section]`` then ``key = ...``)."""
    section, key = (loc[0], loc[1]) if len(loc) > 1 else (None, loc[0])
    current = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[] ").strip()
            if section is not None and current == key and len(loc) == 1:
                return number
            continue
        name = line.split("=", 1)[0].strip().strip('"') if "=" in line and not line.startswith("#") else None
        if name == key and current == section:
            return number
    return None


def load_settings(path: Path | None = None) -> Settings:
    """Load a TOML profile (or the built-in defaults when ``path`` is None); errors name the file and line."""
    if path is None:
        return Settings()
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (FileNotFoundError, IsADirectoryError):
        raise BadInput(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"config file {path} is not valid TOML: {exc}") from None
    return _validate(data, f"config {path}", text)
