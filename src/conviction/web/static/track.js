// The track page: start a track job through the REST API (with the write token the page
// header keeps), follow its progress, then show its page. Nothing is loaded from elsewhere.
(function () {
  "use strict";
  const { call, why, follow } = window.conviction;  // app.js
  const page = (id) => "/theses/track?job=" + encodeURIComponent(id);

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
    const id = job.dataset.job;
    follow("/api/v1/tracks/" + encodeURIComponent(id), " paths", () => { window.location.href = page(id); });
  }
})();
