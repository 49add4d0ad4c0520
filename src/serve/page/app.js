// gloss serve: search as you type, keyboard use, a definition view, the A-Z glossary.
// Text from the notes only ever reaches the page through textContent and text nodes.
"use strict";

(function () {
  const DEBOUNCE_MS = 90;
  const LIMIT = 20;
  const SEE_ALSO = 12;
  const $ = (id) => document.getElementById(id);
  const box = $("q");
  const mode = $("mode");
  const list = $("results");
  const detail = $("detail");
  const glossary = $("glossary");
  const count = $("count");
  const notice = $("notice");
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  let hits = [];
  let selected = -1;
  let timer = 0;
  let inflight = null;
  let lastKey = "";
  // Bumped by every view change, so a late answer for an older view is dropped.
  let generation = 0;

  // An element with attributes and children; strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function showNotice(text) {
    notice.textContent = text || "";
    notice.hidden = !text;
  }

  async function getJson(url, signal) {
    const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
    const header = response.headers.get("x-gloss-notice");
    if (header !== null || response.ok) showNotice(header);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    return body;
  }

  // The snippet with its highlights (byte ranges into the UTF-8 text) in <mark>.
  function snippetNodes(text, highlights) {
    const bytes = encoder.encode(text);
    const out = [];
    let at = 0;
    const ranges = (highlights || []).slice().sort((a, b) => a[0] - b[0]);
    for (const [start, end] of ranges) {
      if (start < at || end > bytes.length || end <= start) continue;
      if (start > at) out.push(decoder.decode(bytes.subarray(at, start)));
      out.push(el("mark", { text: decoder.decode(bytes.subarray(start, end)) }));
      at = end;
    }
    if (at < bytes.length) out.push(decoder.decode(bytes.subarray(at)));
    return out;
  }

  function sourceNode(hit) {
    const parts = [];
    if (hit.heading_path && hit.heading_path.length) {
      parts.push(el("span", { class: "path", text: hit.heading_path.join(" \u203a ") }), " \u2014 ");
    }
    parts.push(el("code", { class: "where", text: hit.file + ":" + hit.line }));
    return el("p", { class: "source" }, ...parts);
  }

  function titleNode(hit, tag) {
    if (hit.kind === "definition" && hit.term) {
      const aliases = hit.aliases && hit.aliases.length
        ? el("span", { class: "aliases", text: " (" + hit.aliases.join(", ") + ")" })
        : null;
      return el(tag, { class: "title" }, el("span", { class: "term", text: hit.term }), aliases,
        el("span", { class: "kind", text: "definition" }));
    }
    return el(tag, { class: "title" }, el("span", { class: "kind", text: "passage" }));
  }

  // --- views -------------------------------------------------------------------------

  function show(which) {
    list.hidden = which !== "results";
    detail.hidden = which !== "detail";
    glossary.hidden = which !== "glossary";
    count.hidden = which === "detail";
  }

  function params() {
    const p = new URLSearchParams(location.search);
    return { q: p.get("q") || "", mode: p.get("mode") === "define" ? "define" : "search",
      view: p.get("view") || "", open: p.get("open") };
  }

  function url(q, m, extra) {
    const p = new URLSearchParams();
    if (q) p.set("q", q);
    if (q && m === "define") p.set("mode", m);
    for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
    const s = p.toString();
    return s ? "/?" + s : "/";
  }

  function select(i) {
    if (!hits.length) return;
    selected = Math.max(0, Math.min(hits.length - 1, i));
    for (const [n, item] of Array.from(list.children).entries()) {
      item.setAttribute("aria-selected", n === selected ? "true" : "false");
    }
    const item = list.children[selected];
    box.setAttribute("aria-activedescendant", item.id);
    item.scrollIntoView({ block: "nearest" });
  }

  function renderHits(results) {
    hits = results.hits;
    selected = -1;
    box.removeAttribute("aria-activedescendant");
    list.replaceChildren();
    for (const [i, hit] of hits.entries()) {
      const item = el("li", { id: "hit-" + i, role: "option", "aria-selected": "false",
        class: "hit " + hit.kind },
      titleNode(hit, "h2"),
      el("p", { class: "snippet" }, ...snippetNodes(hit.snippet, hit.highlights)),
      sourceNode(hit));
      item.addEventListener("click", () => openHit(i, true));
      list.append(item);
    }
    count.replaceChildren();
    if (hits.length) {
      count.textContent = hits.length + (hits.length === 1 ? " result" : " results");
    } else {
      count.append("No results for \u201c" + results.query + "\u201d.");
      if (results.suggestions && results.suggestions.length) {
        count.append(" Did you mean: ");
        results.suggestions.forEach((s, n) => {
          if (n) count.append(", ");
          count.append(termLink(s, "search"));
        });
        count.append("?");
      }
    }
    show("results");
  }

  async function runSearch(push) {
    const q = box.value.trim();
    const m = mode.value;
    const key = m + "\u0000" + q;
    if (!q) {
      lastKey = "";
      if (inflight) inflight.abort();
      history.replaceState(null, "", url("", m));
      return showGlossary();
    }
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const mine = ++generation;
    const target = url(q, m);
    if (push) history.pushState(null, "", target);
    else history.replaceState(null, "", target);
    try {
      const results = await getJson("/api/search?q=" + encodeURIComponent(q) + "&mode=" + m +
        "&limit=" + LIMIT, inflight.signal);
      if (mine !== generation) return null;
      lastKey = key;
      renderHits(results);
      return results;
    } catch (err) {
      if (err.name === "AbortError") return null;
      hits = [];
      list.replaceChildren();
      count.textContent = "Error: " + err.message;
      show("results");
      return null;
    }
  }

  function termLink(term, m) {
    const link = el("a", { href: url(term, m, m === "define" ? { open: "1" } : {}), text: term });
    link.addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey) return;
      event.preventDefault();
      box.value = term;
      mode.value = m;
      runSearch(true).then((r) => { if (r && r.hits.length && m === "define") openHit(0, false); });
    });
    return link;
  }

  async function seeAlso(term, into) {
    try {
      const related = await getJson("/api/related?term=" + encodeURIComponent(term));
      const seen = new Set([related.term]);
      const names = [];
      for (const node of related.mentions.concat(related.mentioned_by)) {
        if (!seen.has(node.term) && names.length < SEE_ALSO) {
          seen.add(node.term);
          names.push(node.term);
        }
      }
      if (!names.length) return;
      const items = names.map((n) => el("li", {}, termLink(n, "define")));
      into.append(el("h3", { id: "see-also-label", text: "See also" }),
        el("ul", { class: "see-also", "aria-labelledby": "see-also-label" }, ...items));
    } catch (_) {
      // No related terms: nothing to show.
    }
  }

  function openHit(i, push) {
    const hit = hits[i];
    if (!hit) return;
    selected = i;
    const back = el("button", { type: "button", class: "back", text: "\u2190 Back to results" });
    back.addEventListener("click", closeDetail);
    const related = el("nav", { class: "related", "aria-label": "Related terms" });
    const title = titleNode(hit, "h2");
    title.id = "detail-term";
    detail.replaceChildren(back, title,
      el("div", { class: "text", text: hit.text }), sourceNode(hit), related);
    show("detail");
    if (push) history.pushState({ open: i }, "", url(box.value.trim(), mode.value, { open: String(i + 1) }));
    if (hit.kind === "definition" && hit.term) seeAlso(hit.term, related);
    back.focus();
  }

  function closeDetail() {
    if (detail.hidden) return;
    history.replaceState(null, "", url(box.value.trim(), mode.value));
    show(box.value.trim() ? "results" : "glossary");
    box.focus();
    if (selected >= 0) select(selected);
  }

  // The letter a term is filed under: its first letter without accents, or '#'.
  function letterOf(term) {
    const c = term.normalize("NFD").replace(/[\u0300-\u036f]/g, "").charAt(0).toUpperCase();
    return c >= "A" && c <= "Z" ? c : "#";
  }

  async function showGlossary() {
    const mine = ++generation;
    show("glossary");
    count.textContent = "";
    let results;
    try {
      results = await getJson("/api/terms");
      if (mine !== generation) return;
    } catch (err) {
      if (mine !== generation) return;
      glossary.replaceChildren(el("p", { text: "Error: " + err.message }));
      return;
    }
    const groups = new Map();
    for (const hit of results.hits) {
      const letter = letterOf(hit.term || "");
      if (!groups.has(letter)) groups.set(letter, []);
      groups.get(letter).push(hit);
    }
    const id = (letter) => "letter-" + (letter === "#" ? "other" : letter.toLowerCase());
    const nav = el("nav", { class: "az", "aria-label": "Letters" },
      ...Array.from(groups.keys()).map((l) => el("a", { href: "#" + id(l), text: l })));
    const sections = Array.from(groups.entries()).map(([letter, group]) =>
      el("section", { class: "letter", id: id(letter), "aria-labelledby": id(letter) + "-h" },
        el("h2", { id: id(letter) + "-h", text: letter }),
        el("dl", {}, ...group.flatMap((hit) => [
          el("dt", {}, termLink(hit.term, "define"),
            hit.aliases.length ? el("span", { class: "aliases", text: " (" + hit.aliases.join(", ") + ")" }) : null),
          el("dd", {}, el("p", { text: hit.text }), sourceNode(hit)),
        ]))));
    count.textContent = results.hits.length + " terms";
    glossary.replaceChildren(nav, ...sections);
  }

  // --- wiring --------------------------------------------------------------------------

  function applyUrl() {
    const p = params();
    box.value = p.q;
    mode.value = p.mode;
    if (!p.q) return showGlossary();
    runSearch(false).then((r) => {
      const n = parseInt(p.open || "", 10);
      if (r && n >= 1 && n <= r.hits.length) openHit(n - 1, false);
    });
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch(false), DEBOUNCE_MS);
  });
  mode.addEventListener("change", () => runSearch(false));
  $("form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    if (hits.length && lastKey === mode.value + "\u0000" + box.value.trim()) openHit(Math.max(selected, 0), true);
    else runSearch(true);
  });
  $("home").addEventListener("click", (event) => {
    event.preventDefault();
    box.value = "";
    history.pushState(null, "", "/");
    showGlossary();
  });
  $("az-link").addEventListener("click", (event) => {
    event.preventDefault();
    box.value = "";
    history.pushState(null, "", "/?view=terms");
    showGlossary();
  });

  document.addEventListener("keydown", (event) => {
    const typing = event.target === box || event.target === mode;
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    if (event.key === "Escape") {
      if (!detail.hidden) closeDetail();
      else if (event.target === box && box.value) { box.value = ""; runSearch(false); }
      return;
    }
    if (list.hidden || !hits.length) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      select(selected + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      select(selected - 1);
    } else if (event.key === "Enter" && event.target !== mode && selected >= 0 && !event.target.closest("a,button")) {
      event.preventDefault();
      openHit(selected, true);
    }
  });
  window.addEventListener("popstate", applyUrl);

  async function pollStatus() {
    try {
      const status = await getJson("/api/status");
      showNotice(status.notice);
    } catch (_) {
      showNotice("the gloss server is not answering");
    }
  }
  setInterval(pollStatus, 3000);
  pollStatus();
  applyUrl();
})();
