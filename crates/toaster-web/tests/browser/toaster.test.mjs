// Browser tests of bake's Toaster web interface, ported from what Toaster's own
// Selenium tests check (spec §3), over a database bake recorded: build 1 the example
// (sayhello), build 2 its no-op rebuild, build 3 with sayhello's do_compile failing.
// A second server (TOASTER_LIVE_URL) has the synthetic 10,000-task build (build 1) and
// a build of the example that bake (BAKE_LIVE_PID) records while the first test follows
// it: its tasks wait for gate files in BAKE_LIVE_GATES (libhello's do_compile for gate1,
// sayhello's do_compile for gate2, its do_install for gate3); the test opens them one at
// a time and interrupts the build with SIGINT before the last. A third server
// (TOASTER_IMAGE_URL) has `bake core-image-tiny`, whose root filesystem is IMAGE_ROOTFS.
// Run by run.sh, which starts the servers and sets these variables.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readdirSync, lstatSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.TOASTER_URL;
const SHOTS = process.env.SCREENSHOT_DIR || "screenshots";
const EXE = process.env.CHROMIUM || "/usr/bin/chromium";
const LIVE = process.env.TOASTER_LIVE_URL;
const BAKE_PID = Number(process.env.BAKE_LIVE_PID);
const GATES = process.env.BAKE_LIVE_GATES;
const IMAGE = process.env.TOASTER_IMAGE_URL;
const ROOTFS = process.env.IMAGE_ROOTFS;
if (!BASE || !LIVE || !BAKE_PID || !GATES || !IMAGE || !ROOTFS) {
  throw new Error("TOASTER_URL, TOASTER_LIVE_URL, BAKE_LIVE_PID, BAKE_LIVE_GATES, TOASTER_IMAGE_URL or IMAGE_ROOTFS is not set: run run.sh");
}
mkdirSync(SHOTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: EXE,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});
after(async () => { if (browser) await browser.close(); });

// A page that records console errors and failed requests; `done` asserts there were none
// and saves a screenshot.
async function open(path, shot, base = BASE) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => errors.push("request failed: " + r.url()));
  page.on("response", (r) => { if (r.status() >= 400 && r.url() !== base + path) errors.push(`${r.status()} for ${r.url()}`); });
  const resp = await page.goto(base + path, { waitUntil: "load" });
  return {
    page, resp,
    async done() {
      if (shot) await page.screenshot({ path: `${SHOTS}/${shot}.png`, fullPage: true });
      await page.close();
      // A 404 page: the browser reports the document's own status once.
      const own = resp && resp.status() === 404 ? errors.filter((e) => !/status of 404/.test(e)) : errors;
      assert.deepEqual(own, [], `console errors on ${path}`);
    },
  };
}

async function json(path, base = BASE) {
  const r = await fetch(base + path);
  assert.equal(r.status, 200, path);
  return r.json();
}

// `probe()` until it returns something truthy (polling every 100 ms, at most `ms`).
async function until(what, probe, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The width in percent of the bar `sel` (-1 when absent).
function barWidth(sel) {
  const e = document.querySelector(sel);
  const m = e && /(\d+)%/.exec(e.style.width);
  return m ? parseInt(m[1], 10) : -1;
}

test("a build followed live: progress moves without a reload, then Ctrl-C records it Cancelled", async () => {
  const b = await until("the live build in api/building", async () => (await json("/toastergui/api/building", LIVE)).building[0]);
  const id = b.id;
  // Its dashboard shows the progress block and follows api/build without a reload.
  const d = await open(`/toastergui/build/${id}`, "live-dashboard", LIVE);
  assert.equal(await d.page.locator("#build-progress").count(), 1);
  // The build waits at libhello's do_compile (gate1): its tasks so far, then more.
  await d.page.waitForFunction(() => /^[1-9]\d* of \d+ tasks$/.test(document.getElementById("dashboard-task-text").textContent), null, { timeout: 60000 });
  await until("libhello's do_compile started", async () => {
    const t = await json(`/toastergui/build/${id}/tasks/?format=json&search=do_compile`, LIVE);
    return t.rows.length > 0;
  });
  await d.page.waitForTimeout(2000);
  const before = await d.page.textContent("#dashboard-task-text");
  writeFileSync(`${GATES}/gate1`, "");
  await d.page.waitForFunction((t) => document.getElementById("dashboard-task-text").textContent !== t, before, { timeout: 60000 });
  await d.page.screenshot({ path: `${SHOTS}/live-dashboard.png`, fullPage: true });
  // The most recent builds box: its tasks bar grows, no reload.
  const m = await open("/toastergui/builds/", "live-most-recent-builds", LIVE);
  const bar = `#build-pc-done-bar-${id}`;
  await m.page.waitForSelector(bar, { timeout: 60000 });
  // Now waiting at sayhello's do_compile (gate2): the bar grows once it is open.
  await until("sayhello's do_compile started", async () => {
    const t = await json(`/toastergui/build/${id}/tasks/?format=json&search=do_compile`, LIVE);
    return t.rows.length > 1;
  });
  await m.page.waitForTimeout(2000);
  const first = await m.page.evaluate(barWidth, bar);
  writeFileSync(`${GATES}/gate2`, "");
  await m.page.waitForFunction(([sel, w]) => {
    const e = document.querySelector(sel);
    const x = e && /(\d+)%/.exec(e.style.width);
    return x && parseInt(x[1], 10) > w;
  }, [bar, first], { timeout: 60000 });
  await m.page.screenshot({ path: `${SHOTS}/live-most-recent-builds.png`, fullPage: true });
  // Ctrl-C while sayhello's do_install waits (gate3): bake stops it, starts nothing more
  // and records the build Cancelled.
  await until("sayhello's do_install started", async () => {
    const t = await json(`/toastergui/build/${id}/tasks/?format=json&search=do_install`, LIVE);
    return t.rows.length > 1;
  });
  process.kill(BAKE_PID, "SIGINT");
  writeFileSync(`${GATES}/gate3`, "");
  await until("the build cancelled", async () => (await json(`/toastergui/api/build/${id}`, LIVE)).build.outcome === "Cancelled");
  await m.page.waitForSelector(`[data-latest-build-result="${id}"] [data-build-state="Cancelled"]`, { timeout: 10000 });
  await m.done();
  // The dashboard reloaded itself on the build's end and shows its outcome.
  await d.page.waitForSelector('#build-result[data-outcome="Cancelled"]', { timeout: 10000 });
  assert.equal(await d.page.locator("#build-progress").count(), 0);
  await d.done();
  const c = await open(`/toastergui/build/${id}/tasks/`, "cancelled-tasks", LIVE);
  assert.ok(await c.page.locator("#buildtaskstable tbody tr").count() > 0);
  await c.done();
});

test("the 10,000-task build: tasks table sorts and searches within limits", async () => {
  const t0 = Date.now();
  const p = await open("/toastergui/build/1/tasks/", "big-tasks", LIVE);
  assert.ok(Date.now() - t0 < 5000, `the tasks page took ${Date.now() - t0} ms`);
  const total = (await json("/toastergui/build/1/tasks/?format=json&limit=1", LIVE)).total;
  assert.ok(total > 9000, `${total} tasks`);
  // The default page size.
  assert.equal(await p.page.locator("#buildtaskstable tbody tr").count(), 25);
  // Sort by recipe, descending, through the column header.
  await Promise.all([p.page.waitForURL(/orderby=recipe__name/), p.page.click("th.recipe__name a")]);
  const asc = await p.page.locator("#buildtaskstable td.recipe__name").allTextContents();
  assert.deepEqual(asc.map((s) => s.trim()), [...asc.map((s) => s.trim())].sort());
  await Promise.all([p.page.waitForURL(/orderby=-recipe__name/), p.page.click("th.recipe__name a")]);
  const desc = (await p.page.locator("#buildtaskstable td.recipe__name").allTextContents()).map((s) => s.trim());
  assert.deepEqual(desc, [...desc].sort().reverse());
  assert.notDeepEqual(desc, asc.map((s) => s.trim()));
  // Search: every row matches, the count is of the matches only.
  const t1 = Date.now();
  await p.page.fill("#search-input-buildtaskstable", "recipe0999");
  await Promise.all([p.page.waitForURL(/search=recipe0999/), p.page.click("#search-submit-buildtaskstable")]);
  assert.ok(Date.now() - t1 < 5000, `the search took ${Date.now() - t1} ms`);
  const found = (await p.page.locator("#buildtaskstable td.recipe__name").allTextContents()).map((s) => s.trim());
  assert.ok(found.length > 0 && found.every((r) => r === "recipe0999"), found.join(", "));
  // The time page of 10,000 tasks: a timeline, within limits.
  const t2 = Date.now();
  const tp = await open("/toastergui/build/1/buildtime", "big-buildtime", LIVE);
  assert.ok(Date.now() - t2 < 5000, `the time page took ${Date.now() - t2} ms`);
  assert.ok(await tp.page.locator("svg#build-timeline rect.task-bar").count() > 0);
  await tp.done();
  await p.done();
});

// Every path of the image's root filesystem on disk.
function rootfsPaths(dir, rel = "") {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = `${rel}/${name}`;
    out.push(path);
    if (lstatSync(`${dir}/${name}`).isDirectory()) out.push(...rootfsPaths(`${dir}/${name}`, path));
  }
  return out;
}

test("core-image-tiny: packages, the image's packages and files, as the rootfs holds them", async () => {
  // The dashboard: an image target with its packages and image files.
  const d = await open("/toastergui/build/1", "image-dashboard", IMAGE);
  assert.equal(await d.page.textContent("#build-result strong"), "Succeeded");
  const count = Number(await d.page.textContent("[data-value=target-package-count]"));
  assert.ok(count >= 5, `${count} installed packages`);
  const images = await d.page.locator("[data-links=image-artifacts] li").allTextContents();
  assert.ok(images.some((t) => /core-image-tiny.*\.cpio\.gz/.test(t)), images.join(", "));
  assert.ok(Number(await d.page.textContent("[data-value=package-count]")) > count);
  // The installed packages page.
  await Promise.all([d.page.waitForURL(/\/target\/\d+$/), d.page.click("[data-link=target-packages]")]);
  const installed = (await d.page.locator("tbody td.name").allTextContents()).map((s) => s.trim());
  for (const p of ["busybox", "sayhello", "libhello", "hello-boot"]) assert.ok(installed.some((n) => n.startsWith(p)), `${p} in ${installed}`);
  await d.page.screenshot({ path: `${SHOTS}/image-installed-packages.png`, fullPage: true });
  const target = d.page.url().match(/\/target\/(\d+)$/)[1];
  await d.done();
  // The packages built, and sayhello's page with its files and dependencies.
  const k = await open("/toastergui/build/1/packages/?search=sayhello", "image-packages", IMAGE);
  const names = (await k.page.locator("#builtpackagestable td.name").allTextContents()).map((s) => s.trim());
  assert.ok(names.includes("sayhello") && names.includes("sayhello-dbg"), names.join(", "));
  await Promise.all([k.page.waitForURL(/\/package\/\d+$/), k.page.click("#builtpackagestable td.name a >> text=/^sayhello$/")]);
  assert.match(await k.page.textContent("body"), /\/usr\/bin\/sayhello/);
  await k.page.screenshot({ path: `${SHOTS}/image-package.png`, fullPage: true });
  const pid = k.page.url().match(/\/package\/(\d+)$/)[1];
  await k.done();
  const dep = await open(`/toastergui/build/1/package_built_dependencies/${pid}`, "image-package-dependencies", IMAGE);
  assert.match(await dep.page.textContent("body"), /libhello/);
  await dep.done();
  // The directory browser: /usr/bin holds sayhello, from package sayhello.
  const b = await open(`/toastergui/build/1/target/${target}/dirinfo?start=/usr/bin`, "image-dirinfo", IMAGE);
  assert.match(await b.page.textContent("body"), /sayhello/);
  await b.done();
  const bin = await json(`/toastergui/dentries/build/1/target/${target}?start=/usr/bin`, IMAGE);
  const say = bin.find((e) => e.name === "sayhello");
  assert.ok(say && say.package === "sayhello" && !say.isdir, JSON.stringify(say));
  // Every path of the root filesystem is in the recorded tree, and nothing else but the
  // device nodes the image adds (IMAGE_DEVICE_NODES: in the archives, not on disk).
  const recorded = [];
  const devices = [];
  const walk = async (dir) => {
    for (const e of await json(`/toastergui/dentries/build/1/target/${target}?start=${encodeURIComponent(dir)}`, IMAGE)) {
      (/^[cb]/.test(e.permission) ? devices : recorded).push(e.fullpath);
      if (e.isdir) await walk(e.fullpath);
    }
  };
  await walk("/");
  assert.deepEqual([...recorded].sort(), rootfsPaths(ROOTFS).sort());
  assert.ok(devices.includes("/dev/console"), devices.join(", "));
});

test("brand and health", async () => {
  const p = await open("/toastergui/builds/", "all-builds");
  assert.equal((await p.page.textContent("a.brand")).trim(), "Toaster");
  await p.done();
  const h = await open("/health");
  assert.equal(await h.page.title(), "Toaster Health");
  assert.match(await h.page.textContent("body"), /Ok/);
  await h.done();
});

test("landing redirects to all builds when there are builds", async () => {
  const p = await open("/", "landing");
  assert.match(p.page.url(), /\/toastergui\/builds\/$/);
  await p.done();
});

test("all builds: targets, outcomes, CLI project, time links", async () => {
  const p = await open("/toastergui/builds/");
  const rows = p.page.locator("#allbuildstable tbody tr");
  assert.equal(await rows.count(), 3);
  const targets = await p.page.locator("#allbuildstable td.target").allTextContents();
  for (const t of targets) assert.match(t, /sayhello/);
  const outcomes = (await p.page.locator("#allbuildstable td.outcome").allTextContents()).map((s) => s.trim());
  assert.deepEqual([...outcomes].sort(), ["Failed", "Succeeded", "Succeeded"]);
  // Command-line builds: no rebuild button, a help icon by the project.
  assert.equal(await p.page.locator("#allbuildstable .rebuild-btn").count(), 0);
  assert.equal(await p.page.locator("#allbuildstable td.project .get-help").count(), 3);
  // The time column is hidden by default; shown, it links only succeeded builds.
  assert.equal(await p.page.locator("th.time").isVisible(), false);
  await p.page.click("#edit-columns-button");
  await p.page.check("#checkbox-time");
  assert.equal(await p.page.locator("th.time").isVisible(), true);
  assert.equal(await p.page.locator("td.time a").count(), 2);
  // Unhiding is remembered, hiding works.
  await p.page.uncheck("#checkbox-machine");
  assert.equal(await p.page.locator("th.machine").isVisible(), false);
  await p.page.screenshot({ path: `${SHOTS}/all-builds-columns.png`, fullPage: true });
  await p.done();
});

test("all builds: search, failed-tasks filter with counts, page size", async () => {
  const p = await open("/toastergui/builds/");
  await p.page.fill("#search-input-allbuildstable", "nosuchthing");
  await Promise.all([p.page.waitForURL(/search=nosuchthing/), p.page.click("#search-submit-allbuildstable")]);
  assert.equal((await p.page.textContent("#empty-state-allbuildstable .alert-info")).trim(), "Sorry - no data found");
  await p.page.goto(BASE + "/toastergui/builds/");
  await p.page.click("#failed_tasks_filter");
  const radio = p.page.locator('[id="failed_tasks_filter:with_failed_tasks"]');
  await radio.waitFor();
  assert.match(await radio.locator("xpath=..").textContent(), /\(1\)/);
  await radio.check();
  await p.page.screenshot({ path: `${SHOTS}/all-builds-filter-modal.png` });
  await Promise.all([p.page.waitForURL(/filter=failed_tasks_filter/), p.page.click("#filter-modal-allbuildstable .filter-apply")]);
  assert.equal(await p.page.locator("#allbuildstable tbody tr").count(), 1);
  assert.ok(await p.page.locator("#failed_tasks_filter.btn-primary").count());
  await p.page.goto(BASE + "/toastergui/builds/");
  await Promise.all([p.page.waitForURL(/limit=25/), p.page.selectOption("select.pagesize-allbuildstable", "25")]);
  await p.done();
});

test("most recent builds show their states without a reload", async () => {
  const p = await open("/toastergui/builds/", "most-recent-builds");
  await p.page.waitForSelector("[data-latest-build-result] [data-build-state]");
  const states = await p.page.locator("[data-latest-build-result] [data-build-state]").evaluateAll(
    (els) => els.map((e) => e.getAttribute("data-build-state")));
  assert.deepEqual([...states].sort(), ["Failed", "Succeeded", "Succeeded"]);
  assert.equal(await p.page.locator('[data-latest-build-result="3"] [data-build-state="Failed"]').count(), 1);
  await p.done();
});

test("dashboard of a succeeded build: summary and menu", async () => {
  const p = await open("/toastergui/build/1", "dashboard-succeeded");
  assert.equal(await p.page.locator("#nav").count(), 1);
  assert.equal(await p.page.locator("[data-role=build-summary-heading]").count(), 1);
  assert.match(await p.page.textContent("h1"), /sayhello/);
  await p.done();
});

test("dashboard of a failed build: errors with their text, no summary", async () => {
  const p = await open("/toastergui/build/3", "dashboard-failed");
  assert.equal(await p.page.locator("#nav").count(), 0);
  assert.equal(await p.page.locator("[data-role=build-summary-heading]").count(), 0);
  const errors = p.page.locator("#errors div.alert-danger pre[data-log-message-id]");
  assert.ok((await errors.count()) >= 1);
  assert.match((await errors.allTextContents()).join("\n"), /do_compile|Execution|failed/);
  // The warning is behind its toggle.
  const warnings = p.page.locator("#warnings");
  if (await warnings.count()) {
    await p.page.click("#warning-toggle");
    assert.match(await warnings.textContent(), /warning from the task/);
  }
  await p.done();
});

test("tasks: unhideable columns, sort change, outcome filter, task page", async () => {
  const p = await open("/toastergui/build/3/tasks/", "tasks");
  for (const c of ["order", "task_name", "recipe__name"]) {
    assert.equal(await p.page.locator(`#checkbox-${c}`).isDisabled(), true, c);
  }
  assert.equal(await p.page.locator("#checkbox-outcome").isDisabled(), false);
  assert.equal((await p.page.textContent("thead a.sorted")).trim(), "Order");
  await Promise.all([p.page.waitForURL(/orderby=task_name/), p.page.click("th.task_name a")]);
  assert.equal((await p.page.textContent("thead a.sorted")).trim(), "Task");
  const data = await json("/toastergui/build/3/tasks/?format=json&filter=task_outcome:failed");
  assert.equal(data.total, 1);
  const failed = data.rows[0];
  await p.done();
  const t = await open(`/toastergui/build/3/task/${failed.id}`, "task-failed");
  assert.match(await t.page.textContent("h1"), /sayhello.*do_compile/);
  assert.match(await t.page.textContent("#task-outcome"), /Failed/);
  assert.ok(await t.page.locator("#dependencies li").count() >= 1);
  await t.done();
});

test("time page: the timeline picture", async () => {
  const p = await open("/toastergui/build/1/buildtime", "buildtime");
  const bars = await p.page.locator("svg#build-timeline rect.task-bar").count();
  assert.ok(bars > 3, `${bars} bars`);
  assert.equal(await p.page.locator("th.elapsed_time").isVisible(), true);
  await p.done();
});

test("recipes, a recipe, packages, configuration, variables", async () => {
  const r = await open("/toastergui/build/1/recipes/", "recipes");
  assert.equal(await r.page.locator("#checkbox-name").isDisabled(), true);
  const names = await r.page.locator("#builtrecipestable td.name").allTextContents();
  assert.ok(names.some((n) => n.includes("sayhello")) && names.some((n) => n.includes("libhello")));
  await Promise.all([r.page.waitForURL(/\/recipe\/\d+$/), r.page.click("#builtrecipestable td.name a >> text=sayhello")]);
  assert.match(await r.page.textContent("h1"), /sayhello/);
  await r.page.screenshot({ path: `${SHOTS}/recipe.png`, fullPage: true });
  await r.done();
  const k = await open("/toastergui/build/1/packages/", "packages-empty");
  assert.equal((await k.page.textContent("#empty-state-builtpackagestable .alert-info")).trim(), "Sorry - no data found");
  await k.done();
  const c = await open("/toastergui/build/1/configuration", "configuration");
  assert.match(await c.page.textContent('[data-variable="MACHINE"]'), /\S/);
  await c.done();
  const v = await open("/toastergui/build/1/configvars", "configvars");
  assert.ok(await v.page.locator("#variablestable tbody tr").count() > 0);
  await v.done();
});

test("projects: the command-line project", async () => {
  const p = await open("/toastergui/projects/", "projects");
  const row = p.page.locator("#projectstable tbody tr", { hasText: "Command line builds" });
  assert.equal(await row.count(), 1);
  assert.match(await row.locator("td.machine").textContent(), /Not applicable/);
  await Promise.all([p.page.waitForURL(/\/project\/\d+\/builds\/$/), row.locator("td.name a").click()]);
  assert.equal(await p.page.locator("#projectbuildstable tbody tr").count(), 3);
  await p.done();
});

test("unknown ids are a 404 page", async () => {
  const p = await open("/toastergui/build/999/tasks/", "not-found");
  assert.equal(p.resp.status(), 404);
  assert.match(await p.page.textContent("body"), /does not exist/);
  await p.done();
});
