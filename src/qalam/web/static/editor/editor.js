// Qalam editor: live preview, Kazakh text check with one-click fixes, autosave, image upload.
// Plain script, no framework and no CDN: the editor works on a newsroom's own network.
(function () {
  "use strict";
  const form = document.getElementById("article");
  if (!form) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const lang = form.dataset.lang;
  const storeKey = "qalam-autosave:" + lang + ":" + form.dataset.route;
  const textFields = ["title", "lead", "body"];
  const field = (name) => form.elements.namedItem(name);
  let dirty = false;

  function values() {
    const out = {};
    for (const el of form.elements) {
      if (!el.name || el.type === "file" || el.type === "hidden" || el.type === "submit" || el.name === "note" || el.name === "publish_at") continue;
      out[el.name] = el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
    }
    return out;
  }

  function post(url, body, json) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: Object.assign({"X-CSRFToken": csrf}, json ? {"Content-Type": "application/json"} : {}),
      body: body,
    });
  }

  // --- live preview, rendered by the site itself ---------------------------------------------
  const frame = document.getElementById("preview");
  let previewTimer = null;
  function preview() {
    const data = new FormData(form);
    post(form.dataset.preview, data).then((r) => r.text()).then((html) => { frame.srcdoc = html; });
  }
  function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 600); }

  // --- Kazakh text check --------------------------------------------------------------------------
  const list = document.getElementById("findings");
  const count = document.getElementById("hygiene-count");
  const clean = document.getElementById("hygiene-clean");
  const fixAll = document.getElementById("fix-all");
  const latin = document.getElementById("latin-title");
  let checkTimer = null;
  let current = [];

  function applyFix(name, f) {
    const el = field(name);
    if (el.value.slice(f.start, f.end) !== f.found) return false;
    el.value = el.value.slice(0, f.start) + f.fix + el.value.slice(f.end);
    dirty = true;
    return true;
  }

  function check() {
    const fields = {};
    for (const name of textFields) fields[name] = field(name).value;
    post(form.dataset.check, JSON.stringify({lang: lang, fields: fields}), true)
      .then((r) => r.json()).then((data) => {
        if (latin) latin.textContent = data.latin_title || "";
        current = [];
        list.textContent = "";
        for (const name of textFields) {
          for (const f of data.findings[name] || []) {
            current.push([name, f]);
            const li = document.createElement("li");
            li.className = "finding " + f.kind;
            const what = document.createElement("span");
            what.textContent = T[f.kind] + ": ";
            const found = document.createElement("mark");
            found.textContent = f.found;
            const arrow = document.createTextNode(" → ");
            const fixed = document.createElement("b");
            fixed.textContent = f.fix;
            const button = document.createElement("button");
            button.type = "button";
            button.className = "fix";
            button.textContent = T.fix;
            button.addEventListener("click", () => { applyFix(name, f); check(); schedulePreview(); });
            li.append(what, found, arrow, fixed, " ", button);
            list.append(li);
          }
        }
        count.textContent = String(current.length);
        clean.hidden = current.length > 0;
        fixAll.hidden = current.length < 2;
      });
  }
  function scheduleCheck() { clearTimeout(checkTimer); checkTimer = setTimeout(check, 400); }
  fixAll.addEventListener("click", () => {
    // From the end of each field, so the places of earlier findings do not move.
    current.slice().sort((a, b) => b[1].start - a[1].start).forEach(([name, f]) => applyFix(name, f));
    check(); schedulePreview();
  });

  // --- autosave: to the server every few seconds, to this browser at once ---------------------------
  const status = document.getElementById("autosave-status");
  function autosave() {
    if (!dirty) return;
    dirty = false;
    const data = values();
    try { localStorage.setItem(storeKey, JSON.stringify({at: Date.now(), data: data})); } catch (e) { /* full */ }
    post(form.dataset.autosave, JSON.stringify({data: data, etag: field("etag").value}), true)
      .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(() => { status.textContent = T.saved + " " + new Date().toLocaleTimeString(); })
      .catch(() => { status.textContent = T.offline; dirty = true; });
  }
  setInterval(autosave, 4000);
  window.addEventListener("beforeunload", autosave);
  form.addEventListener("submit", () => { try { localStorage.removeItem(storeKey); } catch (e) { /* */ } });

  const offer = document.getElementById("autosave-offer");
  let kept = JSON.parse(document.getElementById("autosave-data").textContent);
  if (!kept) {
    try {
      const local = JSON.parse(localStorage.getItem(storeKey) || "null");
      const same = local && Object.keys(local.data).every((k) => !field(k) || field(k).value === local.data[k]);
      if (local && !same) { kept = local.data; offer.hidden = false; }
    } catch (e) { /* */ }
  }
  document.getElementById("autosave-restore").addEventListener("click", () => {
    for (const [name, value] of Object.entries(kept || {})) {
      const el = field(name);
      if (!el || el.type === "hidden") continue;
      if (el.type === "checkbox") el.checked = !!value; else el.value = value;
    }
    offer.hidden = true; dirty = true; check(); preview();
  });
  document.getElementById("autosave-discard").addEventListener("click", () => {
    fetch(form.dataset.autosave, {method: "DELETE", credentials: "same-origin", headers: {"X-CSRFToken": csrf}});
    try { localStorage.removeItem(storeKey); } catch (e) { /* */ }
    offer.hidden = true;
  });

  // --- images, through the content API (checked with Pillow, GPS removed) ---------------------------
  const uploadError = document.getElementById("upload-error");
  function upload(input, done) {
    const file = input.files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    data.append("lang", lang);
    data.append("route", form.dataset.route);
    uploadError.hidden = true;
    status.textContent = T.uploading;
    post(form.dataset.media, data).then((r) => r.json().then((j) => [r.ok, j])).then(([ok, j]) => {
      status.textContent = "";
      input.value = "";
      if (!ok) { uploadError.textContent = j.detail; uploadError.hidden = false; return; }
      done(j);
      dirty = true; schedulePreview();
    });
  }
  document.getElementById("lead-upload").addEventListener("change", (e) => upload(e.target, (j) => {
    const select = field("lead_image_file");
    const option = document.createElement("option");
    option.value = option.textContent = j.name;
    select.append(option);
    select.value = j.name;
  }));
  document.getElementById("body-image").addEventListener("change", (e) => upload(e.target, (j) => {
    const body = field("body");
    const at = body.selectionStart || body.value.length;
    body.value = body.value.slice(0, at) + "\n\n" + j.markdown + "\n\n" + body.value.slice(at);
  }));

  form.addEventListener("input", (e) => {
    dirty = true;
    schedulePreview();
    if (textFields.includes(e.target.name)) scheduleCheck();
  });
  form.addEventListener("change", () => { dirty = true; schedulePreview(); });
  preview();
  check();
})();
