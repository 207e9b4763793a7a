// Browser tests of the project pages, end to end (issue 16), run by projects.sh: the
// catalog comes from a layer index on loopback (lsupdates), builds are run by
// `toaster-manage runbuilds` with the real bake. The tests run in order and share the
// project they create.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.TOASTER_URL;
const SHOTS = process.env.SCREENSHOT_DIR || "screenshots";
const EXE = process.env.CHROMIUM || "/usr/bin/chromium";
const TOASTER_DIR = process.env.TOASTER_DIR_UNDER_TEST;
const HELLO_GIT = process.env.HELLO_GIT_URL;
if (!BASE || !TOASTER_DIR || !HELLO_GIT) throw new Error("TOASTER_URL is not set: run projects.sh");
mkdirSync(SHOTS, { recursive: true });

// Markup, quotes and shell metacharacters: stored and shown as text, never run.
const NAME = 'hello <b>"bold"</b> $(touch /tmp/pwned-e2e) `touch /tmp/pwned-e2e`';
const NOTE = "<script>alert(1)</script> 'q' \"qq\" $(touch /tmp/pwned-e2e); touch /tmp/pwned-e2e";

let browser;
let projectUrl;
let pid;
before(async () => {
  browser = await chromium.launch({
    executablePath: EXE,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
after(async () => { if (browser) await browser.close(); });

async function open(path) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => { errors.push("dialog: " + d.message()); d.dismiss(); });
  await page.goto(BASE + path, { waitUntil: "load" });
  return {
    page,
    errors,
    async done(shot) {
      if (shot) await page.screenshot({ path: `${SHOTS}/${shot}.png`, fullPage: true });
      await page.close();
      assert.deepEqual(errors.filter((e) => !/status of 40[03]/.test(e)), [], "console errors");
    },
  };
}

// The state of the build `id` in the most recent builds box, polled until `want`.
async function waitState(page, id, want, seconds) {
  const seen = [];
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const s = await page.locator(`[data-latest-build-result="${id}"] [data-build-state]`).first().getAttribute("data-build-state").catch(() => null);
    if (s && seen[seen.length - 1] !== s) seen.push(s);
    if (s === want) return seen;
    if (["Succeeded", "Failed", "Cancelled"].includes(s)) throw new Error(`build ${id}: states ${seen.join(" -> ")}, not ${want}`);
    if (Date.now() > end) throw new Error(`build ${id}: states ${seen.join(" -> ")}, never ${want}`);
    await page.waitForTimeout(300);
  }
}

async function newestBuild() {
  const r = await fetch(`${BASE}/toastergui/mostrecentbuilds?project_id=${pid}`);
  const builds = await r.json();
  return Math.max(0, ...builds.map((b) => b.id));
}

async function startBuild(page, targets) {
  await page.goto(BASE + projectUrl);
  await page.fill("#build-input", targets);
  const before = await newestBuild();
  await Promise.all([page.waitForURL(/\/builds\/$/), page.click("#build-button")]);
  const id = await newestBuild();
  assert.ok(id > before, "a build was queued");
  return id;
}

test("new project: name checks, release, created notification", async () => {
  const p = await open("/toastergui/newproject/");
  assert.equal(await p.page.isDisabled("#create-project-button"), true);
  await p.page.fill("#new-project-name", NAME);
  await p.page.waitForFunction(() => !document.getElementById("create-project-button").disabled);
  await p.page.selectOption("#projectversion", { label: "bake's own default layer" });
  await Promise.all([p.page.waitForURL(/\/project\/\d+\/\?notify=new-project$/), p.page.click("#create-project-button")]);
  projectUrl = new URL(p.page.url()).pathname;
  pid = Number(projectUrl.match(/project\/(\d+)/)[1]);
  assert.ok(await p.page.isVisible("#project-created-notification"));
  assert.equal(await p.page.textContent("#project-name"), NAME);
  assert.equal(await p.page.textContent("#project-layers-count"), "1");
  assert.equal(await p.page.locator("#project-name b").count(), 0, "the name is text, not markup");
  assert.match(await p.page.textContent("#project-release-title"), /bake/);
  assert.ok(await p.page.isVisible("#no-most-built"));
  await p.done("project-new");

  // The same name again: refused before sending.
  const q = await open("/toastergui/newproject/");
  await q.page.fill("#new-project-name", NAME);
  await q.page.waitForSelector("#hint-error-project-name:not(.hidden)");
  assert.equal(await q.page.isDisabled("#create-project-button"), true);
  // An import of a directory without conf/ is refused with an error.
  await q.page.fill("#new-project-name", "imported");
  await q.page.check("#type-import");
  await q.page.fill("#import-project-dir", "/nonexistent-build-dir");
  await q.page.waitForFunction(() => !document.getElementById("create-project-button").disabled);
  await q.page.click("#create-project-button");
  await q.page.waitForSelector("#new-project-error:not(.hidden)");
  assert.match(await q.page.textContent("#new-project-error"), /no conf\/ directory/);
  await q.done();
});

test("layers from the layer index: add meta-hello from the compatible layers table", async () => {
  const p = await open(projectUrl + "layers/");
  const layerRow = (name) => p.page.locator("#layerstable tbody tr").filter({ has: p.page.locator("td.layer__name", { hasText: new RegExp(`^${name}$`) }) });
  const row = layerRow("meta-hello");
  assert.equal(await row.count(), 1);
  // The summary from the index is text.
  assert.match(await row.locator("td.layer__summary").textContent(), /The <b>hello<\/b> example/);
  // meta-hello depends on openembedded-core: the dependencies modal offers it (its
  // index URL is not a real repository, so it is left out here).
  await row.locator(".layer-add-btn").click();
  await p.page.waitForSelector("#dependencies-modal:not(.hidden)");
  assert.equal(await p.page.textContent("#dependencies-modal-layer-name"), "meta-hello");
  const offered = p.page.locator('#dependencies-list input[name="dependencies"]');
  assert.equal(await offered.count(), 1);
  assert.equal(await offered.first().isChecked(), true);
  assert.match(await p.page.textContent("#dependencies-list"), /openembedded-core/);
  await p.page.screenshot({ path: `${SHOTS}/layer-dependencies-modal.png`, fullPage: true });
  await offered.first().uncheck();
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#dependencies-modal-add")]);
  await p.page.waitForSelector("#change-notification:not(.hidden)");
  assert.match(await p.page.textContent("#change-notification-msg"), /added 1 layer.*meta-hello/);
  const again = layerRow("meta-hello");
  assert.equal(await again.locator(".layer-remove-btn").count(), 1);
  await p.done("project-layers");
  const q = await open(projectUrl);
  assert.equal(await q.page.textContent("#project-layers-count"), "2");
  const names = await q.page.locator("#layers-in-project-list li a").allTextContents();
  assert.deepEqual(names.sort(), ["bakecore", "meta-hello"]);
  // Layer details: from git, at the index's revision.
  await q.page.click("#layers-in-project-list a:text('meta-hello')");
  assert.match(await q.page.textContent("#layer-git-repo-info"), /^file:\/\//);
  assert.equal(await q.page.textContent("#layer-git-ref-info"), "main");
  assert.equal(await q.page.textContent("#layer-subdir-info"), "meta-hello");
  await q.done("layer-details");
});

test("machine and variables: set, shown inert, forbidden ones refused", async () => {
  const p = await open(projectUrl);
  await p.page.click("#change-machine-toggle");
  await p.page.fill("#machine-change-input", "qemux86-64");
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#machine-change-btn")]);
  assert.equal(await p.page.textContent("#project-machine-name"), "qemux86-64");
  await p.done();
  const c = await open(projectUrl + "configuration");
  for (const [name, value] of [["GREETING_NOTE", "set from Toaster"], ["MY_NOTE", NOTE]]) {
    await c.page.fill("#variable", name);
    await c.page.fill("#value", value);
    await Promise.all([c.page.waitForEvent("load"), c.page.click("#add-configvar-button")]);
  }
  const row = c.page.locator("#configvar-table tr", { hasText: "MY_NOTE" });
  assert.equal(await row.locator("td.variable-value").textContent(), NOTE);
  assert.equal(await c.page.locator("#configvar-table script").count(), 0);
  await c.page.fill("#variable", "TMPDIR");
  await c.page.fill("#value", "/tmp/elsewhere");
  await c.page.click("#add-configvar-button");
  await c.page.waitForSelector("#config-error:not(.hidden)");
  assert.match(await c.page.textContent("#config-error"), /TMPDIR cannot be set/);
  // IMAGE_FSTYPES checkboxes follow the text field.
  await c.page.check('.fs-checkbox-fstypes[value="ext4"]');
  assert.match(await c.page.inputValue("#new-imagefs_types"), /\bext4\b/);
  await c.done("project-configuration");
});

test("CSRF: a change without the token is refused", async () => {
  const p = await open(projectUrl);
  const status = await p.page.evaluate(async (pid) => {
    const r = await fetch(`/toastergui/xhr_project/${pid}`, {
      method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "machineName=evil",
    });
    return r.status;
  }, pid);
  assert.equal(status, 403);
  await p.page.reload();
  assert.equal(await p.page.textContent("#project-machine-name"), "qemux86-64");
  await p.done();
});

test("build sayhello through runbuilds: progress, success, browse it", async () => {
  const p = await open(projectUrl);
  const id = await startBuild(p.page, "sayhello");
  const seen = await waitState(p.page, id, "Succeeded", 240);
  assert.ok(seen.length >= 2, `states seen: ${seen.join(" -> ")}`);
  await p.page.screenshot({ path: `${SHOTS}/project-build-succeeded.png`, fullPage: true });
  await p.page.click(`[data-latest-build-result="${id}"] a.mrb-targets`);
  await p.page.waitForURL(new RegExp(`/build/${id}$`));
  await p.page.goto(BASE + `/toastergui/build/${id}/configvars?search=GREETING_NOTE`);
  assert.match(await p.page.textContent("#configvarstable, table"), /set from Toaster/);
  await p.page.goto(BASE + projectUrl);
  assert.equal(await p.page.locator("#freq-build-list li", { hasText: "sayhello" }).count(), 1);
  // Rebuild from the box: a new build of the same targets, which succeeds.
  await p.page.waitForSelector(`[data-latest-build-result="${id}"] .rebuild-btn`);
  await p.page.click(`[data-latest-build-result="${id}"] .rebuild-btn`);
  let again = id;
  for (let i = 0; i < 50 && again === id; i++) {
    await p.page.waitForTimeout(200);
    again = await newestBuild();
  }
  assert.ok(again > id, "the rebuild was queued");
  await waitState(p.page, again, "Succeeded", 240);
  await p.done("project-after-build");
});

test("cancel a long build: recorded Cancelled, no stamp for the interrupted task", async () => {
  const p = await open(projectUrl);
  const id = await startBuild(p.page, "slowhello");
  await waitState(p.page, id, "In Progress", 240);
  // Let do_compile start.
  await p.page.waitForTimeout(3000);
  await p.page.click(`[data-latest-build-result="${id}"] .cancel-build-btn`);
  await waitState(p.page, id, "Cancelled", 120);
  await p.page.screenshot({ path: `${SHOTS}/project-build-cancelled.png`, fullPage: true });
  // No stamp says do_compile of slowhello ran.
  const lying = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const f = join(d, n);
      if (statSync(f).isDirectory()) walk(f);
      else if (/slowhello/.test(f) && /do_compile/.test(n) && !/sigdata|siginfo|log|run\./.test(n)) lying.push(f);
    }
  };
  walk(TOASTER_DIR);
  assert.deepEqual(lying, []);
  await p.done();
});

test("a build whose layer cannot be found fails with the error on the page", async () => {
  const p = await open(projectUrl + "importlayer");
  await p.page.fill("#import-layer-name", "meta-gone");
  await p.page.check("#repo-local");
  await p.page.fill("#local-dir-path", "/nonexistent/meta-gone");
  await Promise.all([p.page.waitForURL(new RegExp(projectUrl + "$")), p.page.click("#import-and-add-btn")]);
  assert.equal(await p.page.textContent("#project-layers-count"), "3");
  const id = await startBuild(p.page, "sayhello");
  await waitState(p.page, id, "Failed", 120);
  await p.page.goto(BASE + `/toastergui/build/${id}`);
  assert.match(await p.page.textContent("#errors"), /layer `meta-gone` cannot be found/);
  await p.page.screenshot({ path: `${SHOTS}/project-build-missing-layer.png`, fullPage: true });
  // Remove it again from the project page.
  await p.page.goto(BASE + projectUrl);
  await Promise.all([p.page.waitForEvent("load"), p.page.click('.layer-remove-btn[data-layer-name="meta-gone"]')]);
  assert.equal(await p.page.textContent("#project-layers-count"), "2");
  await p.done();
});

test("custom image: made from an image recipe, a package added, the recipe downloaded", async () => {
  // openembedded-core (from the index) has the image recipe core-image-minimal.
  const p = await open(projectUrl + "layers/");
  const oe = p.page.locator("#layerstable tbody tr").filter({ has: p.page.locator("td.layer__name", { hasText: /^openembedded-core$/ }) });
  await Promise.all([p.page.waitForEvent("load"), oe.locator(".layer-add-btn").click()]);
  await p.page.goto(BASE + projectUrl + "newcustomimage/");
  await p.page.click('#newcustomimagestable tr:has-text("core-image-minimal") button[data-recipe]');
  await p.page.fill("#new-custom-image-name", "busybox");
  await p.page.click("#create-new-custom-image-btn");
  await p.page.waitForSelector("#invalid-name-help:not(.hidden)");
  assert.match(await p.page.textContent("#invalid-name-help"), /a recipe called busybox/);
  await p.page.fill("#new-custom-image-name", "my-image");
  await Promise.all([p.page.waitForURL(/customrecipe\/\d+\?notify=new$/), p.page.click("#create-new-custom-image-btn")]);
  assert.ok(await p.page.isVisible("#image-created-notification"));
  await p.page.fill("#add-package-input", "sayhello");
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#add-package-btn")]);
  assert.equal(await p.page.locator('#custom-image-packages tr[data-package="sayhello"]').count(), 1);
  const href = await p.page.getAttribute("#download-recipe", "href");
  const r = await fetch(BASE + href);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-disposition"), /my-image_1\.0\.bb/);
  const text = await r.text();
  assert.match(text, /^require recipes-core\/images\/core-image-minimal\.bb$/m);
  assert.match(text, /^IMAGE_INSTALL:append = " sayhello"$/m);
  await p.page.screenshot({ path: `${SHOTS}/custom-image.png`, fullPage: true });
  // Deleting the custom image asks first: cancelled, then confirmed.
  await p.page.click("#delete-recipe");
  await p.page.waitForSelector("#delete-recipe-modal:not(.hidden)");
  assert.equal(await p.page.textContent("#delete-recipe-name"), "my-image");
  await p.page.click("#delete-custom-recipe-cancel");
  assert.equal(await p.page.isVisible("#delete-recipe-modal"), false);
  await p.page.click("#delete-recipe");
  await Promise.all([p.page.waitForURL(/\/customimages\/$/), p.page.click("#delete-custom-recipe-confirmed")]);
  await p.page.waitForSelector("#change-notification:not(.hidden)");
  assert.match(await p.page.textContent("#change-notification-msg"), /deleted 1 custom image: my-image/);
  assert.ok(await p.page.isVisible("#empty-state-customimagestable"));
  // openembedded-core out again (its index URL is not a real repository): meta-hello
  // depends on it, so the page asks first.
  await p.page.goto(BASE + projectUrl);
  await p.page.click('.layer-remove-btn[data-layer-name="openembedded-core"]');
  await p.page.waitForSelector("#remove-layer-modal:not(.hidden)");
  assert.deepEqual(await p.page.locator("#remove-layer-dependents li").allTextContents(), ["meta-hello"]);
  await p.page.screenshot({ path: `${SHOTS}/layer-remove-warning.png`, fullPage: true });
  await p.page.click("#remove-layer-cancel");
  assert.equal(await p.page.locator('#layers-in-project-list [data-layer-name="openembedded-core"]').count(), 1);
  await p.page.click('.layer-remove-btn[data-layer-name="openembedded-core"]');
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#remove-layer-confirmed")]);
  assert.equal(await p.page.locator('#layers-in-project-list [data-layer-name="openembedded-core"]').count(), 0);
  await p.done();
});

// The options a typeahead put in the datalist of `input` (polled until `want` shows).
async function options(page, input, want) {
  const end = Date.now() + 20000;
  for (;;) {
    const got = await page.evaluate((id) => {
      const i = document.getElementById(id);
      const l = document.getElementById(i.getAttribute("list"));
      return [...l.options].map((o) => o.value);
    }, input);
    if (got.includes(want) || Date.now() > end) return got;
    await page.waitForTimeout(200);
  }
}

test("import a git layer with the revision typeahead, edit it, delete it after confirming", async () => {
  const p = await open(projectUrl + "importlayer");
  await p.page.fill("#import-layer-name", "meta-edit");
  await p.page.check("#repo-git");
  await p.page.fill("#layer-git-repo-url", HELLO_GIT);
  await p.page.fill("#layer-subdir", "meta-hello");
  await p.page.fill("#layer-git-ref", "ma");
  assert.ok((await options(p.page, "layer-git-ref", "main")).includes("main"), "the branches of the repository");
  await p.page.screenshot({ path: `${SHOTS}/import-layer-gitrev.png`, fullPage: true });
  await p.page.fill("#layer-git-ref", "main");
  await Promise.all([p.page.waitForURL(new RegExp(projectUrl + "$")), p.page.click("#import-and-add-btn")]);
  await p.page.click("#layers-in-project-list a:text('meta-edit')");
  const layerUrl = new URL(p.page.url()).pathname;
  assert.equal(await p.page.textContent("#layer-git-ref-info"), "main");
  // Edit: subdirectory, revision (typeahead), summary with markup, a dependency.
  await p.page.click("#edit-layer-toggle");
  await p.page.fill("#edit-layer-subdir", "./meta-hello");
  await p.page.fill("#edit-layer-git-ref", "");
  await p.page.type("#edit-layer-git-ref", "m");
  assert.ok((await options(p.page, "edit-layer-git-ref", "main")).includes("main"));
  await p.page.fill("#edit-layer-git-ref", "main");
  await p.page.fill("#edit-layer-summary", NOTE);
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#edit-layer-save")]);
  assert.equal(await p.page.textContent("#layer-subdir-info"), "./meta-hello");
  assert.equal(await p.page.textContent("#layer-summary"), NOTE);
  assert.equal(await p.page.locator("#layer-info script").count(), 0);
  // A bad revision is refused with the reason, nothing changed.
  await p.page.click("#edit-layer-toggle");
  await p.page.fill("#edit-layer-git-ref", "--upload-pack=touch /tmp/pwned-e2e");
  await p.page.click("#edit-layer-save");
  await p.page.waitForSelector("#edit-layer-error:not(.hidden)");
  assert.match(await p.page.textContent("#edit-layer-error"), /not a git revision/);
  await p.page.reload();
  assert.equal(await p.page.textContent("#layer-git-ref-info"), "main");
  // Add a dependency on meta-hello from the typeahead, then remove it.
  await p.page.click("#edit-layer-toggle");
  await p.page.fill("#edit-layer-dependency", "meta-h");
  assert.ok((await options(p.page, "edit-layer-dependency", "meta-hello")).includes("meta-hello"));
  await Promise.all([p.page.waitForEvent("load"), p.page.fill("#edit-layer-dependency", "meta-hello").then(() => p.page.dispatchEvent("#edit-layer-dependency", "change"))]);
  assert.deepEqual(await p.page.locator("#layer-deps-list a").allTextContents(), ["meta-hello"]);
  await p.page.click("#edit-layer-toggle");
  await Promise.all([p.page.waitForEvent("load"), p.page.click(".edit-layer-rm-dep")]);
  assert.equal(await p.page.locator("#layer-deps-list a").count(), 0);
  await p.page.screenshot({ path: `${SHOTS}/layer-edited.png`, fullPage: true });
  // Delete: cancelled, then confirmed.
  await p.page.click("#delete-layer-btn");
  await p.page.waitForSelector("#delete-layer-modal:not(.hidden)");
  await p.page.click("#layer-delete-cancel");
  assert.equal(new URL(p.page.url()).pathname, layerUrl);
  await p.page.click("#delete-layer-btn");
  await Promise.all([p.page.waitForURL(new RegExp(projectUrl + "$")), p.page.click("#layer-delete-confirmed")]);
  await p.page.waitForSelector("#change-notification:not(.hidden)");
  assert.match(await p.page.textContent("#change-notification-msg"), /deleted 1 layer: meta-edit/);
  assert.equal(await p.page.locator("#layers-in-project-list a:text('meta-edit')").count(), 0);
  await p.done();
});

test("release change: the layers the release lacks are listed first, then the project follows", async () => {
  const p = await open(projectUrl);
  const before = await p.page.locator("#layers-in-project-list li a").allTextContents();
  await p.page.click("#release-change-toggle");
  const other = await p.page.evaluate(() => {
    const s = document.getElementById("project-release-select");
    const o = [...s.options].find((x) => !x.selected);
    return o ? o.value : "";
  });
  assert.ok(other, "another release");
  await p.page.selectOption("#project-release-select", other);
  await p.page.click("#change-release-btn");
  await p.page.waitForSelector("#change-release-modal:not(.hidden)");
  const lost = await p.page.locator("#change-release-lost-layers li").allTextContents();
  assert.ok(lost.includes("meta-hello"), `lost: ${lost}`);
  await p.page.screenshot({ path: `${SHOTS}/release-change-modal.png`, fullPage: true });
  await p.page.click("#change-release-cancel");
  await p.page.reload();
  assert.deepEqual(await p.page.locator("#layers-in-project-list li a").allTextContents(), before);
  await p.page.click("#release-change-toggle");
  await p.page.selectOption("#project-release-select", other);
  await p.page.click("#change-release-btn");
  await p.page.waitForSelector("#change-release-modal:not(.hidden)");
  await Promise.all([p.page.waitForEvent("load"), p.page.click("#change-release-confirmed")]);
  await p.page.waitForSelector("#change-notification:not(.hidden)");
  assert.match(await p.page.textContent("#change-notification-msg"), /changed the release/);
  const after = await p.page.locator("#layers-in-project-list li a").allTextContents();
  for (const l of lost) assert.ok(!after.includes(l), `${l} removed`);
  await p.done("release-changed");
});
