#!/usr/bin/env node
/**
 * Headless Chromium (Debian's, via playwright-core: no browser download) through the exported
 * web app against a real backend: sign in, connect the paper broker, create a strategy whose
 * buy time is a few seconds away, start it, and wait — without reloading — until the detail
 * screen shows the position LONG and the BUY FILLED that arrive over the WebSocket.
 *
 *   node e2e/web-flow.mjs --url http://127.0.0.1:8082 --email t@example.test --password ... [--screenshot out.png]
 *
 * Prints one JSON line: {"ok": true|false, ...}. Exit code 0 only when ok.
 */
import { execFileSync } from 'node:child_process';

import { chromium } from 'playwright-core';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const base = arg('url');
const email = arg('email');
const password = arg('password');
const screenshot = arg('screenshot', null);
const buyDelay = Number(arg('buy-delay', '15')); // seconds from filling the form to the buy (room for a busy machine)
const executablePath = process.env.CHROMIUM_PATH || execFileSync('which', ['chromium']).toString().trim();

/** HH:MM:SS in Asia/Kolkata, `seconds` from now. */
function istIn(seconds) {
  return new Date(Date.now() + seconds * 1000).toLocaleTimeString('en-GB', { timeZone: 'Asia/Kolkata', hour12: false });
}

const started = Date.now();
const steps = [];
const step = (name) => steps.push({ name, at: ((Date.now() - started) / 1000).toFixed(1) });
const result = { ok: false, steps, wsEvents: [], consoleErrors: [] };

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 430, height: 900 } });
page.setDefaultTimeout(20000);
page.on('console', (msg) => {
  if (msg.type() === 'error') result.consoleErrors.push(msg.text().slice(0, 300));
});
page.on('websocket', (ws) => {
  ws.on('framereceived', ({ payload }) => {
    try {
      const event = JSON.parse(String(payload));
      if (event.type !== 'heartbeat' && event.type !== 'prices') result.wsEvents.push(event);
    } catch {
      // not JSON
    }
  });
});

async function text(testId) {
  return (await page.getByTestId(testId).first().innerText()).trim();
}

try {
  await page.goto(base + '/');
  await page.getByTestId('field-email').fill(email);
  await page.getByTestId('field-password').fill(password);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('new-strategy').waitFor();
  step('signed in');

  await page.getByTestId('tab-broker').click();
  await page.getByTestId('connect-broker').click();
  await page.getByTestId('connect-done').waitFor();
  step('paper broker connected');

  await page.getByTestId('tab-strategies').click();
  await page.getByTestId('new-strategy').click();
  await page.getByTestId('field-name').waitFor();
  // Wait for the accounts to load and the paper account to be preselected.
  await page.locator('[data-testid^="broker-account-"]').first().waitFor();
  await page.getByTestId('field-name').fill('Browser e2e');
  await page.getByTestId('field-symbol').fill('TCS');
  await page.getByTestId('field-quantity').fill('2');
  const buyTime = istIn(buyDelay);
  const sellTime = istIn(buyDelay + 600);
  result.buyTime = buyTime;
  await page.getByTestId('field-buy_time').fill(buyTime);
  await page.getByTestId('field-sell_time').fill(sellTime);
  await page.getByTestId('field-stop_loss').fill('1.00');
  await page.getByTestId('create-strategy').click();
  await page.getByTestId('strategy-detail').waitFor();
  result.strategyId = Number(new URL(page.url()).pathname.split('/').pop());
  step('strategy created');

  await page.getByTestId('live-state').filter({ hasText: 'Live' }).waitFor();
  result.positionBefore = await text('position');
  await page.getByTestId('start-strategy').click();
  await page.getByTestId('strategy-status').filter({ hasText: 'RUNNING' }).waitFor();
  result.startedBeforeBuy = istIn(0) < buyTime;
  step('strategy started');
  if (!result.startedBeforeBuy) throw new Error(`started after the buy time ${buyTime}: the machine was too slow for --buy-delay ${buyDelay}`);

  // No reload from here on: only the WebSocket can change what the screen shows.
  await page.getByTestId('position').filter({ hasText: 'LONG' }).waitFor({ timeout: buyDelay * 1000 + 30000 });
  await page.getByTestId('last-order').filter({ hasText: 'BUY FILLED' }).waitFor({ timeout: 10000 });
  step('LONG / BUY FILLED shown');
  // The event also triggers a re-fetch: the order list then shows the fill.
  await page.locator('[data-testid^="order-"]').first().waitFor({ timeout: 10000 });
  result.ordersShown = await page.locator('[data-testid^="order-"]').count();
  result.position = await text('position');
  result.lastOrder = await text('last-order');
  result.orderEventSeen = result.wsEvents.some(
    (e) => e.type === 'order' && e.strategy_id === result.strategyId && e.side === 'BUY' && e.status === 'FILLED',
  );
  result.ok = result.positionBefore === 'FLAT' && result.orderEventSeen && result.startedBeforeBuy;
} catch (error) {
  result.error = String(error?.stack ?? error).slice(0, 2000);
  try {
    result.pageText = (await page.locator('body').innerText()).slice(0, 2000);
  } catch {
    // page gone
  }
} finally {
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  await browser.close();
}
result.seconds = (Date.now() - started) / 1000;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
