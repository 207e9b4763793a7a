// The project pages: new project, project configuration, variables, layers, build box,
// import layer, typeaheads. Every change is a POST (or DELETE) with the page's CSRF
// token in X-CSRFToken; every answer is JSON {error: "ok" | message}. Text from the
// server is only ever set with textContent or as attribute values, never as markup.
"use strict";

(function () {
  const ROOT = "/toastergui";

  function token() {
    const m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function send(method, url, fields) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields || {})) body.append(k, v);
    return fetch(url, {
      method,
      headers: { "X-CSRFToken": token(), "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: method === "GET" ? undefined : body.toString(),
      credentials: "same-origin",
    }).then((r) => r.json().catch(() => ({ error: "the server answered " + r.status })));
  }

  function showError(id, msg) {
    const e = document.getElementById(id) || document.getElementById("project-error");
    if (!e) return;
    e.textContent = msg;
    e.classList.remove("hidden");
  }

  function notify(msg) {
    const n = document.getElementById("change-notification");
    const m = document.getElementById("change-notification-msg");
    if (n && m) {
      m.textContent = msg;
      n.classList.remove("hidden");
    }
  }

  // A typeahead: fill the datalist of `input` from xhr_typeahead as the user types.
  function typeahead(input, url, onPick) {
    if (!input) return;
    const list = document.getElementById(input.getAttribute("list"));
    let results = [];
    let timer = null;
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const word = input.value.trim().split(/\s+/).pop() || "";
        fetch(url + "?search=" + encodeURIComponent(word), { headers: { Accept: "application/json" } })
          .then((r) => r.json())
          .then((j) => {
            results = j.results || [];
            if (!list) return;
            list.replaceChildren(...results.map((x) => {
              const o = document.createElement("option");
              const before = input.value.trim().split(/\s+/).slice(0, -1).join(" ");
              o.value = onPick ? x.name : (before ? before + " " : "") + x.name;
              o.label = x.detail || "";
              return o;
            }));
          })
          .catch(() => {});
      }, 150);
    });
    return () => results;
  }

  function projectPage(root) {
    const pid = root.dataset.projectId;
    const purl = root.dataset.projectUrl;
    const xhrProject = ROOT + "/xhr_project/" + pid;
    const reloadOr = (j, msg) => {
      if (j.error !== "ok") {
        showError("project-error", j.error);
        return;
      }
      if (msg) sessionStorage.setItem("toaster-notify", msg);
      window.location.reload();
    };
    const pending = sessionStorage.getItem("toaster-notify");
    if (pending) {
      sessionStorage.removeItem("toaster-notify");
      notify(pending);
    }

    // Rename.
    const toggle = document.getElementById("project-change-form-toggle");
    const form = document.getElementById("project-name-change-form");
    if (toggle && form) {
      toggle.addEventListener("click", () => form.classList.toggle("hidden"));
      document.getElementById("project-name-change-cancel").addEventListener("click", () => form.classList.add("hidden"));
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        send("POST", xhrProject, { projectName: document.getElementById("project-name-change-input").value }).then((j) => reloadOr(j));
      });
    }
    // Delete.
    const del = document.getElementById("delete-project-button");
    const modal = document.getElementById("delete-project-modal");
    if (del && modal) {
      del.addEventListener("click", () => modal.classList.remove("hidden"));
      document.getElementById("delete-project-cancel").addEventListener("click", () => modal.classList.add("hidden"));
      document.getElementById("delete-project-confirmed").addEventListener("click", () => {
        send("DELETE", xhrProject, {}).then((j) => {
          if (j.error !== "ok") {
            modal.classList.add("hidden");
            showError("project-error", j.error);
            return;
          }
          sessionStorage.setItem("toaster-notify", "You have deleted 1 project: " + document.getElementById("project-name").textContent);
          window.location.href = j.gotoUrl;
        });
      });
    }
    // Build box: several targets, target:task.
    const build = document.getElementById("build-form");
    const input = document.getElementById("build-input");
    typeahead(input, ROOT + "/xhr_typeahead/" + pid + "/recipes");
    const startBuild = (targets) => {
      send("POST", ROOT + "/xhr_buildrequest/project/" + pid, { targets }).then((j) => {
        if (j.error !== "ok") {
          showError("project-error", j.error);
          return;
        }
        window.location.href = purl + "builds/";
      });
    };
    if (build) {
      build.addEventListener("submit", (e) => {
        e.preventDefault();
        if (input.value.trim()) startBuild(input.value.trim());
      });
    }
    const freq = document.getElementById("freq-build-btn");
    if (freq) {
      freq.addEventListener("click", () => {
        const t = [...document.querySelectorAll(".most-built-recipe:checked")].map((c) => c.value).join(" ");
        if (t) startBuild(t);
      });
    }
    // Machine and distro.
    for (const [what, field] of [["machine", "machineName"], ["distro", "distroName"]]) {
      const t = document.getElementById("change-" + what + "-toggle");
      const f = document.getElementById("select-" + what + "-form");
      if (!t || !f) continue;
      t.addEventListener("click", () => f.classList.toggle("hidden"));
      typeahead(document.getElementById(what + "-change-input"), ROOT + "/xhr_typeahead/" + pid + "/" + what + "s", true);
      f.addEventListener("submit", (e) => {
        e.preventDefault();
        const value = document.getElementById(what + "-change-input").value.trim();
        send("POST", xhrProject, { [field]: value }).then((j) => reloadOr(j, "You have changed the " + what + " to: " + value));
      });
    }
    // Add a layer by name.
    const addForm = document.getElementById("add-layer-form");
    if (addForm) {
      const addInput = document.getElementById("layer-add-input");
      const results = typeahead(addInput, ROOT + "/xhr_typeahead/" + pid + "/layers", true);
      addForm.addEventListener("submit", (e) => {
        e.preventDefault();
        const name = addInput.value.trim();
        const hit = results().find((x) => x.name === name);
        if (!hit) {
          showError("project-error", "No compatible layer called " + name);
          return;
        }
        send("POST", xhrProject, { layerAdd: String(hit.id) }).then((j) => reloadOr(j, "You have added 1 layer to your project: " + name));
      });
    }
    // Add/remove buttons (project page, tables, layer details), select machine/distro,
    // build a recipe from a table.
    document.addEventListener("click", (e) => {
      const b = e.target.closest("button");
      if (!b) return;
      if (b.classList.contains("layer-add-btn")) {
        send("POST", xhrProject, { layerAdd: b.dataset.layerId }).then((j) => reloadOr(j, "You have added 1 layer to your project: " + b.dataset.layerName));
      } else if (b.classList.contains("layer-remove-btn")) {
        send("POST", xhrProject, { layerDel: b.dataset.layerId }).then((j) => reloadOr(j, "You have removed 1 layer from your project: " + b.dataset.layerName));
      } else if (b.classList.contains("select-machine-btn")) {
        send("POST", xhrProject, { machineName: b.dataset.name }).then((j) => reloadOr(j, "You have changed the machine to: " + b.dataset.name));
      } else if (b.classList.contains("select-distro-btn")) {
        send("POST", xhrProject, { distroName: b.dataset.name }).then((j) => reloadOr(j, "You have changed the distro to: " + b.dataset.name));
      } else if (b.classList.contains("build-recipe-btn")) {
        startBuild(b.dataset.recipe);
      } else if (b.id === "delete-layer-btn") {
        send("DELETE", ROOT + "/xhr_layer/" + pid + "/" + b.dataset.layerId, {}).then((j) => {
          if (j.error !== "ok") {
            showError("project-error", j.error);
            return;
          }
          window.location.href = j.gotoUrl;
        });
      }
    });
    configPage(pid);
    importPage(pid, purl);
    customImagePages(pid);
  }

  function configPage(pid) {
    const url = ROOT + "/xhr_configvaredit/" + pid;
    const done = (j) => {
      if (j.error !== "ok") {
        showError("config-error", j.error);
        return;
      }
      window.location.reload();
    };
    const boxes = [...document.querySelectorAll(".fs-checkbox-fstypes")];
    const fsInput = document.getElementById("new-imagefs_types");
    if (fsInput) {
      const sync = () => {
        const have = new Set(fsInput.value.split(/\s+/).filter(Boolean));
        boxes.forEach((c) => { c.checked = have.has(c.value); });
      };
      sync();
      fsInput.addEventListener("input", sync);
      boxes.forEach((c) => c.addEventListener("change", () => {
        const have = fsInput.value.split(/\s+/).filter(Boolean).filter((t) => t !== c.value);
        if (c.checked) have.push(c.value);
        fsInput.value = have.join(" ");
      }));
    }
    document.querySelectorAll(".var-save").forEach((b) => b.addEventListener("click", () => {
      const input = b.parentElement.querySelector(".var-input");
      send("POST", url, { variable: b.dataset.variable, value: input.value.trim() }).then(done);
    }));
    document.querySelectorAll(".var-delete").forEach((b) => b.addEventListener("click", () => {
      send("POST", url, { configvarDel: b.dataset.variableId }).then(done);
    }));
    const add = document.getElementById("add-configvar-form");
    if (add) {
      add.addEventListener("submit", (e) => {
        e.preventDefault();
        send("POST", url, { variable: document.getElementById("variable").value.trim(), value: document.getElementById("value").value }).then(done);
      });
    }
  }

  function importPage(pid, purl) {
    const form = document.getElementById("import-layer-form");
    if (!form) return;
    const git = document.getElementById("git-fields");
    const local = document.getElementById("local-fields");
    form.querySelectorAll('input[name="repo"]').forEach((r) => r.addEventListener("change", () => {
      const isGit = document.getElementById("repo-git").checked;
      git.classList.toggle("hidden", !isGit);
      local.classList.toggle("hidden", isGit);
    }));
    const depInput = document.getElementById("layer-dependency");
    const results = typeahead(depInput, ROOT + "/xhr_typeahead/" + pid + "/layers", true);
    const deps = new Map();
    const list = document.getElementById("layer-deps-list");
    document.getElementById("add-layer-dependency-btn").addEventListener("click", () => {
      const hit = results().find((x) => x.name === depInput.value.trim());
      if (!hit) return;
      deps.set(hit.id, hit.name);
      const li = document.createElement("li");
      li.textContent = hit.name;
      list.appendChild(li);
      depInput.value = "";
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const isGit = document.getElementById("repo-git").checked;
      const f = {
        name: document.getElementById("import-layer-name").value.trim(),
        summary: document.getElementById("layer-summary").value,
        layer_deps: [...deps.keys()].join(","),
      };
      if (isGit) {
        f.vcs_url = document.getElementById("layer-git-repo-url").value.trim();
        f.dir_path = document.getElementById("layer-subdir").value.trim();
        f.git_ref = document.getElementById("layer-git-ref").value.trim();
      } else {
        f.local_source_dir = document.getElementById("local-dir-path").value.trim();
      }
      send("POST", ROOT + "/xhr_layer/" + pid, f).then((j) => {
        if (j.error !== "ok") {
          showError("import-error", j.error);
          return;
        }
        sessionStorage.setItem("toaster-notify", "You have imported " + f.name + " and added it to your project.");
        window.location.href = purl;
      });
    });
  }

  function customImagePages(pid) {
    const modal = document.getElementById("new-custom-image-modal");
    let base = null;
    document.querySelectorAll(".customise-btn").forEach((b) => b.addEventListener("click", () => {
      base = b.dataset.recipe;
      document.getElementById("new-custom-image-base").textContent = b.dataset.recipeName;
      modal.classList.remove("hidden");
    }));
    if (modal) {
      document.getElementById("new-custom-image-cancel").addEventListener("click", () => modal.classList.add("hidden"));
      document.getElementById("create-new-custom-image-btn").addEventListener("click", () => {
        const name = document.getElementById("new-custom-image-name").value.trim();
        send("POST", ROOT + "/xhr_customrecipe", { name, project: pid, base }).then((j) => {
          if (j.error !== "ok") {
            const help = document.getElementById("invalid-name-help");
            help.textContent = j.error;
            help.classList.remove("hidden");
            return;
          }
          window.location.href = j.url;
        });
      });
    }
    const head = document.getElementById("custom-image-name");
    if (!head) return;
    const rid = head.dataset.recipeId;
    const change = (method, name) => send(method, ROOT + "/xhr_customrecipe/" + rid + "/packages/" + encodeURIComponent(name), { project: pid }).then((j) => {
      if (j.error !== "ok") {
        showError("custom-image-error", j.error);
        return;
      }
      window.location.reload();
    });
    document.getElementById("add-package-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const name = document.getElementById("add-package-input").value.trim();
      if (name) change("PUT", name);
    });
    document.querySelectorAll(".package-remove-btn").forEach((b) => b.addEventListener("click", () => change("DELETE", b.dataset.package)));
    document.querySelectorAll(".package-add-btn").forEach((b) => b.addEventListener("click", () => change("PUT", b.dataset.package)));
  }

  function newProjectPage() {
    const form = document.getElementById("new-project-form");
    if (!form) return;
    const name = document.getElementById("new-project-name");
    const button = document.getElementById("create-project-button");
    const hint = document.getElementById("hint-error-project-name");
    const isImport = () => document.getElementById("type-import").checked;
    const dir = document.getElementById("import-project-dir");
    let taken = false;
    const check = () => {
      const ok = name.value.trim() !== "" && !taken && (!isImport() || dir.value.trim() !== "");
      button.disabled = !ok;
    };
    let timer = null;
    name.addEventListener("input", () => {
      window.clearTimeout(timer);
      check();
      timer = window.setTimeout(() => {
        const n = name.value.trim();
        fetch(ROOT + "/xhr_typeahead/projects?search=" + encodeURIComponent(n), { headers: { Accept: "application/json" } })
          .then((r) => r.json())
          .then((j) => {
            taken = (j.results || []).some((p) => p.name === n);
            hint.classList.toggle("hidden", !taken);
            check();
          })
          .catch(() => {});
      }, 100);
    });
    const showRelease = () => {
      const sel = document.getElementById("projectversion");
      document.querySelectorAll(".release-help").forEach((p) => p.classList.toggle("hidden", !sel || p.dataset.release !== sel.value));
    };
    const rel = document.getElementById("projectversion");
    if (rel) rel.addEventListener("change", showRelease);
    showRelease();
    form.querySelectorAll('input[name="ptype"]').forEach((r) => r.addEventListener("change", () => {
      document.getElementById("import-project").classList.toggle("hidden", !isImport());
      document.getElementById("new-project-release").classList.toggle("hidden", isImport());
      check();
    }));
    dir.addEventListener("input", check);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (button.disabled) return;
      const f = {
        projectname: name.value.trim(),
        ptype: isImport() ? "import" : "new",
        mergeattr: document.getElementById("merge-attr").checked ? "on" : "",
      };
      if (isImport()) f.importdir = dir.value.trim();
      else if (rel) f.projectversion = rel.value;
      send("POST", ROOT + "/newproject/", f).then((j) => {
        if (j.error !== "ok") {
          showError("new-project-error", j.error);
          return;
        }
        window.location.href = j.url;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const root = document.getElementById("project-page");
    if (root) projectPage(root);
    newProjectPage();
  });
})();
