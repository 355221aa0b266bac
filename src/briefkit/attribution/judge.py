"""The model as a relevance judge: does a candidate sentence answer the topic? (prompts/judge_topic.md).

Each group's lead is put to the generation model with the topic; the model's probability of "yes"
(:meth:`briefkit.llm.base.Backend.yes_probability`) becomes the group's ``judge``, which the judged
selector reads (:mod:`.insight`). The topic comes before the sentence in the prompt, so a backend that
keeps its cache prefills the shared part once. A model this small judges well only from about 1B
parameters up (eval/SELECTOR.md measures the 1.5B benchmark model against SmolLM2-135M).
"""

from __future__ import annotations

from ..llm.base import Backend
from ..prompts import load_prompt
from .plan import Group


def judge(backend: Backend, topic: str, groups: list[Group], prompts_dir: str | None = None) -> None:
    """Set ``judge`` on each group: the model's P(yes) that its lead answers ``topic``."""
    prompt = load_prompt("judge_topic", prompts_dir)
    requests = [prompt.render(topic=topic, sentence=" ".join(g.lead.evidence.text.split())) for g in groups]
    for g, p in zip(groups, backend.yes_probability(requests) if requests else []):
        g.judge = p
