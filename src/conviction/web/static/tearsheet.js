// conviction tear sheet: sort the holdings table by a column, filter its rows by text.
// No dependency, nothing fetched; without it the table reads as drawn (largest first).
(function () {
  "use strict";
  function setup() {
    const table = document.getElementById("ts-holdings");
    if (!table || table.dataset.ready) return;
    table.dataset.ready = "1";
    const body = table.tBodies[0];
    const heads = Array.from(table.tHead.rows[0].cells);
    const rows = Array.from(body.rows).filter((r) => r.dataset.filter !== undefined);
    heads.forEach((th, col) => {
      const kind = th.dataset.sort;
      if (!kind) return;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      button.title = "sort by " + th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", () => {
        const down = th.getAttribute("aria-sort") !== "descending";
        heads.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", down ? "descending" : "ascending");
        const key = (r) => {
          const v = r.cells[col].dataset.v || "";
          return kind === "num" ? parseFloat(v) : v.toLowerCase();
        };
        const sorted = rows.slice().sort((a, b) => {
          const x = key(a), y = key(b);
          const c = kind === "num" ? (x - y) || 0 : x.localeCompare(y);
          return down ? -c : c;
        });
        sorted.forEach((r) => body.appendChild(r));
      });
    });
    const tools = document.getElementById("ts-holdings-tools");
    const box = document.getElementById("ts-filter");
    const count = document.getElementById("ts-count");
    if (!tools || !box) return;
    tools.hidden = false;
    box.addEventListener("input", () => {
      const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      rows.forEach((r) => {
        const text = r.dataset.filter.toLowerCase();
        const on = words.every((w) => text.includes(w));
        r.hidden = !on;
        if (on) shown += 1;
      });
      if (count) count.textContent = words.length ? shown + " of " + rows.length + " shown" : "";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
