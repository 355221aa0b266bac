"""Several chats decoded together in one llama.cpp context, on the bundled SmolLM2 GGUF.

Greedy text can differ from one-chat-at-a-time decoding where the top two tokens are nearly
tied: llama.cpp's matrix kernels accumulate in another order when a batch holds more rows.
So the exactness test is on logits (within a tolerance, same argmax unless a near tie), and
the end-to-end test checks the per-request accounting."""

import numpy as np
import pytest

from briefkit.llm.base import GenerationParams
from briefkit.llm.registry import create_backend

pytest.importorskip("llama_cpp", reason="llama-cpp-python is installed by `scripts/setup --dev`")

QUESTIONS = ("What is the capital of France?", "Name two primary colours.", "Say hello in one word.",
             "Write a sentence about the sea.")


@pytest.fixture(scope="module")
def llama():
    return create_backend("llamacpp", model="smollm2-135m", context_tokens=2048)


def test_batched_prefill_gives_each_sequence_its_own_logits(llama):
    from briefkit.llm.llamacpp_batch import MultiSequenceDecoder

    prompts = [llama._tokens(llama.render([{"role": "user", "content": q}])) for q in QUESTIONS]
    together = MultiSequenceDecoder(llama.llm, len(prompts), 256).prefill(prompts)
    alone = MultiSequenceDecoder(llama.llm, 1, 256)
    for prompt, batched in zip(prompts, together):
        single = alone.prefill([prompt])[0]
        diff = float(np.abs(batched - single).max())
        # measured here: mean 0.1-0.2, max 0.7-1.1 on logits spanning ~30; the same prompt twice in one
        # batch differs as much. Attending another sequence's tokens moved them by a mean of 4.7 (max 12).
        assert float(np.abs(batched - single).mean()) < 0.5 and diff < 2.0, diff
        top2 = np.sort(single)[-2:]
        assert int(np.argmax(batched)) == int(np.argmax(single)) or top2[1] - top2[0] < 2 * diff
    assert float(np.abs(together[0] - together[1]).mean()) > 1.0  # each sequence saw its own prompt


def test_generate_batch_decodes_greedy_requests_with_honest_accounting(llama):
    chats = [[{"role": "user", "content": q}] for q in QUESTIONS]
    params = GenerationParams(max_tokens=12, repetition_penalty=1.15, stop=["\n\n"])
    results = llama.generate_batch(chats, params)
    assert len(results) == 4
    for chat, r in zip(chats, results):
        assert r.prompt_tokens == llama.count_tokens(llama.render(chat))
        assert 1 <= r.completion_tokens <= 12 and r.text and "\n\n" not in r.text
        assert 0 < r.prompt_s < r.total_s
    one = llama.generate(chats[2], params)  # a prompt whose greedy answer has no near tie here
    assert results[2].text == one.text


FUSE_GROUPS = (["Alibaba released the Qwen3.5 Small models in four sizes on March 2."],
               ["The Qwen tech lead stepped down in March 2026.", "Lin Junyang left the Qwen team."],
               ["Alibaba's cloud revenue grew 26% in the quarter."])


def test_a_shared_prompt_prefix_is_prefilled_once_with_the_same_logits(llama):
    from briefkit.attribution.realise import fuse_request
    from briefkit.llm.llamacpp_batch import MultiSequenceDecoder

    prompts = [llama._tokens(llama.render(fuse_request(g, None, llama.model_name))) for g in FUSE_GROUPS]
    # the rendered system turn and the user turn's opening up to the quoted text are the same in every prompt
    head = llama.render(fuse_request(["X"], None, llama.model_name)).split("X")[0]
    expected = len(llama._tokens(head.rstrip("\n")))
    decoder = MultiSequenceDecoder(llama.llm, len(prompts), 512)
    shared = decoder.prefill(prompts, share_prefix=True)
    assert expected - 2 <= decoder.shared_tokens <= expected + 2 and decoder.shared_tokens > 20
    assert decoder.prefill_tokens == sum(map(len, prompts)) - (len(prompts) - 1) * decoder.shared_tokens
    whole = decoder.prefill(prompts, share_prefix=False)
    assert decoder.shared_tokens == 0 and decoder.prefill_tokens == sum(map(len, prompts))
    for a, b in zip(shared, whole):
        # the kernels add in another order when the batch and the cache hold other tokens: the same spread
        # as batched against one-at-a-time decoding above; a sequence that missed the copied prefix would
        # be as far off as attending another sequence's tokens (mean 4.7)
        diff = float(np.abs(a - b).max())
        assert float(np.abs(a - b).mean()) < 0.5 and diff < 2.0, diff
        top2 = np.sort(b)[-2:]
        assert int(np.argmax(a)) == int(np.argmax(b)) or top2[1] - top2[0] < 2 * diff


def test_one_prompt_or_no_common_prefix_shares_nothing():
    from briefkit.llm.llamacpp_batch import shared_prefix

    assert shared_prefix([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 9]]) == 2
    assert shared_prefix([[1, 2, 3], [1, 2, 3]]) == 2  # each keeps its last token to compute logits from
    assert shared_prefix([[7, 2], [1, 2]]) == 0
