// conviction web pages: the write token, milestone updates, projection jobs, and what the
// pages' own scripts share (window.conviction: the token, API calls, following a job).
// Everything goes to this server's REST API; nothing is loaded from elsewhere.
(function () {
  "use strict";
  const KEY = "conviction-token";
  const box = document.getElementById("token");
  if (box) {
    box.value = sessionStorage.getItem(KEY) || "";
    box.addEventListener("input", () => sessionStorage.setItem(KEY, box.value.trim()));
  }
  const tokenForm = document.getElementById("token-form");
  if (tokenForm) tokenForm.addEventListener("submit", (event) => event.preventDefault());
  // Incognito: amounts (cards, number cells, chart axes) blurred; kept in localStorage.
  const HIDE = "conviction-incognito";
  const hide = document.getElementById("incognito");
  function incognito(on) {
    document.documentElement.classList.toggle("incognito", on);
    if (hide) { hide.setAttribute("aria-pressed", on ? "true" : "false"); hide.textContent = on ? "show amounts" : "hide amounts"; }
  }
  incognito(localStorage.getItem(HIDE) === "1");
  if (hide) {
    hide.addEventListener("click", () => {
      const on = !document.documentElement.classList.contains("incognito");
      localStorage.setItem(HIDE, on ? "1" : "0");
      incognito(on);
    });
  }
  const token = () => (box && box.value.trim()) || sessionStorage.getItem(KEY) || "";

  // A request to this server's API with the token; ``body`` as JSON, or as is with ``type``.
  async function call(method, url, body, type) {
    const init = { method: method, headers: { Authorization: "Bearer " + token() } };
    if (body !== undefined) {
      init.headers["Content-Type"] = type || "application/json";
      init.body = type ? body : JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { ok: response.ok, status: response.status, data: data };
  }

  function why(data) {
    const d = data && data.detail;
    if (!d) return "";
    if (Array.isArray(d)) return d.map((e) => (e.loc || []).join(".") + ": " + e.msg).join("; ");
    return d.message || JSON.stringify(d);
  }

  const field = (form, name) => form.querySelector('[name="' + name + '"]');

  document.querySelectorAll("form.milestone-form").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = form.querySelector(".result");
      const body = { status: field(form, "status").value, evidence: field(form, "evidence").value };
      if (field(form, "date").value) body.date = field(form, "date").value;
      if (field(form, "due").value) body.due = field(form, "due").value;
      out.textContent = "saving…";
      const url = "/api/v1/theses/" + encodeURIComponent(form.dataset.thesis) +
        "/milestones/" + encodeURIComponent(form.dataset.milestone);
      const r = await call("POST", url, body);
      if (r.ok) {
        out.textContent = "saved: " + r.data.status + " on " + r.data.date;
        out.dataset.state = "saved";
        const row = form.closest("tr");
        const badge = row && row.querySelector(".status");
        if (badge) { badge.textContent = r.data.status; badge.className = "status status-" + r.data.status; }
      } else {
        out.textContent = "refused (" + r.status + "): " + why(r.data);
        out.dataset.state = "error";
      }
    });
  });

  // Follow a background job (GET ``url``) on the page's progress bar until it ends, then
  // ``ended()``; ``unit``: what its counts count (" paths", " runs").
  async function follow(url, unit, ended) {
    const bar = document.getElementById("job-progress");
    const label = document.getElementById("job-status");
    const count = document.getElementById("job-count");
    for (;;) {
      const r = await call("GET", url);
      if (!r.ok) return;
      if (bar) bar.value = r.data.fraction;
      if (label) label.textContent = r.data.status;
      if (count) count.textContent = r.data.done + " / " + r.data.total + unit;
      if (r.data.status === "done" || r.data.status === "failed") {
        ended();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }
  // for the pages' own scripts (track.js, sensitivity.js, edit.js), which run after this one
  window.conviction = { token: token, call: call, why: why, follow: follow };

  const job = document.getElementById("job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    const id = encodeURIComponent(job.dataset.job);
    follow("/api/v1/projections/" + id, " paths", () => { window.location.href = "/projection?job=" + id; });
  }
})();
