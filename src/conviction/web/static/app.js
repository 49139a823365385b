// conviction web pages: the write token, milestone updates, projection jobs.
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

  async function call(method, url, body) {
    const init = { method: method, headers: { Authorization: "Bearer " + token() } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
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

  async function follow(id) {
    const bar = document.getElementById("job-progress");
    const label = document.getElementById("job-status");
    const count = document.getElementById("job-count");
    for (;;) {
      const r = await call("GET", "/api/v1/projections/" + encodeURIComponent(id));
      if (!r.ok) return;
      if (bar) bar.value = r.data.fraction;
      if (label) label.textContent = r.data.status;
      if (count) count.textContent = r.data.done + " / " + r.data.total + " paths";
      if (r.data.status === "done" || r.data.status === "failed") {
        window.location.href = "/projection?job=" + encodeURIComponent(id);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  const projection = document.getElementById("projection-form");
  if (projection) {
    projection.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = projection.querySelector(".result");
      const body = { spec: field(projection, "spec").value };
      const paths = field(projection, "paths").value;
      const seed = field(projection, "seed").value;
      if (paths) body.paths = parseInt(paths, 10);
      if (seed) body.seed = parseInt(seed, 10);
      const asOf = field(projection, "as_of");
      if (asOf && asOf.value) body.as_of = asOf.value;
      out.textContent = "starting…";
      const r = await call("POST", "/api/v1/projections", body);
      if (!r.ok) { out.textContent = "refused (" + r.status + "): " + why(r.data); return; }
      out.textContent = r.data.cached ? "same request as before: its job" : "started";
      window.location.href = "/projection?job=" + encodeURIComponent(r.data.id);
    });
  }
  const job = document.getElementById("job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    follow(job.dataset.job);
  }
})();
