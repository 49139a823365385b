// The track page: start a track job through the REST API (with the write token the page
// header keeps), follow its progress, then show its page. Nothing is loaded from elsewhere.
(function () {
  "use strict";
  const KEY = "conviction-token";
  const box = document.getElementById("token");
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

  const page = (id) => "/theses/track?job=" + encodeURIComponent(id);

  async function follow(id) {
    const bar = document.getElementById("job-progress");
    const label = document.getElementById("job-status");
    const count = document.getElementById("job-count");
    for (;;) {
      const r = await call("GET", "/api/v1/tracks/" + encodeURIComponent(id));
      if (!r.ok) return;
      if (bar) bar.value = r.data.fraction;
      if (label) label.textContent = r.data.status;
      if (count) count.textContent = r.data.done + " / " + r.data.total + " paths";
      if (r.data.status === "done" || r.data.status === "failed") {
        window.location.href = page(id);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }

  const form = document.getElementById("track-form");
  if (form) {
    const field = (name) => form.querySelector('[name="' + name + '"]');
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = form.querySelector(".result");
      const body = { spec: field("spec").value };
      if (field("theses").value) body.theses = field("theses").value;
      if (field("paths").value) body.paths = parseInt(field("paths").value, 10);
      if (field("seed").value) body.seed = parseInt(field("seed").value, 10);
      out.textContent = "starting…";
      const r = await call("POST", "/api/v1/tracks", body);
      if (!r.ok) { out.textContent = "refused (" + r.status + "): " + why(r.data); return; }
      window.location.href = page(r.data.id);
    });
  }
  const job = document.getElementById("track-job");
  if (job && (job.dataset.status === "queued" || job.dataset.status === "running")) {
    follow(job.dataset.job);
  }
})();
