// The sensitivity page (and the projection page's compare form): start a job through the
// REST API (with the write token the page header keeps), follow its progress, then show
// its page. A form says where it posts (data-api) and which page shows a job (data-page).
(function () {
  "use strict";
  const { call, follow } = window.conviction;  // app.js

  function why(data) {
    const d = data && data.detail;
    if (!d) return "";
    if (Array.isArray(d)) return d.map((e) => (e.loc || []).slice(1).join(".") + ": " + e.msg).join("; ");
    let text = d.message || JSON.stringify(d);
    if (d.field) text += " (field " + d.field + ")";
    if (d.file) text += ", " + d.file + (d.line ? ":" + d.line : "");
    return text;
  }

  // the body of a form: numbers as numbers, empty fields left out, checkboxes as a list
  function body(form) {
    const out = {};
    for (const el of form.querySelectorAll("input, select")) {
      if (!el.name || el.disabled || el.closest("[hidden]")) continue;
      if (el.type === "checkbox") {
        if (!out[el.name]) out[el.name] = [];
        if (el.checked) out[el.name].push(el.value);
        continue;
      }
      if (el.multiple) { out[el.name] = Array.from(el.selectedOptions).map((o) => o.value); continue; }
      if (el.value === "") continue;
      out[el.name] = el.type === "number" ? Number(el.value) : el.value;
    }
    return out;
  }

  function pageOf(form, id) {
    return (form.dataset.page || "/projection/sensitivity") + "?job=" + encodeURIComponent(id);
  }

  for (const form of document.querySelectorAll("form.run-form")) {
    const spec = form.querySelector('select[name="spec"]');
    const choose = () => {
      for (const set of form.querySelectorAll("fieldset[data-spec]")) set.hidden = set.dataset.spec !== spec.value;
    };
    if (spec) { spec.addEventListener("change", choose); choose(); }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = form.querySelector(".result");
      out.textContent = "starting…";
      const r = await call("POST", form.dataset.api, body(form));
      if (!r.ok) { out.textContent = "refused (" + r.status + "): " + why(r.data); return; }
      window.location.href = (r.data.links && r.data.links.page) || pageOf(form, r.data.id);
    });
  }

  const job = document.getElementById("run-job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    const apis = { sensitivity: "/api/v1/sensitivities/", scenarios: "/api/v1/scenarios/", compare: "/api/v1/comparisons/" };
    const api = job.dataset.api || apis[job.dataset.kind];
    const unit = job.dataset.kind === "sensitivity" ? " runs" : " paths";
    follow(api + encodeURIComponent(job.dataset.job), unit, () => window.location.reload());
  }
})();
