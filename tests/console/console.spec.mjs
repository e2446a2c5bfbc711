// Browser test of the web console, run by tests/console/run against a real
// node (node --test). Environment: LEDGERD_URL (node base URL),
// LEDGERD_TOKEN (an API token), LEDGERD_CONFLICT_ID (an open conflict),
// LEDGERD_NODE_PID (the node's process, frozen for a while by the last
// test), LEDGERD_ARTIFACTS_DIR (where the screenshots go).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { chromium } = createRequire(join(root, 'console', 'package.json'))('playwright-core');

const base = process.env.LEDGERD_URL;
const token = process.env.LEDGERD_TOKEN;
const conflictId = Number(process.env.LEDGERD_CONFLICT_ID);
const nodePid = Number(process.env.LEDGERD_NODE_PID);
const artifacts = process.env.LEDGERD_ARTIFACTS_DIR || join(root, 'build', 'test-artifacts');
assert.ok(base && token && conflictId > 0 && nodePid > 0,
  'LEDGERD_URL, LEDGERD_TOKEN, LEDGERD_CONFLICT_ID and LEDGERD_NODE_PID are required');
mkdirSync(artifacts, { recursive: true });

/// How long a live value may take to change (the stream sends every second).
const LIVE_TIMEOUT = 20_000;

let browser;
let page;
const pageErrors = [];

async function api(path, options = {}) {
  const res = await fetch(base + path, {
    ...options,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  });
  const body = await res.text();
  assert.ok(res.ok, `${options.method || 'GET'} ${path}: ${res.status} ${body}`);
  return body ? JSON.parse(body) : null;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

test('the node serves the console files without auth, uncached, with their types', async () => {
  const index = await fetch(`${base}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(await index.text(), /<title>ledgerd console<\/title>/);

  const js = await fetch(`${base}/console/app.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.equal(js.headers.get('cache-control'), 'no-cache');
  assert.match(await js.text(), /\/v1\/telemetry\/stream/);

  const css = await fetch(`${base}/console/style.css`);
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type'), /^text\/css/);

  assert.equal((await fetch(`${base}/console/nope.js`)).status, 404);
  assert.equal((await fetch(`${base}/console/package.json`)).status, 404);
});

test('without a token the page asks for one and refuses a wrong one', async () => {
  const context = await browser.newContext();
  try {
    const p = await context.newPage();
    await p.goto(`${base}/`);
    await p.getByTestId('token-form').waitFor({ state: 'visible' });
    await p.getByTestId('token-input').fill('not-the-token');
    await p.getByRole('button', { name: 'Connect' }).click();
    await p.getByTestId('error-banner').waitFor({ state: 'visible' });
    assert.match(await p.getByTestId('error-banner').textContent(), /401/);
    assert.ok(await p.getByTestId('token-form').isVisible(), 'the form stays for another try');
  } finally {
    await context.close();
  }
});

test('the page loads with ?token= and shows both tenants', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  // Console errors include failed loads and Content-Security-Policy
  // violations.
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`console: ${msg.text()}`);
  });
  await page.goto(`${base}/?token=${encodeURIComponent(token)}`);
  // The token leaves the address bar once it is stored.
  assert.equal(new URL(page.url()).searchParams.get('token'), null);

  for (const tenant of ['acme', 'nordvik']) {
    await page.locator(`[data-testid=tenant-row][data-tenant=${tenant}]`).waitFor();
  }
  assert.equal(await page.getByTestId('tenant-row').count(), 2);
  const acme = page.locator('[data-testid=tenant-row][data-tenant=acme]');
  assert.match(await acme.textContent(), /fortnox/);
  assert.match(await page.locator('[data-testid=tenant-row][data-tenant=nordvik]').textContent(), /visma/);
  await page.getByTestId('status-text').filter({ hasText: 'live' }).waitFor({ timeout: LIVE_TIMEOUT });
  assert.ok(await page.getByTestId('error-banner').isHidden());
});

test('the node\'s actors, supervisor children and rate-limit buckets are shown', async () => {
  await page.locator('[data-testid=actor-row][data-type=tenant]').waitFor();
  assert.match(await page.locator('[data-testid=actor-row][data-type=tenant]').textContent(), /tenant\s*2/);
  for (const child of ['monitor', 'dispatcher', 'tenant/acme', 'tenant/nordvik']) {
    const row = page.locator(`[data-testid=supervisor-child][data-name="${child}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /running/);
  }
  const acmeBucket = page.locator('[data-testid=rate-limit][data-bucket*=acme]');
  await acmeBucket.first().waitFor();
  assert.match(await acmeBucket.first().textContent(), /\d+ \/ \d+ per min/);
});

test('live values change with the stream', async () => {
  const lastUpdate = page.getByTestId('last-update');
  const first = await lastUpdate.getAttribute('datetime');
  const uptime = Number(await page.getByTestId('node-uptime').getAttribute('data-seconds'));
  await page.waitForFunction(
    (prev) => document.querySelector('[data-testid=last-update]').getAttribute('datetime') !== prev,
    first, { timeout: LIVE_TIMEOUT });
  await page.waitForFunction(
    (prev) => Number(document.querySelector('[data-testid=node-uptime]').dataset.seconds) > prev,
    uptime, { timeout: LIVE_TIMEOUT });

  // A manual sync makes API calls to the simulator; the counter follows.
  const calls = Number(await page.getByTestId('total-api-calls').getAttribute('data-value'));
  assert.ok(Number.isFinite(calls), 'the API call counter is shown');
  await api('/v1/tenants/acme/sync', { method: 'POST', body: JSON.stringify({ entity: 'customer' }) });
  await page.waitForFunction(
    (prev) => Number(document.querySelector('[data-testid=total-api-calls]').dataset.value) > prev,
    calls, { timeout: LIVE_TIMEOUT });

  // The charts draw the history plus the streamed points.
  assert.ok(await page.locator('#queue-chart path.series').count() >= 1);
  assert.ok(await page.locator('#throughput-chart path.series').count() >= 1);
});

test('a record the provider refuses to change is listed with its reason', async () => {
  const id = process.env.LEDGERD_READ_ONLY_ID;
  assert.ok(id, 'LEDGERD_READ_ONLY_ID is required');
  const row = page.locator(`[data-testid=read-only-row][data-local-id="${id}"]`);
  await row.waitFor({ timeout: LIVE_TIMEOUT });
  assert.match(await row.textContent(), /acme · fortnox/);
  assert.match(await row.textContent(), /Fortnox|bokf/i);
  const acme = page.locator('[data-testid=tenant-row][data-tenant=acme]');
  const count = acme.locator('td[title^="records the provider"]');
  assert.equal((await count.textContent()).trim(), '1');
  const listed = await api('/v1/records/read-only?tenant=acme');
  assert.ok(listed.records.some((r) => r.local_id === id && r.reason.length > 0));
});

test('a paused entity is listed with its reason', async () => {
  const row = page.locator('[data-testid=paused-row][data-tenant=nordvik][data-entity=customer]');
  await row.waitFor({ timeout: LIVE_TIMEOUT });
  assert.match(await row.textContent(), /console test drift/);
});

test('"take local" resolves the open conflict', async () => {
  const row = page.locator(`[data-testid=conflict-row][data-conflict-id="${conflictId}"]`);
  await row.waitFor({ timeout: LIVE_TIMEOUT });
  assert.match(await row.textContent(), /due_date/);
  // The run's config has an alert that fires while a conflict is open.
  const alert = page.locator('[data-testid=alert][data-rule=console_test_conflict]');
  await alert.waitFor({ timeout: LIVE_TIMEOUT });
  await page.screenshot({ path: join(artifacts, 'console.png'), fullPage: true });

  await row.getByTestId('take-local').click();
  await row.waitFor({ state: 'detached', timeout: LIVE_TIMEOUT });
  assert.ok(await page.getByTestId('conflict-error').isHidden());

  const resolved = await api('/v1/conflicts?status=resolved');
  const mine = resolved.conflicts.find((c) => c.id === conflictId);
  assert.ok(mine, `conflict ${conflictId} is listed as resolved`);
  assert.equal(mine.resolution, 'local');
  assert.equal(mine.resolved_by, 'console');
  // No conflict is open any more: the alert resolves and leaves the list.
  await alert.waitFor({ state: 'detached', timeout: LIVE_TIMEOUT });
  await page.screenshot({ path: join(artifacts, 'console-resolved.png'), fullPage: true });
});

// Before the frozen-node test below, whose failed loads are logged on purpose.
test('the page logged no errors', () => {
  assert.deepEqual(pageErrors, []);
});

test('a frozen node breaks the stream: error banner, then the page reconnects', async () => {
  // SIGSTOP freezes the real node: the stream stalls, the page gives up on
  // it after 5 s without an update and retries with backoff.
  const banner = page.getByTestId('error-banner');
  process.kill(nodePid, 'SIGSTOP');
  try {
    await banner.waitFor({ state: 'visible', timeout: LIVE_TIMEOUT });
    assert.match(await banner.textContent(), /interrupted.*reconnecting/);
    assert.notEqual(await page.getByTestId('status-text').textContent(), 'live');
  } finally {
    process.kill(nodePid, 'SIGCONT');
  }
  await banner.waitFor({ state: 'hidden', timeout: 2 * LIVE_TIMEOUT });
  const before = await page.getByTestId('last-update').getAttribute('datetime');
  await page.waitForFunction(
    (prev) => document.querySelector('[data-testid=last-update]').getAttribute('datetime') !== prev,
    before, { timeout: LIVE_TIMEOUT });
  assert.equal(await page.getByTestId('status-text').textContent(), 'live');
});
