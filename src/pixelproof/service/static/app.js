// pixelproof's page: upload one image, show what each endpoint says. Vanilla JS, no
// dependency; every text from the server is set with textContent, never as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const KEY_STORE = "pixelproof-key";
  let current = null;   // {file, run}: the image on show and the run it belongs to
  let heatmaps = [];    // [{name, url}] of the current image
  let health = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function status(text, isError) {
    const node = $("status");
    node.textContent = text;
    node.classList.toggle("error", Boolean(isError));
  }

  function headers() {
    const key = $("key").value.trim();
    return key ? { Authorization: "Bearer " + key } : {};
  }

  async function post(path, file) {
    const body = new FormData();
    if (file) body.append("file", file, file.name || "upload");
    let response;
    try {
      response = await fetch(path, { method: "POST", body, headers: headers() });
    } catch (error) {
      return { ok: false, status: 0, data: { error: "the service cannot be reached" } };
    }
    let data;
    try {
      data = await response.json();
    } catch (error) {
      data = { error: "HTTP " + response.status };
    }
    return { ok: response.ok, status: response.status, data };
  }

  async function blobUrl(url) {
    const response = await fetch(url, { headers: headers() });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return URL.createObjectURL(await response.blob());
  }

  function fmt(value, digits) {
    return typeof value === "number" ? value.toFixed(digits === undefined ? 2 : digits) : "–";
  }

  function errorText(result) {
    const data = result.data || {};
    return (data.error || "failed") + (data.error_type ? " (" + data.error_type + ")" : "");
  }

  function pending(target, text) {
    target.replaceChildren(el("p", { class: "pending" }, text));
  }

  function failed(target, result) {
    target.replaceChildren(el("p", { class: "error" }, errorText(result)));
  }

  function card(title, label, score, text) {
    return el(
      "article",
      { class: "card l-" + (label || "info") },
      el("h3", {}, el("span", {}, title), el("span", { class: "label" }, label || "")),
      score === null || score === undefined ? null : el("p", {}, "score " + fmt(score)),
      text ? el("p", {}, text) : null,
    );
  }

  function table(rows, className) {
    const body = el("tbody");
    for (const [name, value] of rows) body.append(el("tr", {}, el("th", { scope: "row" }, name), el("td", {}, value)));
    return el("table", { class: className || "" }, body);
  }

  // -- one image, every endpoint in turn -------------------------------------------

  async function analyse(file) {
    const run = {};
    current = { file, run };
    heatmaps = [];
    $("results").hidden = false;
    $("photo").src = URL.createObjectURL(file);
    $("caption").textContent = file.name + " · " + (file.size / 1024).toFixed(0) + " KiB";
    $("heat").hidden = true;
    $("heat-controls").hidden = true;
    $("heat-hint").hidden = true;
    $("embed-result").textContent = "";
    $("add-result").textContent = "";
    for (const id of ["cards", "forensics", "matches", "watermark", "meta"]) pending($(id), "waiting…");
    const steps = [
      ["scanning", scan],
      ["looking for edits", forensics],
      ["reading metadata", meta],
      ["looking for a watermark", watermark],
      ["searching the index", matches],
    ];
    for (const [what, step] of steps) {
      if (current.run !== run) return;  // another image was chosen meanwhile
      status("Analysing " + file.name + ": " + what + "…");
      try {
        await step(file, run);
      } catch (error) {
        status("Something went wrong: " + error.message, true);
      }
    }
    if (current.run === run) status("Done: " + file.name);
  }

  async function scan(file, run) {
    const result = await post("/v1/scan", file);
    if (current.run !== run) return;
    if (!result.ok) return failed($("cards"), result);
    const order = { manipulated: 0, synthetic: 0, watermarked: 0, match: 0, inconclusive: 1, authentic: 2, real: 2, info: 3 };
    const evidence = [...result.data.evidence].sort((a, b) => (order[a.label] ?? 4) - (order[b.label] ?? 4));
    const cards = evidence.map((e) => card(e.analyzer, e.label, e.score, e.explanation));
    for (const [name, message] of Object.entries(result.data.analyzer_errors || {})) cards.push(card(name, "error", null, message));
    // Findings first; the analyzers that only inform are folded away.
    const informing = evidence.filter((e) => e.label === "info").length;
    const shown = cards.slice(0, cards.length - informing - Object.keys(result.data.analyzer_errors || {}).length);
    const errors = cards.slice(shown.length + informing);
    const folded = cards.slice(shown.length, shown.length + informing);
    const parts = [el("div", { class: "cards" }, ...shown, ...errors)];
    if (!shown.length && !errors.length) parts.unshift(el("p", {}, "No analyzer found anything to report."));
    if (folded.length) {
      parts.push(el("details", {}, el("summary", {}, "What the other " + folded.length + " analyzers say"),
        el("div", { class: "cards" }, ...folded)));
    }
    $("cards").replaceChildren(...parts);
  }

  async function forensics(file, run) {
    const result = await post("/v1/forensics?heatmaps=true", file);
    if (current.run !== run) return;
    if (!result.ok) return failed($("forensics"), result);
    const data = result.data;
    $("forensics").replaceChildren(card("forensics", data.label, data.score, data.explanation));
    const maps = [];
    if (data.heatmap) maps.push({ name: "all analyses (fused)", url: data.heatmap });
    for (const [name, analysis] of Object.entries(data.analyses || {})) {
      if (analysis.heatmap) maps.push({ name, url: analysis.heatmap });
    }
    heatmaps = maps;
    const select = $("heat-select");
    select.replaceChildren(...maps.map((m, i) => el("option", { value: String(i) }, m.name)));
    if (maps.length) {
      $("heat-controls").hidden = false;
      $("heat-hint").hidden = false;
      await showHeatmap(0, run);
    }
  }

  async function showHeatmap(index, run) {
    const map = heatmaps[index];
    if (!map) return;
    const url = await blobUrl(map.url);
    const image = new Image();
    image.src = url;
    await image.decode();
    if (current.run !== run) return;
    const canvas = $("heat");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    const data = pixels.data;
    // The map is grayscale, 0 = nothing found, 255 = edited. What looks clean is dimmed
    // and what looks edited is tinted magenta: readable whatever the image's colours.
    for (let i = 0; i < data.length; i += 4) {
      const t = data[i] / 255;
      data[i] = 255 * t; data[i + 1] = 0; data[i + 2] = 255 * t;
      data[i + 3] = 255 * (0.8 * (1 - t) + 0.3 * t);
    }
    context.putImageData(pixels, 0, 0);
    URL.revokeObjectURL(url);
    canvas.hidden = false;
    canvas.setAttribute("aria-hidden", "false");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Heat-map of " + map.name + " over the image");
    setOpacity();
  }

  function setOpacity() {
    $("heat").style.opacity = String(Number($("opacity").value) / 100);
  }

  async function meta(file, run) {
    const result = await post("/v1/meta", file);
    if (current.run !== run) return;
    if (!result.ok) return failed($("meta"), result);
    const d = result.data;
    const rows = [];
    if (d.image) rows.push(["image", `${d.image.format} ${d.image.width}×${d.image.height}, ${d.image.mode}`]);
    else if (d.format) rows.push(["format", d.format]);
    if (d.camera && Object.keys(d.camera).length) rows.push(["camera", Object.values(d.camera).join(" ")]);
    for (const key of ["datetime_original", "datetime", "software", "artist", "copyright"]) {
      if (d.exif && d.exif[key] !== undefined) rows.push([key.replace("_", " "), String(d.exif[key])]);
    }
    if (d.gps && d.gps.latitude !== undefined) rows.push(["GPS", d.gps.latitude + ", " + d.gps.longitude]);
    for (const g of d.generators || []) rows.push(["generator", g.generator + " (" + g.source + ")"]);
    for (const f of d.findings || []) rows.push([f.code.replaceAll("_", " "), f.message]);
    if (d.c2pa) rows.push(["Content Credentials", d.c2pa.summary]);
    for (const w of d.warnings || []) rows.push(["warning", w]);
    const all = [];
    for (const group of ["exif", "gps", "xmp", "iptc", "icc", "container"]) {
      for (const [key, value] of Object.entries(d[group] || {})) {
        all.push([group + " · " + key, typeof value === "object" ? JSON.stringify(value) : String(value)]);
        if (all.length >= 300) break;
      }
    }
    const details = all.length ? el("details", {}, el("summary", {}, "All fields (" + all.length + ")"), table(all)) : null;
    $("meta").replaceChildren(table(rows), details || "");
  }

  async function watermark(file, run) {
    const result = await post("/v1/watermark/detect", file);
    if (current.run !== run) return;
    if (!result.ok) return failed($("watermark"), result);
    const d = result.data;
    const text = d.detected
      ? "pixelproof watermark found: message " + d.message + " (p = " + d.p_value.toExponential(1) + ")"
      : "No pixelproof watermark made with this service's key (p = " + fmt(d.p_value) + ").";
    $("watermark").replaceChildren(card("watermark", d.detected ? "watermarked" : "info", null, text));
  }

  async function matches(file, run) {
    if (!health || health.index_images === null) {
      $("matches").replaceChildren(el("p", { class: "hint" }, "This service has no provenance index."));
      return;
    }
    $("add-index").hidden = false;
    const result = await post("/v1/match", file);
    if (current.run !== run) return;
    if (!result.ok) return failed($("matches"), result);
    const found = result.data.matches || [];
    if (!found.length) {
      $("matches").replaceChildren(el("p", {}, "No indexed image resembles this one (" + health.index_images + " indexed)."));
      return;
    }
    const head = el("tr", {}, ...["reference", "score", "verdict", "similarity", "inliers"].map((h) => el("th", { scope: "col" }, h)));
    const rows = found.map((m) => el("tr", {},
      el("td", {}, m.ref), el("td", {}, fmt(m.score, 3)),
      el("td", {}, m.score > 0.5 ? (m.exact ? "same file" : "edited copy") : "–"),
      el("td", {}, fmt(m.similarity, 3)), el("td", {}, String(m.inliers))));
    $("matches").replaceChildren(el("table", { class: "matches" }, el("thead", {}, head), el("tbody", {}, ...rows)));
  }

  async function embed(event) {
    event.preventDefault();
    if (!current) return;
    const button = event.submitter || $("embed-form").querySelector("button");
    const target = $("embed-result");
    const message = $("message").value.trim();
    button.disabled = true;
    target.className = "pending";
    target.textContent = "Embedding…";
    try {
      const result = await post("/v1/watermark/embed?message=" + encodeURIComponent(message), current.file);
      if (!result.ok) {
        target.className = "error";
        target.textContent = errorText(result);
        return;
      }
      const url = await blobUrl(result.data.output);
      const stem = current.file.name.replace(/\.[^.]*$/, "") || "image";
      const suffix = result.data.output.slice(result.data.output.lastIndexOf("."));
      target.className = "";
      target.replaceChildren(
        "Marked with message " + result.data.message + ": ",
        el("a", { href: url, download: stem + "-marked" + suffix }, "download the marked image"),
      );
    } catch (error) {
      target.className = "error";
      target.textContent = "Download failed: " + error.message;
    } finally {
      button.disabled = false;
    }
  }

  async function addToIndex() {
    if (!current) return;
    const result = await post("/v1/index/add", current.file);
    const target = $("add-result");
    target.textContent = result.ok
      ? (result.data.status === "added" ? "Added to the index." : "Already in the index.")
      : errorText(result);
    if (result.ok) refreshHealth();
  }

  async function refreshHealth() {
    try {
      const response = await fetch("/v1/health");
      health = await response.json();
      const mib = (health.max_upload_bytes / 2 ** 20).toFixed(0);
      $("limits").textContent = "Up to " + mib + " MiB. JPEG, PNG, WebP, TIFF, BMP, GIF, HEIF or AVIF."
        + (health.require_key ? " This service needs an API key." : "");
      if (health.require_key) $("key-box").open = true;
    } catch (error) {
      status("The service cannot be reached.", true);
    }
  }

  function choose(files) {
    const file = files && files[0];
    if (!file) return;
    analyse(file);
    $("results").focus({ preventScroll: true });
  }

  function init() {
    const key = $("key");
    key.value = sessionStorage.getItem(KEY_STORE) || "";
    key.addEventListener("change", () => sessionStorage.setItem(KEY_STORE, key.value.trim()));
    $("key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY_STORE, key.value.trim());
    });
    $("file").addEventListener("change", (event) => choose(event.target.files));
    const drop = $("drop");
    for (const name of ["dragenter", "dragover"]) {
      drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add("over"); });
    }
    for (const name of ["dragleave", "drop"]) {
      drop.addEventListener(name, () => drop.classList.remove("over"));
    }
    drop.addEventListener("drop", (event) => { event.preventDefault(); choose(event.dataTransfer.files); });
    // Dropping an image anywhere else must not navigate away from the page.
    window.addEventListener("dragover", (event) => event.preventDefault());
    window.addEventListener("drop", (event) => event.preventDefault());
    $("opacity").addEventListener("input", setOpacity);
    $("heat-select").addEventListener("change", (event) => {
      if (current) showHeatmap(Number(event.target.value), current.run).catch((e) => status(e.message, true));
    });
    $("embed-form").addEventListener("submit", embed);
    $("add-index").addEventListener("click", addToIndex);
    refreshHealth();
  }

  init();
})();
