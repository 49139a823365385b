// The book's rows (/book/transactions, /book/marks, /book/fx): add, edit and delete a row,
// upload a CSV (a preview, then apply), through this server's REST API with the write
// token the page header keeps. An error is shown next to the field it names.
(function () {
  "use strict";
  const { call } = window.conviction;  // app.js
  const MAX_UPLOAD = 2000000;

  // The API's errors as [field, message] pairs: ours ({message, field, line, file}) or
  // pydantic's list ({loc, msg}); a rule's message may start with its field ("price: ...").
  function problems(data) {
    const d = data && data.detail;
    if (!d) return [["", "refused"]];
    if (Array.isArray(d)) {
      const wrappers = ["body", "values", "transactions", "marks", "rates"];
      return d.map((e) => {
        const loc = (e.loc || []).filter((p) => typeof p === "string" && !wrappers.includes(p));
        let msg = (e.msg || "").replace(/^Value error, /, "");
        let name = loc.length ? loc[loc.length - 1] : "";
        const m = /^([a-z_]+): (.*)$/.exec(msg);
        if (!name && m) { name = m[1]; msg = m[2]; }
        return [name, msg];
      });
    }
    const where = d.field || "";
    const name = where.split(".").pop().replace(/\[\d+\]$/, "");
    let text = d.message || JSON.stringify(d);
    if (d.file) text = d.file + (d.line ? ":" + d.line : "") + (d.field ? ", field '" + d.field + "'" : "") + ": " + text;
    return [[name, text]];
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((e) => { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  }

  function showErrors(form, out, list) {
    const rest = [];
    list.forEach(([name, msg]) => {
      const slot = name && form.querySelector('.field-error[data-field="' + name + '"]');
      const input = name && form.querySelector('[name="' + name + '"]');
      if (slot) {
        slot.textContent = msg;
        if (input) input.setAttribute("aria-invalid", "true");
      } else {
        rest.push((name ? name + ": " : "") + msg);
      }
    });
    out.textContent = "refused" + (rest.length ? ": " + rest.join("; ") : " (see the fields)");
    out.dataset.state = "error";
  }

  // The form's fields as text, as a row of the book's CSV file holds them: the server
  // reads them with conviction load's own reader (its messages, the field named).
  function rowOf(form) {
    const row = {};
    form.querySelectorAll("input[name], select[name]").forEach((input) => {
      row[input.name] = input.value.trim();
    });
    return row;
  }

  const form = document.getElementById("row-form");
  if (form) {
    const kind = form.dataset.kind;
    const out = form.querySelector(".result");
    const submit = document.getElementById("row-submit");
    const cancel = document.getElementById("row-cancel");
    const title = document.getElementById("form-title");
    const addTitle = title ? title.textContent : "";
    // A row from one of the book's files: where the change is written.
    function inFile(tr) {
      return tr && tr.dataset.file ? tr.dataset.file + " line " + tr.dataset.line : "";
    }
    function editing(id, values, where) {
      form.dataset.id = id || "";
      form.dataset.file = where || "";
      submit.textContent = id ? (where ? "save into " + where : "save changes") : "add";
      cancel.hidden = !id;
      if (title) {
        title.textContent = !id ? addTitle
          : where ? "Edit row " + id + " (written into " + where + ", then the book loaded)"
          : "Edit row " + id + " (saved as a new row)";
      }
      clearErrors(form);
      out.textContent = "";
      if (!values) return;
      Object.entries(values).forEach(([name, value]) => {
        const input = form.querySelector('[name="' + name + '"]');
        if (input) input.value = value === null || value === undefined ? "" : String(value);
      });
      form.scrollIntoView({ block: "start" });
    }
    cancel.addEventListener("click", () => editing("", null, ""));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const id = form.dataset.id;
      const row = rowOf(form);
      out.textContent = "saving…";
      out.dataset.state = "";
      const r = id
        ? await call("PUT", "/api/v1/forms/" + kind + "/" + encodeURIComponent(id), { values: row })
        : await call("POST", "/api/v1/forms/" + kind, { values: row });
      if (!r.ok) {
        if (r.status === 401) { out.textContent = "refused (401): type the token in the box at the top right"; out.dataset.state = "error"; return; }
        showErrors(form, out, problems(r.data));
        return;
      }
      const where = form.dataset.file;
      out.textContent = !id ? "added"
        : (where ? "written into " + where + "; " : "") + "saved as row " + r.data.id;
      out.dataset.state = "saved";
      setTimeout(() => window.location.reload(), 600);
    });
    document.querySelectorAll("button.row-edit").forEach((button) => {
      button.addEventListener("click", () => {
        const tr = button.closest("tr");
        editing(tr.dataset.id, JSON.parse(button.dataset.row), inFile(tr));
      });
    });
    document.querySelectorAll("button.row-delete").forEach((button) => {
      button.addEventListener("click", async () => {
        const tr = button.closest("tr");
        const where = inFile(tr);
        const question = "Delete row " + tr.dataset.id + "?" +
          (where ? " It is removed from " + where + " (the file), then the book loaded." : "");
        if (!window.confirm(question)) return;
        const r = await call("DELETE", "/api/v1/" + kind + "/" + encodeURIComponent(tr.dataset.id));
        if (!r.ok) { out.textContent = "delete refused (" + r.status + "): " + problems(r.data).map((p) => p[1]).join("; "); out.dataset.state = "error"; form.scrollIntoView(); return; }
        window.location.reload();
      });
    });
    if (window.location.hash === "#row-form") {
      const price = form.querySelector('[name="price"]');
      if (price) price.focus();
    }
  }

  const upload = document.getElementById("upload-form");
  if (upload) {
    const kind = upload.dataset.kind;
    const out = upload.querySelector(".result");
    const apply = document.getElementById("upload-apply");
    const shown = document.getElementById("upload-result");
    let ready = null;

    function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
    function table(rows, label) {
      const wrap = document.createElement("div");
      const h = document.createElement("h3");
      h.textContent = label + " (" + rows.length + ")";
      wrap.appendChild(h);
      if (!rows.length) return wrap;
      const t = document.createElement("table");
      const names = Object.keys(rows[0].values);
      const head = document.createElement("tr");
      ["line"].concat(names, rows[0].replaces !== undefined && rows[0].replaces !== null ? ["replaces"] : []).forEach((n) => {
        const th = document.createElement("th"); th.textContent = n; head.appendChild(th);
      });
      t.appendChild(head);
      rows.slice(0, 200).forEach((r) => {
        const tr = document.createElement("tr");
        tr.appendChild(cell(String(r.line)));
        names.forEach((n) => tr.appendChild(cell(r.values[n] === null ? "" : String(r.values[n]))));
        if (r.replaces) tr.appendChild(cell("row " + r.replaces.id + ": " + r.replaces.values.price));
        t.appendChild(tr);
      });
      wrap.appendChild(t);
      return wrap;
    }
    function render(data) {
      shown.textContent = "";
      shown.appendChild(table(data.add, "adds"));
      if (kind === "marks") shown.appendChild(table(data.change, "changes"));
      const p = document.createElement("p");
      p.textContent = data.unchanged.length + " line(s) already stored as they are";
      shown.appendChild(p);
    }
    async function send(preview) {
      const file = upload.querySelector('input[type="file"]').files[0];
      if (!file) { out.textContent = "choose a file first"; out.dataset.state = "error"; return null; }
      if (file.size > MAX_UPLOAD) {
        out.textContent = "refused: " + file.name + " is " + (file.size / 1e6).toFixed(1) +
          " MB; an upload takes at most 2 MB (10,000 rows): load a bigger file with `conviction load`";
        out.dataset.state = "error";
        return null;
      }
      const url = "/api/v1/uploads/" + kind + (preview ? "/preview" : "") + "?name=" + encodeURIComponent(file.name);
      const body = await file.arrayBuffer();
      return call("POST", url, body, "text/csv");
    }
    upload.addEventListener("submit", async (event) => {
      event.preventDefault();
      apply.disabled = true;
      ready = null;
      shown.textContent = "";
      out.textContent = "checking…";
      out.dataset.state = "";
      const r = await send(true);
      if (!r) return;
      if (!r.ok) { out.textContent = "refused (" + r.status + "): " + problems(r.data).map((p) => p[1]).join("; "); out.dataset.state = "error"; return; }
      render(r.data);
      ready = r.data;
      out.textContent = "preview of " + r.data.file + ": " + r.data.add.length + " to add, " + r.data.change.length + " to change";
      out.dataset.state = "preview";
      apply.disabled = !(r.data.add.length || r.data.change.length);
    });
    apply.addEventListener("click", async () => {
      if (!ready) return;
      apply.disabled = true;
      out.textContent = "applying…";
      const r = await send(false);
      if (!r) return;
      if (!r.ok) { out.textContent = "refused (" + r.status + "): " + problems(r.data).map((p) => p[1]).join("; "); out.dataset.state = "error"; return; }
      out.textContent = "applied: " + r.data.add.length + " added, " + r.data.change.length + " changed";
      out.dataset.state = "saved";
      setTimeout(() => window.location.reload(), 800);
    });
  }
})();
