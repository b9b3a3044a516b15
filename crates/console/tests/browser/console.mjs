// Drives a running concord node's console in a real browser: Debian's
// Chromium through playwright-core (executablePath /usr/bin/chromium; no
// browser is ever downloaded). Started by crates/node/tests/console_browser.rs,
// which starts the node and passes everything in the environment:
//
//   CONCORD_URL          base URL of the node (http://127.0.0.1:PORT)
//   CONSOLE_ADMIN        user:password of an admin
//   CONSOLE_NORIGHTS     user:password of a user with no rights
//   CONSOLE_BUNDLE       path of a STIX bundle to import
//   CONSOLE_SEARCH       a word to search for
//   CONSOLE_OBJECT       id of the object the search must find (two versions, related)
//   CONSOLE_SIGNED       id of a signed object (its provenance must be valid)
//   CONSOLE_PROPOSAL     id of an open charter proposal this node has not signed
//   CONSOLE_PARTNER      member id of the other member of the community
//   CONSOLE_SCREENSHOTS  folder for the screenshots
//   CHROMIUM             browser binary (default /usr/bin/chromium)
//
// Prints one JSON line {"ok":true,"steps":[...]} and exits 0, or prints the
// failed step and exits 1.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const base = env('CONCORD_URL').replace(/\/$/, '');
const [adminUser, adminPass] = env('CONSOLE_ADMIN').split(':');
const [noUser, noPass] = env('CONSOLE_NORIGHTS').split(':');
const bundle = env('CONSOLE_BUNDLE');
const search = env('CONSOLE_SEARCH');
const objectId = env('CONSOLE_OBJECT');
const signedId = env('CONSOLE_SIGNED');
const proposalId = env('CONSOLE_PROPOSAL');
const partner = env('CONSOLE_PARTNER');
const shots = env('CONSOLE_SCREENSHOTS');
mkdirSync(shots, { recursive: true });

const steps = [];
let shotNo = 0;
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(20000);

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
  } catch (e) {
    shotNo += 1;
    await page.screenshot({ path: join(shots, `${String(shotNo).padStart(2, '0')}-FAILED-${name}.png`), fullPage: true }).catch(() => {});
    throw new Error(`step ${name}: ${e.message}`);
  }
  shotNo += 1;
  const file = `${String(shotNo).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: join(shots, file), fullPage: true });
  steps.push({ name, ms: Date.now() - started, screenshot: file });
}

const testid = (id) => page.locator(`[data-testid="${id}"]`);

async function login(user, pass) {
  await page.goto(`${base}/?lang=en`);
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', pass);
  await Promise.all([page.waitForNavigation(), testid('login-submit').click()]);
}

async function logout() {
  await Promise.all([page.waitForNavigation(), testid('logout').click()]);
  check(page.url().includes('/login'), `after log-out the page is ${page.url()}`);
  const left = (await context.cookies()).filter((c) => c.name === 'concord_session' && c.value);
  check(left.length === 0, 'the session cookie is gone after log-out');
}

try {
  await step('login-form', async () => {
    await page.goto(`${base}/?lang=en`);
    check(await page.locator('form input[name="username"]').count() === 1, 'a username field');
    check(await page.locator('form input[name="password"][type="password"]').count() === 1, 'a password field');
    check(await page.locator('form input[name="csrf"]').count() === 1, 'a CSRF token in the log-in form');
  });

  await step('login-admin', async () => {
    await login(adminUser, adminPass);
    await testid('nav-dashboard').waitFor();
    const c = (await context.cookies()).find((c) => c.name === 'concord_session');
    check(c, 'a session cookie');
    check(c.httpOnly, 'the session cookie is HttpOnly');
    check(c.sameSite === 'Strict', `the session cookie is SameSite=Strict (${c.sameSite})`);
  });

  let summary = '';
  await step('import', async () => {
    await testid('nav-import').click();
    await testid('import-form').waitFor();
    check(await page.locator('[data-testid="import-form"] input[name="csrf"]').count() === 1, 'a CSRF token in the import form');
    await testid('import-file').setInputFiles(bundle);
    await Promise.all([page.waitForNavigation(), testid('import-submit').click()]);
    summary = await testid('import-summary').innerText();
    check(/stored/.test(summary), `import summary: ${summary}`);
    const rejected = await page.locator('[data-testid="import-rejection"]').count();
    check(rejected === 1, `one rejected object listed (${rejected})`);
  });

  await step('dashboard', async () => {
    await testid('nav-dashboard').click();
    const n = await testid('count-recent').innerText();
    check(Number(n.replace(/[^0-9]/g, '')) > 0, `recent count ${n}`);
    check(await testid('count-type-indicator').count() === 1, 'indicators counted by type');
    const waiting = await testid('count-votes-waiting').innerText();
    check(waiting.trim() === '1', `one proposal waits for this node's vote (${waiting})`);
    check(await testid('panel-alerts').count() === 1, 'an alerts card');
    check(await testid('panel-sync').count() === 1, 'a sync card');
  });

  await step('search', async () => {
    await testid('nav-intel').click();
    await testid('intel-search').fill(search);
    await Promise.all([page.waitForNavigation(), testid('intel-search').press('Enter')]);
    await page.locator(`[data-testid="intel-link"][data-id="${objectId}"]`).waitFor();
  });

  await step('object', async () => {
    await Promise.all([page.waitForNavigation(), page.locator(`[data-testid="intel-link"][data-id="${objectId}"]`).click()]);
    check((await testid('object-id').innerText()).trim() === objectId, 'the object page shows the id');
    const versions = await page.locator('[data-testid="version"]').count();
    check(versions === 2, `two versions (${versions})`);
    await Promise.all([page.waitForNavigation(), testid('diff-submit').click()]);
    await testid('diff').waitFor();
    check(await testid('provenance-status').count() === 1, 'a provenance status');
  });

  let neighbour = '';
  await step('graph', async () => {
    await testid('graph-link').click();
    await testid('graph-svg').waitFor();
    const nodes = await page.locator('[data-testid="graph-node"]').count();
    check(nodes >= 1, `graph nodes (${nodes})`);
    neighbour = await page.locator('[data-testid="graph-node"]').first().getAttribute('href');
    await Promise.all([page.waitForNavigation(), page.locator('[data-testid="graph-node"]').first().click()]);
    check((await testid('object-id').innerText()).trim() !== objectId, 'a graph node opens its object');
  });

  await step('provenance', async () => {
    await page.goto(`${base}/intel/${encodeURIComponent(signedId)}`);
    const t = await testid('provenance-status').innerText();
    check(/valid/i.test(t) && !/NOT valid/.test(t), `signed object's provenance: ${t}`);
  });

  await step('sign-proposal', async () => {
    await testid('nav-community').click();
    await testid('community-members').waitFor();
    const members = await page.locator('[data-testid="member"]').count();
    check(members === 2, `two members (${members})`);
    check(await page.locator('[data-testid="charter-signer"]').count() === 2, 'the genesis was signed by both founders');
    const card = page.locator(`[data-testid="proposal"][data-id="${proposalId}"]`);
    check(await card.count() === 1, 'the proposal is listed');
    check(await card.locator('input[name="csrf"]').count() === 1, 'a CSRF token in the vote form');
    await Promise.all([page.waitForNavigation(), card.locator('[data-testid="proposal-sign"]').click()]);
    await testid('community-notice').waitFor();
    const signed = page.locator(`[data-testid="proposal"][data-id="${proposalId}"]`);
    check(await signed.locator('[data-testid="proposal-signed-by-me"]').count() === 1, 'the proposal shows this node signed it');
    check(await signed.locator('[data-testid="proposal-signer"]').count() === 1, 'one signature held');
    check(await signed.locator('[data-testid="proposal-sign"]').count() === 0, 'no second sign button');
    await testid('nav-dashboard').click();
    const waiting = await testid('count-votes-waiting').innerText();
    check(waiting.trim() === '0', `nothing waits for a vote any more (${waiting})`);
  });

  let incidentId = '';
  await step('open-incident', async () => {
    await testid('nav-incidents').click();
    await testid('incident-new-form').waitFor();
    check(await page.locator('[data-testid="incident-new-form"] input[name="csrf"]').count() === 1, 'a CSRF token in the incident form');
    await testid('incident-title').fill('Phishing wave against ministries');
    await testid('incident-description').fill('Credential phishing from 203.0.113.77.');
    await testid('incident-severity').selectOption('high');
    await testid('incident-request-other').fill(partner);
    await Promise.all([page.waitForNavigation(), testid('incident-submit').click()]);
    incidentId = (await testid('incident-id').innerText()).trim();
    check(incidentId.startsWith('incident--'), `an incident id (${incidentId})`);
    check(await testid('incident-notice').count() === 1, 'the incident is open');
    check(await page.locator('[data-testid="incident-pending"]').count() === 1, 'the partner is asked and has not answered');
    await testid('note-text').fill('Blocked at the mail gateway.');
    await Promise.all([page.waitForNavigation(), testid('note-submit').click()]);
    await page.locator('[data-testid="timeline-entry"][data-kind="note"]').waitFor();
    const entries = await page.locator('[data-testid="timeline-entry"]').count();
    check(entries >= 2, `the timeline has the opening and the note (${entries})`);
    await testid('nav-incidents').click();
    check(await page.locator(`[data-testid="incident-link"][data-id="${incidentId}"]`).count() === 1, 'the incident is listed');
  });

  await step('peers', async () => {
    await testid('nav-settings').click();
    await Promise.all([page.waitForNavigation(), testid('settings-link-peers').click()]);
    await testid('sharing-rules').waitFor();
    check(await testid('quarantine').count() === 1, 'the quarantine is listed');
    const peers = await page.locator('[data-testid="peer-row"]').count();
    check(peers === 1, `the partner is a peer through the charter (${peers})`);
  });

  await step('arabic', async () => {
    await Promise.all([page.waitForNavigation(), testid('lang-ar').click()]);
    const dir = await page.evaluate(() => document.documentElement.getAttribute('dir'));
    const lang = await page.evaluate(() => document.documentElement.getAttribute('lang'));
    check(dir === 'rtl' && lang === 'ar', `html dir=${dir} lang=${lang}`);
    const nav = await testid('nav-intel').innerText();
    check(/[\u0600-\u06FF]/.test(nav), `the navigation is in Arabic (${nav})`);
    // The choice sticks to the next page.
    await Promise.all([page.waitForNavigation(), testid('nav-dashboard').click()]);
    check(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'still right-to-left');
  });

  await step('logout', async () => {
    await Promise.all([page.waitForNavigation(), testid('lang-en').click()]);
    await logout();
    await page.goto(`${base}/intel`);
    check(page.url().includes('/login'), 'signed-out users are sent to the log-in page');
  });

  await step('no-rights', async () => {
    await login(noUser, noPass);
    await testid('signed-in-as').waitFor();
    check(await testid('no-access').count() === 1, 'the dashboard says no access');
    check(await page.locator('[data-testid^="count-"]').count() === 0, 'no counts on the dashboard');
    check(await testid('nav-intel').count() === 0, 'no intel link');
    const r1 = await page.goto(`${base}/intel?q=${encodeURIComponent(search)}`);
    check(r1.status() === 403, `intel list answers 403 (${r1.status()})`);
    check(await page.locator('[data-testid="intel-row"]').count() === 0, 'no intel rows');
    check(await page.locator('[data-testid^="count-"]').count() === 0, 'no counts on the intel page');
    const r2 = await page.goto(`${base}/intel/${encodeURIComponent(objectId)}`);
    check(r2.status() === 403 || r2.status() === 404, `object page refused (${r2.status()})`);
    check(await testid('object-id').count() === 0, 'the object is not shown');
    check(await testid('object-properties').count() === 0, 'no properties are shown');
    const r3 = await page.goto(`${base}/match`);
    check(r3.status() === 403, `match refused (${r3.status()})`);
    for (const id of ['nav-community', 'nav-incidents', 'nav-alerts']) {
      check(await testid(id).count() === 0, `no ${id} link`);
    }
    for (const path of ['/community', '/incidents', `/incidents/${encodeURIComponent(incidentId)}`, '/alerts', '/settings/peers']) {
      const r = await page.goto(`${base}${path}`);
      check(r.status() === 403, `${path} refused (${r.status()})`);
      check(await page.locator('[data-testid^="count-"]').count() === 0, `no counts on ${path}`);
      check(await page.locator('[data-testid="proposal"], [data-testid="incident-row"], [data-testid="timeline-entry"], [data-testid="member"], [data-testid="peer-row"]').count() === 0, `nothing shown on ${path}`);
    }
  });

  await step('no-rights-logout', async () => {
    await page.goto(`${base}/settings`);
    check(await testid('settings-link-peers').count() === 0, 'no link to the peers page');
    await logout();
  });

  console.log(JSON.stringify({ ok: true, steps, import: summary, neighbour }));
  await browser.close();
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e.message || e), steps }));
  await browser.close().catch(() => {});
  process.exit(1);
}
