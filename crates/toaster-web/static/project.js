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

  // Shows modal `id` until one of its buttons `ok` or `cancel` is pressed; resolves
  // true for `ok`.
  function confirmModal(id, ok, cancel) {
    const m = document.getElementById(id);
    if (!m) return Promise.resolve(true);
    m.classList.remove("hidden");
    return new Promise((resolve) => {
      const done = (v) => {
        m.classList.add("hidden");
        document.getElementById(ok).onclick = null;
        document.getElementById(cancel).onclick = null;
        resolve(v);
      };
      document.getElementById(ok).onclick = (e) => { e.preventDefault(); done(true); };
      document.getElementById(cancel).onclick = () => done(false);
    });
  }

  // A list item holding `text` (as text).
  function li(text) {
    const x = document.createElement("li");
    x.textContent = text;
    return x;
  }

  // A typeahead: fill the datalist of `input` from xhr_typeahead as the user types
  // (`url` may be a function, asked each time; no URL, no request).
  function typeahead(input, url, onPick) {
    if (!input) return;
    const list = document.getElementById(input.getAttribute("list"));
    let results = [];
    let timer = null;
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const word = input.value.trim().split(/\s+/).pop() || "";
        const base = typeof url === "function" ? url() : url;
        if (!base) return;
        fetch(base + (base.includes("?") ? "&" : "?") + "search=" + encodeURIComponent(word), { headers: { Accept: "application/json" } })
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
    // Adding a layer offers the layers it depends on that the project lacks (Toaster's
    // dependencies modal); removing one other project layers depend on asks first.
    const layerInfo = (lv) => fetch(ROOT + "/xhr_layer/" + pid + "/" + lv, { headers: { Accept: "application/json" } }).then((r) => r.json());
    const addLayer = (lv, name) => layerInfo(lv).then((j) => {
      const deps = j.error === "ok" && j.layerdeps ? j.layerdeps.list : [];
      if (deps.length === 0) {
        send("POST", xhrProject, { layerAdd: lv }).then((x) => reloadOr(x, "You have added 1 layer to your project: " + name));
        return;
      }
      document.getElementById("dependencies-modal-title").textContent = name;
      document.getElementById("dependencies-modal-layer-name").textContent = name;
      const list = document.getElementById("dependencies-list");
      list.replaceChildren(...deps.map((d) => {
        const item = document.createElement("li");
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.name = "dependencies";
        box.value = String(d.id);
        box.checked = true;
        box.dataset.layerName = d.name;
        label.append(box, " " + d.name);
        item.appendChild(label);
        return item;
      }));
      confirmModal("dependencies-modal", "dependencies-modal-add", "dependencies-modal-cancel").then((yes) => {
        if (!yes) return;
        const picked = [...list.querySelectorAll("input:checked")];
        const ids = [lv, ...picked.map((c) => c.value)];
        const msg = picked.length === 0
          ? "You have added 1 layer to your project: " + name
          : "You have added " + ids.length + " layers to your project: " + name + " and its dependencies " + picked.map((c) => c.dataset.layerName).join(", ");
        send("POST", xhrProject, { layerAdd: ids.join(",") }).then((x) => reloadOr(x, msg));
      });
    });
    const removeLayer = (lv, name) => layerInfo(lv).then((j) => {
      const go = () => send("POST", xhrProject, { layerDel: lv }).then((x) => reloadOr(x, "You have removed 1 layer from your project: " + name));
      const needing = j.error === "ok" && j.dependents ? j.dependents : [];
      if (needing.length === 0) return go();
      document.querySelectorAll("#remove-layer-modal .remove-layer-name").forEach((e) => { e.textContent = name; });
      document.getElementById("remove-layer-dependents").replaceChildren(...needing.map((d) => li(d.name)));
      return confirmModal("remove-layer-modal", "remove-layer-confirmed", "remove-layer-cancel").then((yes) => yes && go());
    });
    // Add a layer by name.
    const addForm = document.getElementById("add-layer-form");
    if (addForm) {
      const addInput = document.getElementById("layer-add-input");
      const results = typeahead(addInput, ROOT + "/xhr_typeahead/" + pid + "/layers?include_added=false", true);
      addForm.addEventListener("submit", (e) => {
        e.preventDefault();
        const name = addInput.value.trim();
        const hit = results().find((x) => x.name === name);
        if (!hit) {
          showError("project-error", "No compatible layer called " + name);
          return;
        }
        addLayer(String(hit.id), name);
      });
    }
    // Add/remove buttons (project page, tables, layer details), select machine/distro,
    // build a recipe from a table.
    document.addEventListener("click", (e) => {
      const b = e.target.closest("button");
      if (!b) return;
      if (b.classList.contains("layer-add-btn")) {
        addLayer(b.dataset.layerId, b.dataset.layerName);
      } else if (b.classList.contains("layer-remove-btn")) {
        removeLayer(b.dataset.layerId, b.dataset.layerName);
      } else if (b.classList.contains("select-machine-btn")) {
        send("POST", xhrProject, { machineName: b.dataset.name }).then((j) => reloadOr(j, "You have changed the machine to: " + b.dataset.name));
      } else if (b.classList.contains("select-distro-btn")) {
        send("POST", xhrProject, { distroName: b.dataset.name }).then((j) => reloadOr(j, "You have changed the distro to: " + b.dataset.name));
      } else if (b.classList.contains("build-recipe-btn")) {
        startBuild(b.dataset.recipe);
      } else if (b.id === "delete-layer-btn") {
        confirmModal("delete-layer-modal", "layer-delete-confirmed", "layer-delete-cancel").then((yes) => {
          if (!yes) return;
          send("DELETE", ROOT + "/xhr_layer/" + pid + "/" + b.dataset.layerId, {}).then((j) => {
            if (j.error !== "ok") {
              showError("project-error", j.error);
              return;
            }
            sessionStorage.setItem("toaster-notify", "You have deleted 1 layer: " + document.getElementById("layer-name").firstChild.textContent.trim());
            window.location.href = j.gotoUrl;
          });
        });
      }
    });
    layerEditPage(pid, reloadOr);
    releaseChange(pid, xhrProject, reloadOr);
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

  // The layer details page of an imported layer: edit its git URL, subdirectory,
  // revision (typeahead of the repository's branches and tags), directory, summary and
  // dependencies (Toaster's xhr_layer POST).
  function layerEditPage(pid, reloadOr) {
    const form = document.getElementById("edit-layer-form");
    if (!form) return;
    const lv = form.dataset.layerId;
    const url = ROOT + "/xhr_layer/" + pid + "/" + lv;
    document.getElementById("edit-layer-toggle").addEventListener("click", () => form.classList.toggle("hidden"));
    document.getElementById("edit-layer-cancel").addEventListener("click", () => form.classList.add("hidden"));
    const gitUrl = document.getElementById("edit-layer-git-repo-url");
    gitRevTypeahead(document.getElementById("edit-layer-git-ref"), gitUrl);
    const depInput = document.getElementById("edit-layer-dependency");
    const results = typeahead(depInput, ROOT + "/xhr_typeahead/" + pid + "/layers", true);
    const fail = (j) => showError("edit-layer-error", j.error);
    depInput.addEventListener("change", () => {
      const hit = results().find((x) => x.name === depInput.value.trim());
      if (!hit) return;
      send("POST", url, { add_dep: String(hit.id) }).then((j) => (j.error === "ok" ? reloadOr(j, "You have added a dependency on " + hit.name) : fail(j)));
    });
    form.querySelectorAll(".edit-layer-rm-dep").forEach((b) => b.addEventListener("click", () => {
      send("POST", url, { rm_dep: b.dataset.layerId }).then((j) => (j.error === "ok" ? reloadOr(j) : fail(j)));
    }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const f = { summary: document.getElementById("edit-layer-summary").value };
      if (gitUrl) {
        f.vcs_url = gitUrl.value.trim();
        f.dirpath = document.getElementById("edit-layer-subdir").value.trim();
        f.commit = document.getElementById("edit-layer-git-ref").value.trim();
      } else {
        f.local_source_dir = document.getElementById("edit-layer-local-dir").value.trim();
      }
      send("POST", url, f).then((j) => (j.error === "ok" ? reloadOr(j, "You have changed the layer") : fail(j)));
    });
  }

  // A git revision typeahead: the branches and tags of the repository in `urlInput`.
  function gitRevTypeahead(input, urlInput) {
    if (!input || !urlInput) return;
    typeahead(input, () => {
      const u = urlInput.value.trim();
      return u ? ROOT + "/xhr_typeahead/gitrev?git_url=" + encodeURIComponent(u) : "";
    }, true);
  }

  // The project's release: xhr_testreleasechange says which layers the new release
  // lacks; when some would go, a modal lists them first.
  function releaseChange(pid, xhrProject, reloadOr) {
    const toggle = document.getElementById("release-change-toggle");
    const form = document.getElementById("change-release-form");
    if (!toggle || !form) return;
    toggle.addEventListener("click", () => form.classList.toggle("hidden"));
    document.getElementById("cancel-release-change").addEventListener("click", () => form.classList.add("hidden"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const sel = document.getElementById("project-release-select");
      const rel = sel.value;
      const relName = sel.options[sel.selectedIndex].textContent;
      fetch(ROOT + "/xhr_testreleasechange/" + pid + "?new_release_id=" + encodeURIComponent(rel), { headers: { Accept: "application/json" } })
        .then((r) => r.json())
        .then((j) => {
          if (j.error !== "ok") {
            showError("project-error", j.error);
            return;
          }
          const go = () => send("POST", xhrProject, { projectVersion: rel }).then((x) => reloadOr(x, "You have changed the release to: " + relName));
          if (j.rows.length === 0) return go();
          document.getElementById("change-release-to").textContent = relName;
          document.getElementById("change-release-lost-layers").replaceChildren(...j.rows.map((l) => li(l.name)));
          document.getElementById("change-release-replaced").textContent = j.replaced > 0 ? j.replaced + " other layer(s) change to their version of the new release." : "";
          return confirmModal("change-release-modal", "change-release-confirmed", "change-release-cancel").then((yes) => yes && go());
        });
    });
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
    gitRevTypeahead(document.getElementById("layer-git-ref"), document.getElementById("layer-git-repo-url"));
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
    document.getElementById("delete-recipe").addEventListener("click", () => {
      confirmModal("delete-recipe-modal", "delete-custom-recipe-confirmed", "delete-custom-recipe-cancel").then((yes) => {
        if (!yes) return;
        send("DELETE", ROOT + "/xhr_customrecipe/" + rid, { project: pid }).then((j) => {
          if (j.error !== "ok") {
            showError("custom-image-error", j.error);
            return;
          }
          sessionStorage.setItem("toaster-notify", "You have deleted 1 custom image: " + j.name);
          window.location.href = j.gotoUrl;
        });
      });
    });
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
