// briefkit's page: summaries and answers whose every citation opens the source at its exact span.
// Plain DOM, no framework; every text from the server is set with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const docCache = new Map();
let lastChip = null;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  const data = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `the server answered ${response.status}`);
  return data;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function busy(button, work) {
  button.disabled = true;
  showError("");
  try { await work(); } catch (e) { showError(e.message); } finally { button.disabled = false; }
}

// ---- status line: corpus, embedder, generation model and why its backend was chosen
let generationNote = "";
async function refreshStatus() {
  try {
    const s = await api("/api/status");
    const gen = generationNote || `model ${s.generation.model} (backend ${s.generation.backend}; loads on first use)`;
    $("status").textContent = `${s.documents} documents · embedder ${s.embedder.model} (${s.embedder.backend}) · ${gen}`;
  } catch (e) { $("status").textContent = e.message; }
}

function noteGeneration(data) {
  if (!data.model) return;
  generationNote = `model ${data.model}` + (data.backend ? ` · ${data.backend}` : "");
  refreshStatus();
}

// ---- results
function sourceNumbers(sources) {
  const numbers = new Map();
  (sources || []).forEach((s, i) => numbers.set(s.doc_id, i + 1));
  return numbers;
}

function chipsFor(evidence, numbers, sources) {
  return (evidence || []).map((ev) => {
    const n = numbers.get(ev.doc_id) || "?";
    const src = (sources || []).find((s) => s.doc_id === ev.doc_id);
    const label = `Source ${n}: ${src && src.title ? src.title : ev.doc_id}. Opens the article at: ${ev.text}`;
    return el("button", { class: "chip secondary", type: "button", title: ev.text, "aria-label": label,
      "aria-pressed": "false", "data-doc": ev.doc_id, onclick: (e) => openSource(ev, e.currentTarget) }, `[${n}]`);
  });
}

function originBadge(origin) {
  return el("span", { class: `origin ${origin}`, text: origin === "quoted" ? "quoted" : "model's words" });
}

function sourceList(sources) {
  if (!sources || !sources.length) return null;
  return el("ol", { class: "sources" }, ...sources.map((s) => el("li", {},
    `${s.title || s.doc_id}`, el("span", { class: "muted", text: ` — ${[s.source, s.date].filter(Boolean).join(" · ")} (${s.doc_id})` }))));
}

function head(title, data) {
  return el("div", { class: "result-head" }, el("h2", { text: title }),
    el("p", { class: "muted small", text: `model: ${data.model}` + (data.backend ? ` · backend: ${data.backend}` : "") }),
    data.notice ? el("p", { class: "small", text: data.notice }) : null);
}

function renderSummary(data) {
  const numbers = sourceNumbers(data.sources);
  const list = el("ol", { class: "bullets" });
  data.bullets.forEach((b, i) => {
    const text = b.origin === "quoted" ? `“${b.text}”` : b.text;
    list.append(el("li", { class: `bullet ${b.origin}`, "data-index": String(i) }, originBadge(b.origin),
      b.according_to ? el("span", { class: "according", text: `According to ${b.according_to}: ` }) : null,
      el("span", { class: "text", text }), ...chipsFor(b.evidence, numbers, data.sources)));
  });
  const v = data.stats.verification;
  const tally = el("p", { class: "muted small", text:
    `${v.model} in the model's words (verified against their sources), ${v.quoted} quoted` +
    (v.hidden ? `, ${v.hidden} hidden` : "") + ` · ${data.stats.generate_s.toFixed(1)} s generating` });
  $("result").replaceChildren(head(data.topic, data), data.bullets.length ? list : el("p", { text: "(nothing to show)" }),
    tally, sourceList(data.sources));
  noteGeneration(data);
}

function renderReasoning(steps) {
  if (!Array.isArray(steps) || !steps.length) return null;
  const describe = (step) => typeof step === "string" ? step : Object.entries(step)
    .filter(([, value]) => typeof value !== "object" || value === null)
    .map(([key, value]) => `${key}: ${value}`).join(" · ");
  return el("details", { class: "reasoning" }, el("summary", { text: `Reasoning (${steps.length} steps)` }),
    el("ol", {}, ...steps.map((s) => el("li", { text: describe(s) }))));
}

function renderAnswer(data) {
  const numbers = sourceNumbers(data.sources);
  const body = data.origin === "quoted" && !data.abstained ? `“${data.answer}”` : data.answer;
  const answer = el("div", { class: `bullet ${data.abstained ? "" : data.origin}` },
    data.abstained ? el("span", { class: "origin", text: "abstained" }) : originBadge(data.origin),
    data.according_to ? el("span", { class: "according", text: `According to ${data.according_to}: ` }) : null,
    el("span", { class: "text", text: body }), ...chipsFor(data.evidence, numbers, data.sources));
  let conflict = null;
  if (data.conflict && data.conflict.length) {
    const first = (data.evidence || [])[0];
    conflict = el("div", { class: "conflict", "aria-label": "Sources that differ" },
      el("div", {}, el("h3", { text: "This answer's source says" }), el("p", { text: first ? first.text : data.answer }),
        ...chipsFor(first ? [first] : [], numbers, data.sources)),
      ...data.conflict.map((c) => el("div", {}, el("h3", { text: "Another source says" }), el("p", { text: c.text }),
        el("button", { class: "chip secondary", type: "button", "aria-label": `Open ${c.doc_id} at this sentence`,
          onclick: (e) => openSource({ doc_id: c.doc_id, text: c.text }, e.currentTarget) }, c.doc_id))));
  }
  $("result").replaceChildren(head(data.question, data), answer, conflict, renderReasoning(data.reasoning),
    sourceList(data.sources));
  noteGeneration(data);
}

// ---- the source viewer: the stored text with the evidence span marked by its offsets
async function getDoc(docId) {
  if (!docCache.has(docId)) docCache.set(docId, await api(`/api/docs/${encodeURIComponent(docId)}`));
  return docCache.get(docId);
}

async function openSource(ev, chip) {
  showError("");
  let doc;
  try { doc = await getDoc(ev.doc_id); } catch (e) { showError(e.message); return; }
  let start = ev.start, end = ev.end;
  if (start === undefined) {  // a conflicting statement carries its text only: find it
    start = doc.text.indexOf(ev.text);
    end = start < 0 ? -1 : start + ev.text.length;
  }
  const text = doc.text;
  const article = $("viewer-text");
  const warning = $("viewer-warning");
  warning.hidden = true;
  if (start < 0 || end > text.length || start >= end) {
    article.replaceChildren(text);
    warning.textContent = "the evidence span is not in this document's stored text";
    warning.hidden = false;
  } else {
    const mark = el("mark", { id: "evidence-mark", tabindex: "-1" }, text.slice(start, end));
    article.replaceChildren(text.slice(0, start), mark, text.slice(end));
    if (ev.text && mark.textContent !== ev.text) {
      warning.textContent = "the stored text at these offsets differs from the evidence sentence";
      warning.hidden = false;
    }
  }
  $("viewer-title").textContent = doc.title || doc.doc_id;
  $("viewer-meta").textContent = [doc.doc_id, doc.source, doc.date, doc.url].filter(Boolean).join(" · ");
  $("viewer").hidden = false;
  document.querySelector(".layout").classList.add("with-viewer");
  if (lastChip) lastChip.setAttribute("aria-pressed", "false");
  lastChip = chip || null;
  if (lastChip) lastChip.setAttribute("aria-pressed", "true");
  const mark = $("evidence-mark");
  if (mark) { mark.scrollIntoView({ block: "center" }); mark.focus({ preventScroll: true }); }
}

function closeSource() {
  $("viewer").hidden = true;
  document.querySelector(".layout").classList.remove("with-viewer");
  if (lastChip) { lastChip.setAttribute("aria-pressed", "false"); lastChip.focus(); }
}

// ---- corpus: list, delete, drag-and-drop ingest with progress
async function refreshDocs() {
  const { documents } = await api("/api/docs");
  $("doc-count").textContent = `(${documents.length})`;
  $("doc-list").replaceChildren(...documents.map((d) => el("li", {},
    el("span", {}, d.title || d.doc_id, el("span", { class: "muted small", text: ` ${d.doc_id}${d.date ? " · " + d.date : ""}` })),
    el("button", { class: "secondary", type: "button", "aria-label": `Delete ${d.title || d.doc_id}`,
      onclick: (e) => deleteDoc(d, e.currentTarget) }, "Delete"))));
}

async function deleteDoc(d, button) {
  if (!confirm(`Delete “${d.title || d.doc_id}” from the store and the index?`)) return;
  await busy(button, async () => {
    await api(`/api/docs/${encodeURIComponent(d.doc_id)}`, { method: "DELETE" });
    docCache.delete(d.doc_id);
    await refreshDocs();
    await refreshStatus();
  });
}

function parseEvents(text) {
  return text.split("\n\n").filter((block) => block.includes("data:")).map((block) => {
    const event = (block.match(/^event: (.*)$/m) || [])[1] || "message";
    const data = JSON.parse(block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n"));
    return { event, data };
  });
}

function ingest(files) {
  if (!files || !files.length) return;
  const bar = $("ingest-progress");
  const status = $("ingest-status");
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  bar.hidden = false;
  bar.value = 0;
  status.textContent = `uploading ${files.length} file(s)…`;
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/ingest");
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (50 * e.loaded) / e.total; };
  let seen = 0;
  xhr.onprogress = () => {
    const complete = xhr.responseText.slice(0, xhr.responseText.lastIndexOf("\n\n") + 2);
    for (const { event, data } of parseEvents(complete.slice(seen))) {
      if (event === "stage" && data.stage === "received") { bar.value = 55; status.textContent = `received ${data.files} file(s); waiting for the worker…`; }
      if (event === "stage" && data.stage === "ingesting") { bar.value = 70; status.textContent = `reading, cleaning and indexing ${data.files} file(s)…`; }
      if (event === "done") {
        bar.value = 100;
        const failed = data.failed.map((f) => `${f.path.split("/").pop()}: ${f.error}`).join("; ");
        status.textContent = `added ${data.added}, replaced ${data.replaced}, skipped ${data.skipped_duplicates} duplicate(s)` +
          (failed ? `; failed: ${failed}` : "") + `; the store holds ${data.documents} documents`;
        refreshDocs(); refreshStatus();
      }
      if (event === "failed") { status.textContent = `ingest failed: ${data.error}`; }
    }
    seen = complete.length;
  };
  xhr.onload = () => {
    xhr.onprogress();
    if (xhr.status >= 400) {
      let message = `the server answered ${xhr.status}`;
      try { message = JSON.parse(xhr.responseText).error || message; } catch (e) { /* not JSON */ }
      status.textContent = `ingest refused: ${message}`;
      bar.hidden = true;
    }
  };
  xhr.onerror = () => { status.textContent = "the upload failed (is the server still running?)"; bar.hidden = true; };
  xhr.send(form);
}

function setUpDrop() {
  const drop = $("drop");
  const input = $("file-input");
  drop.addEventListener("click", () => input.click());
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
  input.addEventListener("change", () => { ingest(input.files); input.value = ""; });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); ingest(e.dataTransfer.files); });
}

// ---- wiring
function runOnSubmit(formId, pending, path, body, render) {
  $(formId).addEventListener("submit", (e) => {
    e.preventDefault();
    busy(e.currentTarget.querySelector("button"), async () => {
      $("result").replaceChildren(el("p", { class: "muted", text: pending }));
      render(await api(path, { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body()) }));
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  runOnSubmit("summarise-form", "retrieving, selecting and writing…", "/api/summarise",
    () => ({ topic: $("topic").value }), renderSummary);
  runOnSubmit("ask-form", "searching for the answer…", "/api/ask", () => ({ question: $("question").value }), renderAnswer);
  $("viewer-close").addEventListener("click", closeSource);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("viewer").hidden) closeSource(); });
  setUpDrop();
  refreshStatus();
  refreshDocs().catch((e) => showError(e.message));
});
