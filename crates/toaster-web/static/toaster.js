// bake's Toaster: the small amount of behaviour the pages have. Everything it puts in
// the page goes through textContent or element properties, never innerHTML.
"use strict";

function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : "";
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function urlWith(changes) {
  const u = new URL(window.location.href);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === "") u.searchParams.delete(k); else u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

// ---- ToasterTable -------------------------------------------------------------------
function setupTable(box) {
  const id = box.dataset.table;
  const table = document.getElementById(id);
  const key = "toaster-hidden-columns-" + id;
  const setColumn = (name, visible) => {
    if (!table) return;
    table.querySelectorAll("th." + CSS.escape(name) + ", td." + CSS.escape(name))
      .forEach((c) => c.classList.toggle("hidden", !visible));
  };
  let saved = null;
  try { saved = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
  const boxes = box.querySelectorAll("ul.editcol input[type=checkbox]");
  if (saved && typeof saved === "object") {
    boxes.forEach((cb) => {
      if (cb.disabled || !(cb.value in saved)) return;
      cb.checked = !!saved[cb.value];
      setColumn(cb.value, cb.checked);
    });
  }
  const editBtn = box.querySelector("#edit-columns-button");
  const menu = box.querySelector("ul.editcol");
  if (editBtn && menu) {
    editBtn.addEventListener("click", () => menu.classList.toggle("hidden"));
  }
  boxes.forEach((cb) => cb.addEventListener("change", () => {
    setColumn(cb.value, cb.checked);
    const state = saved && typeof saved === "object" ? saved : {};
    state[cb.value] = cb.checked;
    saved = state;
    try { window.localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* private mode */ }
    // Hiding the column the table is sorted by goes back to the default order.
    const order = (box.dataset.orderby || "").replace(/^-/, "");
    if (!cb.checked && order === cb.value) {
      window.location.href = urlWith({ orderby: box.dataset.defaultOrderby, page: null });
    }
  }));
  const sizes = box.querySelector("select.pagesize-" + CSS.escape(id));
  if (sizes) {
    sizes.addEventListener("change", () => {
      window.location.href = urlWith({ limit: sizes.value, page: null });
    });
  }
  const modal = document.getElementById("filter-modal-" + id);
  box.querySelectorAll("button.filter-btn").forEach((b) => {
    b.addEventListener("click", () => openFilter(b.dataset.filter, box, modal));
  });
}

function openFilter(name, box, modal) {
  if (!modal) return;
  const u = new URL(window.location.href);
  const q = new URLSearchParams();
  q.set("format", "json");
  q.set("cmd", "filterinfo");
  q.set("name", name);
  if (u.searchParams.get("search")) q.set("search", u.searchParams.get("search"));
  fetch(u.pathname + "?" + q.toString(), { headers: { Accept: "application/json" } })
    .then((r) => r.json())
    .then((info) => {
      const form = modal.querySelector("form.filter-actions");
      form.replaceChildren();
      modal.querySelector(".modal-title").textContent = info.title || name;
      const current = u.searchParams.get("filter") || (name + ":all");
      for (const a of info.filter_actions || []) {
        const value = info.name + ":" + a.action_name;
        const label = el("label", {});
        const radio = el("input", { type: "radio", name: "filter", id: value, value: value });
        radio.checked = value === current;
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" " + a.title + (a.count === null ? "" : " (" + a.count + ")")));
        if (a.type === "daterange") {
          const [from, to] = (u.searchParams.get("filter_value") || ",").split(",");
          const f = el("input", { type: "date", class: "date-from", value: from || "" });
          const t = el("input", { type: "date", class: "date-to", value: to || "" });
          label.appendChild(f);
          label.appendChild(t);
        }
        if (a.count === 0) radio.disabled = true;
        form.appendChild(label);
      }
      modal.classList.remove("hidden");
      modal.setAttribute("aria-hidden", "false");
      modal.querySelector(".filter-cancel").onclick = () => modal.classList.add("hidden");
      modal.querySelector(".filter-apply").onclick = () => {
        const chosen = form.querySelector("input[type=radio]:checked");
        if (!chosen || chosen.value.endsWith(":all")) {
          window.location.href = urlWith({ filter: null, filter_value: null, page: null });
          return;
        }
        let value = null;
        const f = chosen.parentElement.querySelector(".date-from");
        const t = chosen.parentElement.querySelector(".date-to");
        if (f && t) value = f.value + "," + t.value;
        window.location.href = urlWith({ filter: chosen.value, filter_value: value, page: null });
      };
    })
    .catch(() => { /* the table still works without counts */ });
}

// ---- Most recent builds -------------------------------------------------------------
function renderBuild(b) {
  const row = el("div", { class: "mrb build-" + String(b.state).toLowerCase().replace(/ /g, "-"), "data-latest-build-result": b.id });
  const link = el("a", { href: b.dashboard_url, class: "mrb-targets", title: b.targets }, b.targets_abbreviated);
  row.appendChild(link);
  const state = el("span", { class: "build-state", "data-build-state": b.state }, b.state);
  row.appendChild(state);
  // A build started from a project page can be cancelled while queued or running.
  const cancellable = ["Queued", "Cloning", "Parsing", "Starting", "In Progress"].includes(b.state);
  if (cancellable && b.buildrequest_id !== null && !b.is_default_project_build) {
    row.appendChild(el("button", { type: "button", class: "btn cancel-build-btn", "data-buildrequest-id": b.buildrequest_id, "data-cancel-url": b.cancel_url }, "Cancel"));
  }
  if (b.state === "Queued" || b.state === "Cancelling") {
    row.appendChild(el("span", { class: "queued-note" }, b.state === "Queued" ? "Build queued" : "Cancelling the build"));
  } else if (b.state === "Parsing") {
    const p = el("div", { class: "progress", title: "Recipes parsed" });
    const bar = el("div", { class: "bar", id: "recipes-parsed-percentage-bar-" + b.id });
    bar.style.width = b.recipes_parsed_percentage + "%";
    p.appendChild(bar);
    row.appendChild(p);
    row.appendChild(el("span", { class: "recipes-parsed-percentage" }, b.recipes_parsed_percentage + "% of recipes parsed"));
  } else if (b.state === "In Progress" || b.state === "Starting") {
    const p = el("div", { class: "progress", title: "Tasks done" });
    const bar = el("div", { class: "bar", id: "build-pc-done-bar-" + b.id });
    bar.style.width = b.tasks_complete_percentage + "%";
    p.appendChild(bar);
    row.appendChild(p);
    row.appendChild(el("span", { class: "build-pc-done", id: "build-pc-done-" + b.id }, b.tasks_complete_percentage + "% of tasks complete"));
  } else {
    if (b.errors > 0) row.appendChild(el("a", { href: b.dashboard_errors_url, class: "errors" }, b.errors + " error" + (b.errors === 1 ? "" : "s")));
    if (b.warnings > 0) row.appendChild(el("a", { href: b.dashboard_warnings_url, class: "warnings" }, b.warnings + " warning" + (b.warnings === 1 ? "" : "s")));
    if (b.state === "Succeeded") row.appendChild(el("a", { href: b.buildtime_url, class: "buildtime" }, "Build time: " + b.buildtime));
    row.appendChild(el("span", { class: "completed-on" }, b.completed_on));
    if (!b.is_default_project_build) {
      const targets = (b.build_targets_json || []).map((t) => (t.task ? t.target + ":" + t.task : t.target)).join(" ");
      row.appendChild(el("button", { type: "button", class: "rebuild-btn btn", "data-rebuild-url": b.rebuild_url, "data-targets": targets }, "Rebuild"));
    }
  }
  return row;
}

function setupMostRecentBuilds(box) {
  const list = box.querySelector(".latest-builds-list");
  const pid = box.dataset.projectId;
  const url = "/toastergui/mostrecentbuilds" + (pid ? "?project_id=" + encodeURIComponent(pid) : "");
  const poll = () => {
    fetch(url, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((builds) => {
        list.replaceChildren(...builds.map(renderBuild));
        box.classList.toggle("hidden", builds.length === 0);
      })
      .catch(() => { /* keep the last state; try again */ });
  };
  list.addEventListener("click", (e) => {
    const again = e.target.closest(".rebuild-btn");
    if (again) {
      again.disabled = true;
      fetch(again.dataset.rebuildUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: "targets=" + encodeURIComponent(again.dataset.targets),
        credentials: "same-origin",
      }).then(poll).catch(() => { again.disabled = false; });
      return;
    }
    const btn = e.target.closest(".cancel-build-btn");
    if (!btn) return;
    btn.disabled = true;
    fetch(btn.dataset.cancelUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: "buildCancel=" + encodeURIComponent(btn.dataset.buildrequestId),
      credentials: "same-origin",
    }).then(poll).catch(() => { btn.disabled = false; });
  });
  poll();
  window.setInterval(poll, 1500);
}

// ---- A build in progress: its dashboard follows api/build/<id> -----------------------
function setupBuildProgress(box) {
  const url = box.dataset.apiUrl;
  const set = (bar, text, pair, words) => {
    const [n, of] = String(pair || "0:0").split(":").map((x) => parseInt(x, 10) || 0);
    const pc = of > 0 ? Math.min(100, Math.floor((n * 100) / of)) : 0;
    document.getElementById(bar).style.width = pc + "%";
    document.getElementById(text).textContent = n + " of " + of + " " + words;
  };
  // The widths the page was rendered with (no inline styles: the CSP forbids them).
  box.querySelectorAll(".bar[data-width]").forEach((b) => { b.style.width = b.dataset.width + "%"; });
  let timer = null;
  const poll = () => {
    fetch(url, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((data) => {
        const b = data.build;
        if (!b) return;
        if (b.outcome !== undefined) {
          // The build ended: the page shows its outcome, errors and summary.
          window.clearInterval(timer);
          window.location.reload();
          return;
        }
        set("dashboard-parse-bar", "dashboard-parse-text", b.parse, "recipes parsed");
        set("dashboard-task-bar", "dashboard-task-text", b.task, "tasks");
      })
      .catch(() => { /* keep the last state; try again */ });
  };
  timer = window.setInterval(poll, 1500);
}

document.addEventListener("DOMContentLoaded", () => {
  const progress = document.getElementById("build-progress");
  if (progress) setupBuildProgress(progress);
  document.querySelectorAll(".toastertable").forEach(setupTable);
  const mrb = document.getElementById("latest-builds");
  if (mrb) setupMostRecentBuilds(mrb);
  const toggle = document.getElementById("warning-toggle");
  const warnings = document.getElementById("warnings");
  if (toggle && warnings) {
    toggle.addEventListener("click", (e) => {
      e.preventDefault();
      warnings.classList.toggle("collapsed");
      toggle.setAttribute("aria-expanded", warnings.classList.contains("collapsed") ? "false" : "true");
    });
  }
});
