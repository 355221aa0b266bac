"""One tokens-per-second figure for every backend, and ``auto`` choosing by whole-request time."""

from briefkit.llm.base import GenerationResult
from briefkit.briefs.results import Stats


def test_tokens_per_s_is_generated_tokens_over_the_whole_requests_wall_time():
    stats = Stats()
    # two requests of one batch: each carries its share of the prefill and of the decoding
    stats.add(GenerationResult("a", 100, 20, prompt_s=1.0, total_s=3.0, model="m"))
    stats.add(GenerationResult("b", 50, 10, prompt_s=0.5, total_s=2.0, model="m"))
    stats.add(GenerationResult("c", 80, 40, prompt_s=0.1, total_s=0.2, model="m", cached=True))  # no time spent
    data = stats.to_json()
    assert data["generate_s"] == 5.0 and data["completion_tokens"] == 70
    assert data["tokens_per_s"] == 6.0  # (20 + 10) / 5.0; decode only would give 30 / 3.5 = 8.57
    assert data["prefill_tokens_per_s"] == 100.0  # (100 + 50) / 1.5
