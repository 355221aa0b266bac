"""Greedy decoding of several chats at once in one llama.cpp context (one sequence each).

llama-cpp-python's high-level API decodes one sequence; this drives llama.cpp's batch API
through its ctypes binding: all prompts are prefilled in shared batches, then each step
decodes one token for every unfinished sequence in a single ``llama_decode``, so the weights
are read once per step for all of them. Decoding is memory-bound on CPU, so a step for 8
sequences costs little more than a step for one. Only greedy decoding (temperature 0) with
llama.cpp's repetition penalty (over the last 64 generated tokens, as llama-cpp-python applies
it); sampled requests go through the one-sequence path.

The prompts' shared token prefix (a summary's rewrites share the system prompt and the chat
template's opening) is prefilled once, as sequence 0, and its memory copied to the other
sequences (``llama_memory_seq_cp``: with a unified KV cache the cells are shared, not copied);
each sequence then prefills only its own rest. ``share_prefix=False`` prefills every prompt whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

PENALTY_LAST_N = 64  # llama-cpp-python's default window (last_n_tokens_size)


@dataclass
class _Seq:
    prompt: list[int]
    max_tokens: int
    out: list[int] = field(default_factory=list)
    done: bool = False
    logit_row: int = -1  # row of this sequence's logits in the last batch
    first_logits: np.ndarray | None = None  # saved after prefill


def shared_prefix(prompts: list[list[int]]) -> int:
    """Length of the token prefix all prompts share, leaving each at least its last token to decode
    (the logits of the next token come from it)."""
    limit = min(len(p) for p in prompts) - 1
    n = 0
    while n < limit and all(p[n] == prompts[0][n] for p in prompts):
        n += 1
    return n


class MultiSequenceDecoder:
    """A second llama.cpp context on the same model with room for ``n_seq`` sequences."""

    def __init__(self, llm, n_seq: int, n_ctx_per_seq: int) -> None:
        import llama_cpp

        self.lib = llama_cpp
        self.llm = llm
        self.n_seq = n_seq
        params = llama_cpp.llama_context_default_params()
        base = llm.context_params
        params.n_ctx = n_seq * n_ctx_per_seq
        params.n_batch = max(base.n_batch, 512)
        params.n_ubatch = base.n_ubatch
        params.n_seq_max = n_seq
        params.n_threads = base.n_threads
        params.n_threads_batch = base.n_threads_batch
        params.kv_unified = True
        self.n_batch = params.n_batch
        self.ctx = llama_cpp.llama_init_from_model(llm.model, params)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create a multi-sequence context")
        self.vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.batch = llama_cpp.llama_batch_init(self.n_batch, 0, n_seq)
        self.shared_tokens = 0  # of the last prefill
        self.prefill_tokens = 0

    def close(self) -> None:
        if self.ctx:
            self.lib.llama_batch_free(self.batch)
            self.lib.llama_free(self.ctx)
            self.ctx = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def _decode(self, entries: list[tuple[int, int, int, bool]]) -> None:
        """Decode (token, position, sequence, wants logits) entries in one batch."""
        b = self.batch
        for i, (tok, pos, seq, logits) in enumerate(entries):
            b.token[i] = tok
            b.pos[i] = pos
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = logits
        b.n_tokens = len(entries)
        if self.lib.llama_decode(self.ctx, b) != 0:
            raise RuntimeError("llama_decode failed (context full?)")

    def _logits(self, row: int) -> np.ndarray:
        ptr = self.lib.llama_get_logits_ith(self.ctx, row)
        return np.ctypeslib.as_array(ptr, shape=(self.n_vocab,)).copy()

    def _next_token(self, seq: _Seq, penalty: float) -> int:
        if seq.first_logits is not None:
            logits, seq.first_logits = seq.first_logits, None
        else:
            logits = self._logits(seq.logit_row)
        if penalty != 1.0 and seq.out:
            recent = np.unique(np.asarray(seq.out[-PENALTY_LAST_N:]))
            vals = logits[recent]
            logits[recent] = np.where(vals <= 0, vals * penalty, vals / penalty)
        return int(np.argmax(logits))

    def prefill(self, prompts: list[list[int]], share_prefix: bool = True) -> list[np.ndarray]:
        """Clear the context, decode every prompt as sequence 0, 1, ...; each prompt's last-token logits.

        With ``share_prefix``, the prompts' common prefix is decoded once and copied to every sequence
        (see the module docstring); ``self.shared_tokens`` and ``self.prefill_tokens`` record what the
        last call shared and decoded. Tokens are packed into batches of n_batch; the logits are copied
        out of the batch that computed them, since the next batch overwrites its rows."""
        memory = self.lib.llama_get_memory(self.ctx)
        self.lib.llama_memory_clear(memory, True)
        shared = shared_prefix(prompts) if share_prefix and len(prompts) > 1 else 0
        out: list[np.ndarray | None] = [None] * len(prompts)
        pending: list[tuple[int, int, int, bool]] = []
        lasts: list[tuple[int, int]] = []  # (sequence, index in ``pending``) of last prompt tokens

        def flush() -> None:
            if pending:
                self._decode(pending)
            for s, index in lasts:
                out[s] = self._logits(index)
            pending.clear()
            lasts.clear()

        def add(s: int, tokens: list[int], start: int, last: bool) -> None:
            for pos in range(start, len(tokens)):
                is_last = last and pos == len(tokens) - 1
                if is_last:
                    lasts.append((s, len(pending)))
                pending.append((tokens[pos], pos, s, is_last))
                if len(pending) == self.n_batch:
                    flush()

        if shared:
            add(0, prompts[0][:shared], 0, last=False)
            flush()
            for s in range(1, len(prompts)):
                self.lib.llama_memory_seq_cp(memory, 0, s, -1, -1)
        for s, prompt in enumerate(prompts):
            add(s, prompt, shared, last=True)
        flush()
        self.shared_tokens = shared
        self.prefill_tokens = shared + sum(len(p) - shared for p in prompts)
        return out  # type: ignore[return-value]

    def generate(self, prompts: list[list[int]], max_tokens: list[int], penalty: float,
                 on_token=None, share_prefix: bool = True) -> tuple[list[list[int]], float, float]:
        """Generated token ids per prompt (stop token included), prefill seconds, total seconds.

        ``on_token(i, ids)`` may return True to stop sequence ``i`` early (a stop string)."""
        seqs = [_Seq(p, m) for p, m in zip(prompts, max_tokens)]
        start = time.perf_counter()
        for seq, logits in zip(seqs, self.prefill(prompts, share_prefix)):
            seq.first_logits = logits
        prefill = time.perf_counter() - start
        while True:
            entries = []
            for s, seq in enumerate(seqs):
                if seq.done:
                    continue
                tok = self._next_token(seq, penalty)
                seq.out.append(tok)
                stop = self.lib.llama_vocab_is_eog(self.vocab, tok) or len(seq.out) >= seq.max_tokens
                if not stop and on_token is not None:
                    stop = bool(on_token(s, seq.out))
                if stop:
                    seq.done = True
                    continue
                seq.logit_row = len(entries)
                entries.append((tok, len(seq.prompt) + len(seq.out) - 1, s, True))
            if not entries:
                break
            self._decode(entries)
        return [seq.out for seq in seqs], prefill, time.perf_counter() - start
