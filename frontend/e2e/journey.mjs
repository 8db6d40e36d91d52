#!/usr/bin/env node
// End-to-end journey of the itosm portal in headless Chromium, against a real
// running daemon that serves the built portal. This script does not start the
// daemon: a wrapper does, and passes its base URL in ITOSM_E2E_BASE_URL.
//
//   ITOSM_E2E_BASE_URL=http://127.0.0.1:18080 npm run e2e
//
// Optional: ITOSM_E2E_CHROMIUM (default /usr/bin/chromium),
//           ITOSM_E2E_TIMEOUT_MS (default 15000), ITOSM_E2E_HEADED=1.
// Screenshots go to frontend/e2e-screenshots/. The last line printed is
// "N passed, M failed"; the exit code is non-zero on any failure.

import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.ITOSM_E2E_BASE_URL ?? '').replace(/\/+$/, '');
const CHROMIUM = process.env.ITOSM_E2E_CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = Number(process.env.ITOSM_E2E_TIMEOUT_MS ?? 15000);
const SHOTS = fileURLToPath(new URL('../e2e-screenshots/', import.meta.url));

const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';
const DESCRIPTION = `Please install AutoCAD for the plant project. ${XSS}`;
const NUMBER_RE = /^INC-\d{4}-\d{4,}$/;

if (!BASE) {
  console.error('ITOSM_E2E_BASE_URL is not set (e.g. http://127.0.0.1:18080); start the daemon first.');
  console.log('0 passed, 1 failed');
  process.exit(2);
}

let passed = 0;
let failed = 0;
const state = {};

/** One counted check; a failure is reported and the journey goes on where it can. */
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok ${passed + failed} - ${name}`);
    return true;
  } catch (err) {
    failed += 1;
    const msg = String(err?.message ?? err).split('\n').slice(0, 6).join('\n    ');
    console.log(`not ok ${passed + failed} - ${name}\n    ${msg}`);
    return false;
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function need(key, what) {
  if (state[key] === undefined) throw new Error(`skipped: ${what} did not succeed earlier`);
  return state[key];
}

async function shot(page, name) {
  try {
    await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
  } catch (err) {
    console.log(`    (screenshot ${name} failed: ${err.message})`);
  }
}

/** At phone width nothing may overflow sideways. */
async function assertFitsWidth(page) {
  const { scroll, view } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    view: window.innerWidth,
  }));
  assert(scroll <= view, `page is ${scroll}px wide in a ${view}px viewport`);
}

async function login(page, username, employeeId) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Employee ID').fill(employeeId);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Fills and sends the request form; returns the ticket number shown. */
async function createRequest(page, { type, software, description }) {
  await page.goto(`${BASE}/new-request`);
  await page.getByLabel('Request type').selectOption(type);
  if (software) await page.getByLabel('Software').selectOption({ label: software });
  await page.getByLabel('Description').fill(description);
  await page.getByRole('button', { name: 'Submit request' }).click();
  const created = page.getByTestId('created-ticket-number');
  await created.waitFor();
  return (await created.textContent())?.trim() ?? '';
}

async function main() {
  await mkdir(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: process.env.ITOSM_E2E_HEADED !== '1',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
  const pageErrors = [];
  const newPage = async (name, options = {}) => {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
    return page;
  };

  try {
    // Context A: the admin, on a desktop screen. B: john.doe on a phone (375 px).
    // C: jane.smith. D: nobody logged in.
    const admin = await newPage('admin', { viewport: { width: 1280, height: 900 } });
    const john = await newPage('john', { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true });
    const jane = await newPage('jane', { viewport: { width: 1024, height: 800 } });
    const anon = await newPage('anon');

    await check('an unauthenticated visitor is sent to /login', async () => {
      await anon.goto(`${BASE}/my-tickets`);
      await anon.waitForURL((url) => url.pathname === '/login');
      await anon.getByLabel('Employee ID').waitFor();
      await shot(anon, '01-login');
    });

    await check('a wrong employee ID is refused plainly', async () => {
      await anon.getByLabel('Username').fill('john.doe');
      await anon.getByLabel('Employee ID').fill('NOT-HIS-ID');
      await anon.getByRole('button', { name: 'Log in' }).click();
      const error = anon.getByTestId('login-error');
      await error.waitFor();
      assert(/unknown username or employee id/i.test((await error.textContent()) ?? ''), 'no plain error shown');
      assert(new URL(anon.url()).pathname === '/login', 'left the login page');
      await shot(anon, '02-login-error');
    });

    await check('admin.user logs in and lands on the admin dashboard', async () => {
      await login(admin, 'admin.user', 'ADMIN01');
      assert(new URL(admin.url()).pathname === '/admin', `landed on ${admin.url()}`);
      await admin.getByRole('heading', { name: 'All tickets' }).waitFor();
      await admin.locator('[data-testid="admin-tickets-table"], [data-testid="empty"]').first().waitFor();
      state.adminIn = true;
    });

    await check('the admin live feed connects (graphql-transport-ws)', async () => {
      need('adminIn', 'admin login');
      await admin.locator('[data-testid="live-status"][data-state="connected"]').waitFor();
      // Marks this document: if the page reloads, the mark is gone.
      await admin.evaluate(() => {
        window.__itosmNoReload = true;
      });
      await shot(admin, '03-admin-dashboard');
    });

    await check('jane.smith logs in and creates a ticket of her own', async () => {
      await login(jane, 'jane.smith', 'EMP124');
      const number = await createRequest(jane, {
        type: 'SOFTWARE_INSTALL',
        software: 'Autodesk Revit 2025',
        description: "Jane's private request: Revit for the tower model.",
      });
      assert(NUMBER_RE.test(number), `ticket number looks wrong: ${JSON.stringify(number)}`);
      state.janeNumber = number;
      await shot(jane, '04-jane-created');
    });

    await check('john.doe logs in and lands on My Tickets', async () => {
      await login(john, 'john.doe', 'EMP123');
      assert(new URL(john.url()).pathname === '/my-tickets', `landed on ${john.url()}`);
      await john.getByRole('heading', { name: 'My tickets', exact: true }).waitFor();
      state.johnIn = true;
    });

    await check('john.doe requests Autodesk AutoCAD 2025 and sees the ticket number', async () => {
      need('johnIn', 'john login');
      await john.goto(`${BASE}/new-request`);
      await john.getByLabel('Request type').selectOption('SOFTWARE_INSTALL');
      const options = await john.getByLabel('Software').locator('option').allTextContents();
      assert(options.includes('Autodesk AutoCAD 2025'), `catalog: ${options.join(', ')}`);
      await john.getByLabel('Software').selectOption({ label: 'Autodesk AutoCAD 2025' });
      await john.getByLabel('Description').fill(DESCRIPTION);
      const counter = (await john.getByTestId('description-count').textContent()) ?? '';
      assert(counter.startsWith(`${[...DESCRIPTION].length} / `), `counter says ${counter}`);
      await shot(john, '05-new-request-form');
      await john.getByRole('button', { name: 'Submit request' }).click();
      const created = john.getByTestId('created-ticket-number');
      await created.waitFor();
      const number = (await created.textContent())?.trim() ?? '';
      assert(NUMBER_RE.test(number), `ticket number looks wrong: ${JSON.stringify(number)}`);
      assert(number !== state.janeNumber, 'same number as jane’s ticket');
      state.johnNumber = number;
      await assertFitsWidth(john);
      await shot(john, '06-new-request-created');
    });

    await check('the admin sees it appear live at the top, highlighted, without a reload', async () => {
      const number = need('johnNumber', 'john’s request');
      need('adminIn', 'admin login');
      const row = admin.locator(`[data-testid="ticket-row-${number}"]`);
      await row.waitFor();
      assert((await row.getAttribute('data-live-new')) === 'true', 'row is not marked data-live-new');
      assert(/\blive-new\b/.test((await row.getAttribute('class')) ?? ''), 'row has no live-new class');
      const first = await admin
        .locator('[data-testid="admin-tickets-table"] tbody tr')
        .first()
        .getAttribute('data-ticket-number');
      assert(first === number, `top row is ${first}, not ${number}`);
      assert(await admin.evaluate(() => window.__itosmNoReload === true), 'the admin page was reloaded');
      assert((await row.textContent())?.includes('Autodesk AutoCAD 2025'), 'row lacks the software');
      await shot(admin, '07-admin-live');
    });

    await check('the admin finds the ticket by its exact number', async () => {
      const number = need('johnNumber', 'john’s request');
      await admin.getByLabel('Ticket number').fill(number);
      await admin.getByRole('button', { name: 'Search' }).click();
      await admin.waitForFunction(
        (n) => {
          const rows = [...document.querySelectorAll('[data-testid="admin-tickets-table"] tbody tr')];
          return rows.length === 1 && rows[0].getAttribute('data-ticket-number') === n;
        },
        number,
        { timeout: TIMEOUT },
      );
      await shot(admin, '08-admin-search');
      await admin.getByRole('button', { name: 'Clear' }).click();
    });

    await check('john.doe finds the ticket in My Tickets', async () => {
      const number = need('johnNumber', 'john’s request');
      await john.getByRole('link', { name: 'My tickets', exact: true }).click();
      const row = john.getByTestId(`ticket-row-${number}`);
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      assert(text.includes('Autodesk AutoCAD 2025'), `row: ${text}`);
      assert(text.includes('Software install'), `row: ${text}`);
      assert(text.includes('Start'), `row: ${text}`);
      assert(!(await john.getByTestId(`ticket-row-${state.janeNumber}`).count()), 'jane’s ticket is listed for john');
      await assertFitsWidth(john);
      await shot(john, '09-my-tickets');
    });

    await check('the ticket page shows the description literally as text, and no script ran', async () => {
      const number = need('johnNumber', 'john’s request');
      await john.getByTestId(`ticket-row-${number}`).getByRole('link', { name: number, exact: true }).click();
      await john.waitForURL((url) => url.pathname === `/tickets/${number}`);
      const description = john.getByTestId('ticket-description');
      await description.waitFor();
      assert((await description.textContent()) === DESCRIPTION, `description: ${await description.textContent()}`);
      assert((await description.locator('img, script').count()) === 0, 'the description produced elements');
      assert((await john.evaluate(() => typeof window.__xss)) === 'undefined', 'window.__xss is set');
      await john.getByTestId('ticket-history').getByText('Start').first().waitFor();
      await assertFitsWidth(john);
      await shot(john, '10-ticket');
    });

    await check('the admin opening the ticket sees it as text too', async () => {
      const number = need('johnNumber', 'john’s request');
      await admin.goto(`${BASE}/tickets/${number}`);
      const description = admin.getByTestId('ticket-description');
      await description.waitFor();
      assert((await description.textContent()) === DESCRIPTION, 'description differs');
      assert((await admin.evaluate(() => typeof window.__xss)) === 'undefined', 'window.__xss is set');
      await shot(admin, '11-admin-ticket');
    });

    await check('john.doe opening /admin is turned away', async () => {
      need('johnIn', 'john login');
      await john.goto(`${BASE}/admin`);
      await john.waitForFunction(
        () =>
          window.location.pathname !== '/admin' || document.querySelector('[data-testid="not-allowed"]') !== null,
        undefined,
        { timeout: TIMEOUT },
      );
      assert((await john.getByTestId('admin-tickets-table').count()) === 0, 'john sees the admin table');
      await shot(john, '12-admin-refused');
    });

    await check('john.doe opening jane.smith’s ticket sees "not found"', async () => {
      const number = need('janeNumber', 'jane’s request');
      need('johnIn', 'john login');
      await john.goto(`${BASE}/tickets/${number}`);
      await john.getByTestId('not-found').waitFor();
      assert((await john.getByTestId('ticket-description').count()) === 0, 'jane’s ticket is shown to john');
      assert(!((await john.textContent('body')) ?? '').includes('tower model'), 'jane’s description leaked');
      await shot(john, '13-foreign-ticket-not-found');
    });

    await check('logging out forgets the session', async () => {
      need('johnIn', 'john login');
      await john.goto(`${BASE}/my-tickets`);
      await john.getByTestId('logout').click();
      await john.waitForURL((url) => url.pathname === '/login');
      assert((await john.evaluate(() => window.sessionStorage.length)) === 0, 'sessionStorage not cleared');
      await john.goto(`${BASE}/my-tickets`);
      await john.waitForURL((url) => url.pathname === '/login');
    });

    await check('no uncaught errors in any page', async () => {
      assert(pageErrors.length === 0, pageErrors.join('\n'));
    });
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (err) {
  failed += 1;
  console.log(`not ok - the journey could not run: ${err?.message ?? err}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
