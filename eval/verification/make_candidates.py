"""Collect model rewrites for the verification set: real groups, the pipeline's own fuse prompt.

    .venv/bin/python eval/verification/make_candidates.py CORPUS --out FILE.jsonl [--model MODEL]
        [--backend auto|llamacpp] [--home DIR] [--max-bullets N] [--topics N]
    # the set's runs: SmolLM2 (the default model) on every corpus; Qwen on seeds and sample, and
    # with --topics 4 on SummHay, as --backend llamacpp
    #   --model ~/.cache/briefkit/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf

CORPUS is ``seeds``, ``sample``, ``summhay-news1`` or ``summhay-news2``. The corpus is ingested
into a workspace (``--home``, kept between runs), then ``summarise`` runs for each topic (the
seed and sample fact-set queries, or the SummHay subtopic queries) with the model; the
verifier step is wrapped to record each group's fused evidence sentences and the model's
sentence, whatever the verdict. Each evidence sentence is located in the raw source text
(whitespace-normalised search) and stored as a span; a group with a sentence that cannot be
located is dropped. Output lines: {"corpus", "topic", "model", "evidence": [{"corpus", "doc",
"start", "end"}], "candidate", "verdict"} (the verdict of the verifier of the day, for
reference only). Labels are given by hand afterwards (see README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from briefkit.evaluation.verification_set import corpus_path, corpus_texts, locate  # noqa: E402

SEED_TOPICS = ["Qwen team leadership changes", "Qwen3.5 model releases", "Alibaba AI strategy, results and adoption",
               "Qwen adoption figures", "Alibaba AI strategy and financial results", "Alibaba AI task force",
               "Qwen open-weight models downloads and derivatives", "Alibaba cloud revenue and investment"]


def topics(corpus: str) -> list[str]:
    if corpus in ("seeds", "sample"):
        return SEED_TOPICS
    data = json.loads(corpus_path(corpus).read_text(encoding="utf-8"))
    return [s["query"] for s in data["subtopics"]]


def ingest(ws, corpus: str, home: Path) -> None:
    from briefkit.resources import sample_corpus_path

    if ws.store.counts()[0]:
        return
    if corpus == "seeds":
        ws.ingest([corpus_path(corpus)])
    elif corpus == "sample":
        ws.ingest([sample_corpus_path()])
    else:  # SummHay documents as JSONL, their ids kept as doc ids
        out = home / f"{corpus}.jsonl"
        with out.open("w", encoding="utf-8") as fh:
            for doc_id, text in corpus_texts(corpus).items():
                fh.write(json.dumps({"id": doc_id, "text": text}) + "\n")
        ws.ingest([out])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--home", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--max-bullets", type=int, default=8)
    ap.add_argument("--topics", type=int, default=0, help="only the first N topics (0: all)")
    args = ap.parse_args()

    import briefkit.briefs.strategies.attributed as pipeline
    from briefkit.briefs.summarise import summarise
    from briefkit.config import Settings
    from briefkit.workspace import Workspace

    home = args.home or Path(f"/tmp/briefkit-vs-{args.corpus}")
    settings = Settings().with_overrides(home=home, generation={"backend": args.backend})
    ws = Workspace(settings)
    ingest(ws, args.corpus, home)
    raw = corpus_texts(args.corpus)
    paths = {d["doc_id"]: Path(d["path"]).name for d in ws.store.list_documents() if d.get("path")}

    captured: list[tuple[list[str], str, list[str], str]] = []
    original = pipeline._verify_rewrites

    def recording(groups, sentences, verifier):
        bullets = original(groups, sentences, verifier)
        for g, s, b in zip(groups, sentences, bullets):
            docs = [m.evidence.doc_id for m in g.members[:pipeline.FUSE_SENTENCES]]
            captured.append((pipeline._fused(g), s, docs, b.origin))
        return bullets

    pipeline._verify_rewrites = recording
    seen: set[tuple] = set()
    kept = dropped = 0
    with args.out.open("a", encoding="utf-8") as fh:
        for topic in topics(args.corpus)[: args.topics or None]:
            captured.clear()
            summarise(ws, topic, model=args.model, max_bullets=args.max_bullets)
            for evidence, sentence, docs, origin in captured:
                refs = []
                for text, doc_id in zip(evidence, docs):
                    doc = paths.get(doc_id, doc_id) if args.corpus == "seeds" else doc_id
                    span = locate(text, raw[doc]) if doc in raw else None
                    if span is None:
                        break
                    refs.append({"corpus": args.corpus, "doc": doc, "start": span[0], "end": span[1]})
                key = (tuple((r["doc"], r["start"]) for r in refs), sentence)
                if len(refs) < len(evidence) or key in seen:
                    dropped += len(refs) < len(evidence)
                    continue
                seen.add(key)
                kept += 1
                fh.write(json.dumps({"corpus": args.corpus, "topic": topic, "model": args.model, "evidence": refs,
                                     "candidate": sentence, "verdict": origin}) + "\n")
            fh.flush()
            print(f"{topic}: {len(captured)} groups", file=sys.stderr)
    print(f"kept {kept}, dropped {dropped} (evidence not located)", file=sys.stderr)


if __name__ == "__main__":
    main()
