#!/usr/bin/env node
/**
 * End-to-end browser test of the admin web against a REAL backend, in headless Chromium
 * (Debian's `chromium`, driven by playwright-core; no browser is downloaded).
 *
 *   node e2e/run.mjs --app http://127.0.0.1:3000 --admin admin@x:pw --broker staff@x:pw [--out dir]
 *
 * Scenario:
 *   1. a trader registers (a common password is refused with the API's field error first),
 *      connects the paper broker, creates a strategy (an unknown symbol is refused with the
 *      API's field error first) buying a few seconds from now, starts it, and sees it buy
 *      live: the position turns LONG on the open page without a reload;
 *   2. the trader opening /admin is turned away;
 *   3. an admin suspends that trader (the trader's open page shows the strategy stopped,
 *      live) and engages the global kill switch;
 *   4. broker staff see only their own broker's stats.
 * Screenshots of the main pages go to --out (default e2e/screenshots). The last line printed
 * is `E2E_RESULT {json}`; the exit code is 0 only when every step passed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    app: { type: "string", default: "http://127.0.0.1:3000" },
    admin: { type: "string" },
    broker: { type: "string" },
    out: { type: "string", default: path.join(here, "screenshots") },
    chromium: { type: "string", default: process.env.CHROMIUM_PATH || "" },
    "buy-delay": { type: "string", default: "8" },
    "live-budget-ms": { type: "string", default: "1000" },
  },
});
if (!args.admin || !args.broker) {
  console.error("usage: run.mjs --app URL --admin email:password --broker email:password [--out dir]");
  process.exit(2);
}
const APP = args.app.replace(/\/$/, "");
const OUT = path.resolve(args.out);
mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) if (f.endsWith(".png")) rmSync(path.join(OUT, f)); // no stale pictures
const [ADMIN_EMAIL, ADMIN_PASSWORD] = splitCred(args.admin);
const [BROKER_EMAIL, BROKER_PASSWORD] = splitCred(args.broker);
const TRADER_EMAIL = `trader-${Date.now().toString(36)}@example.test`;
const TRADER_PASSWORD = "Sturdy-Passw0rd-42";
const BUY_DELAY_S = Number(args["buy-delay"]);

function splitCred(s) {
  const i = s.indexOf(":");
  return [s.slice(0, i), s.slice(i + 1)];
}

function chromiumPath() {
  if (args.chromium) return args.chromium;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("which", [name], { encoding: "utf8" }).trim();
    } catch {
      /* next */
    }
  }
  throw new Error("chromium not found (apt-get install -y chromium)");
}

const result = { trader: TRADER_EMAIL, steps: [], screenshots: [] };
const t0 = Date.now();
function step(name, extra = {}) {
  const entry = { name, at_s: +((Date.now() - t0) / 1000).toFixed(2), ...extra };
  result.steps.push(entry);
  console.log(`[e2e] ok  ${entry.at_s.toFixed(1).padStart(6)} s  ${name}${Object.keys(extra).length ? ` ${JSON.stringify(extra)}` : ""}`);
}

async function shot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  result.screenshots.push(file);
}

/** HH:MM:SS in Asia/Kolkata, `seconds` from now. */
function istTime(seconds) {
  return new Date(Date.now() + seconds * 1000).toLocaleTimeString("en-GB", { timeZone: "Asia/Kolkata", hour12: false });
}
/** Weekday in IST, 0 = Monday (the backend's `days`). */
function istWeekday() {
  const name = new Date().toLocaleDateString("en-US", { timeZone: "Asia/Kolkata", weekday: "short" });
  return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(name);
}

async function expectText(locator, pattern, what, timeout = 10_000) {
  await locator.waitFor({ state: "visible", timeout });
  const deadline = Date.now() + timeout;
  let text = "";
  while (Date.now() < deadline) {
    text = (await locator.innerText()).trim();
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: expected ${pattern}, got ${JSON.stringify(text)}`);
}

async function signIn(page, email, password) {
  await page.goto(`${APP}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: 15_000 }), page.click('button[type="submit"]')]);
}

let browser;
let current = null; // the page to photograph when a step fails
async function main() {
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
  });
  const viewport = { width: 1440, height: 900 };

  // ---- 1. The trader ------------------------------------------------------------------------
  const traderCtx = await browser.newContext({ viewport, timezoneId: "Asia/Kolkata", locale: "en-IN" });
  const trader = await traderCtx.newPage();
  current = trader;
  trader.on("pageerror", (e) => console.log(`[e2e] trader page error: ${e.message}`));

  await trader.goto(`${APP}/dashboard`);
  await trader.waitForURL(/\/login/);
  step("signed-out visitor is sent to /login");
  await shot(trader, "01-login");

  await trader.goto(`${APP}/register`);
  await trader.fill("#email", TRADER_EMAIL);
  await trader.fill("#password", "password1");
  await trader.fill("#confirm", "password1");
  await trader.click('button[type="submit"]');
  const weak = await expectText(trader.getByTestId("error-password"), /common|weak|short/i, "the API's password error on the password field");
  step("register: the API's field error shows on the field", { message: weak });
  await shot(trader, "02-register-error");

  await trader.fill("#password", TRADER_PASSWORD);
  await trader.fill("#confirm", TRADER_PASSWORD);
  await Promise.all([trader.waitForURL(/\/brokers/, { timeout: 15_000 }), trader.click('button[type="submit"]')]);
  step("trader registered and signed in");

  await trader.getByTestId("broker-select").selectOption("paper");
  await trader.getByTestId("connect-submit").click();
  await trader.getByTestId("broker-account-paper").waitFor({ timeout: 15_000 });
  await expectText(trader.getByTestId("broker-account-paper"), /ACTIVE/, "paper account status");
  step("paper broker connected");
  await shot(trader, "03-brokers");

  await trader.goto(`${APP}/strategies/new`);
  await trader.fill("#name", "E2E live buy");
  await trader.fill("#symbol", "NOPE");
  await trader.fill("#quantity", "5");
  await trader.fill("#stop_loss", "1.00");
  const today = istWeekday();
  if ((await trader.getByTestId(`day-${today}`).getAttribute("aria-pressed")) !== "true") await trader.getByTestId(`day-${today}`).click();
  await trader.fill("#buy_time", "10:00:00");
  await trader.fill("#sell_time", "11:00:00");
  await trader.getByTestId("strategy-submit").click();
  const unknown = await expectText(trader.getByTestId("error-symbol"), /unknown symbol/i, "the API's symbol error on the symbol field");
  step("create strategy: the API's field error shows on the field", { message: unknown });
  await shot(trader, "04-strategy-form-error");

  await trader.fill("#symbol", "TCS");
  const buyTime = istTime(BUY_DELAY_S);
  await trader.fill("#buy_time", buyTime);
  const later = istTime(3600);
  await trader.fill("#sell_time", later > buyTime ? later : "23:59:59"); // never past midnight
  await Promise.all([trader.waitForURL(/\/strategies\/\d+$/, { timeout: 15_000 }), trader.getByTestId("strategy-submit").click()]);
  const strategyId = Number(trader.url().split("/").pop());
  result.strategy_id = strategyId;
  result.buy_time = buyTime;
  step("strategy created", { id: strategyId, buy_time: buyTime });

  await trader.getByTestId("start-strategy").click();
  await expectText(trader.getByTestId("strategy-status"), /RUNNING/, "status after start");
  step("strategy started");
  await expectText(trader.getByTestId("strategy-position"), /FLAT/, "position before the buy");
  await trader.getByTestId("live-indicator").and(trader.locator('[data-state="open"]')).waitFor({ timeout: 15_000 });
  step("live stream connected");

  // "Sees it buy live": no navigation may happen between now and LONG.
  await trader.evaluate(() => {
    window.__noReload = true;
    window.__longAt = null;
    const check = () => {
      const el = document.querySelector('[data-testid="strategy-position"]');
      if (!window.__longAt && el && el.getAttribute("data-value") === "LONG") window.__longAt = Date.now();
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    check();
  });
  await trader.waitForFunction(() => window.__longAt !== null, null, { timeout: (BUY_DELAY_S + 30) * 1000, polling: 50 });
  const longAt = await trader.evaluate(() => window.__longAt);
  const stillSamePage = await trader.evaluate(() => window.__noReload === true);
  if (!stillSamePage) throw new Error("the page reloaded while waiting for the buy");
  result.long_seen_at_ms = longAt;
  step("position turned LONG live, without a reload", { long_seen_at_ms: longAt });
  await expectText(trader.getByTestId("strategy-last-action"), /BUY FILLED/, "last action");
  await trader.locator('[data-testid="order-row"][data-side="BUY"][data-status="FILLED"]').waitFor({ timeout: 10_000 });
  step("the BUY order shows FILLED in the orders table (refreshed by the live event)");
  await shot(trader, "05-strategy-detail-live-buy");

  await trader.goto(`${APP}/strategies`);
  await expectText(trader.getByTestId(`strategy-status-${strategyId}`), /RUNNING/, "list status");
  await shot(trader, "06-strategies");
  // The session: the JWTs are httpOnly cookies, and an expired access token is refreshed
  // transparently (here: the access cookie is gone, the refresh cookie remains).
  if ((await trader.evaluate(() => document.cookie)).includes("at_")) throw new Error("the JWT is readable from JavaScript");
  const before = (await traderCtx.cookies()).find((c) => c.name === "at_refresh");
  if (!before?.httpOnly) throw new Error("the refresh cookie is not httpOnly");
  await traderCtx.clearCookies({ name: "at_access" });
  await trader.goto(`${APP}/dashboard`);
  await trader.getByText("Today's positions").waitFor();
  const after = await traderCtx.cookies();
  if (!after.find((c) => c.name === "at_access")?.httpOnly) throw new Error("no new httpOnly access cookie after the refresh");
  if (after.find((c) => c.name === "at_refresh")?.value === before.value) throw new Error("the refresh token was not rotated");
  step("an expired access token is refreshed through the httpOnly refresh cookie");
  await shot(trader, "07-dashboard");

  await trader.goto(`${APP}/playground`);
  await trader.getByTestId("backtest-submit").click();
  await trader.waitForURL(/\/playground\/\d+$/, { timeout: 15_000 });
  try {
    await expectText(trader.getByTestId("run-status"), /DONE/, "backtest", 30_000);
    await trader.getByTestId("equity-chart").waitFor({ timeout: 10_000 });
    step("playground backtest finished with an equity curve");
  } catch (e) {
    step("playground backtest did not finish (no default worker?)", { note: String(e.message).slice(0, 120) });
  }
  await shot(trader, "08-playground");

  await trader.goto(`${APP}/profile`);
  await trader.getByTestId("profile-email").waitFor();
  await shot(trader, "09-profile");

  // ---- 2. A trader is turned away from /admin ---------------------------------------------------
  await trader.goto(`${APP}/admin/users`);
  await trader.waitForURL((u) => u.pathname === "/dashboard", { timeout: 10_000 });
  await trader.getByTestId("denied-notice").waitFor();
  step("trader opening /admin is turned away", { landed: new URL(trader.url()).pathname });
  await shot(trader, "10-trader-denied-admin");

  // Leave the trader on the strategy page to watch the suspension arrive live.
  await trader.goto(`${APP}/strategies/${strategyId}`);
  await expectText(trader.getByTestId("strategy-status"), /RUNNING/, "status before the suspension");
  await trader.getByTestId("live-indicator").and(trader.locator('[data-state="open"]')).waitFor({ timeout: 15_000 });
  await trader.evaluate(() => {
    window.__stoppedAt = null;
    const check = () => {
      const el = document.querySelector('[data-testid="strategy-status"]');
      if (!window.__stoppedAt && el && el.getAttribute("data-value") === "STOPPED") {
        window.__stoppedAt = Date.now();
        // Survives the sign-out that follows (a new document would lose window state).
        sessionStorage.setItem("e2e-stopped-at", String(window.__stoppedAt));
      }
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true });
  });

  // ---- 3. The admin -------------------------------------------------------------------------
  const adminCtx = await browser.newContext({ viewport, timezoneId: "Asia/Kolkata", locale: "en-IN" });
  const admin = await adminCtx.newPage();
  current = admin;
  await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  step("admin signed in", { landed: new URL(admin.url()).pathname });
  await admin.goto(`${APP}/admin/users?email=${encodeURIComponent(TRADER_EMAIL)}`);
  const row = admin.locator(`[data-testid="user-row"][data-email="${TRADER_EMAIL}"]`);
  await row.waitFor();
  await row.getByTestId("suspend-user").click();
  await admin.fill("#suspend-reason", "E2E: unusual order pattern");
  await admin.getByTestId("confirm-suspend").click();
  await expectText(row.getByTestId("user-state"), /suspended/, "user state after suspend");
  step("admin suspended the trader");
  await admin.goto(`${APP}/admin/users`);
  await shot(admin, "11-admin-users");

  // The trader's open page follows: the strategy turns STOPPED (live event), then the refetch
  // that event triggers finds the session revoked and lands on the login page.
  current = trader;
  await trader.waitForURL(/\/login/, { timeout: 20_000 });
  const stoppedAt = await trader.evaluate(() => Number(sessionStorage.getItem("e2e-stopped-at")) || null);
  if (!stoppedAt) throw new Error("the trader's open page never showed the strategy STOPPED");
  step("the suspended trader's open page showed the strategy STOPPED live, then the login page");
  await trader.goto(`${APP}/dashboard`);
  await trader.waitForURL(/\/login/, { timeout: 10_000 });
  step("the suspended trader stays signed out");

  current = admin;
  await admin.goto(`${APP}/admin/system`);
  await admin.getByTestId("open-kill-switch").click();
  await admin.locator("#ks-scope").selectOption("global");
  await admin.fill("#ks-reason", "E2E: exchange issue, halting everything");
  await admin.getByTestId("engage-kill-switch").click();
  await admin.locator('[data-testid="active-kill-switches"] [data-scope="global"]').waitFor({ timeout: 10_000 });
  step("admin engaged the global kill switch");
  await shot(admin, "12-admin-system-kill-switch");

  await admin.goto(`${APP}/admin/strategies`);
  await expectText(admin.getByTestId(`admin-strategy-status-${strategyId}`), /STOPPED/, "admin strategies");
  await shot(admin, "13-admin-strategies");
  await admin.goto(`${APP}/admin/analytics`);
  await admin.getByText("Order flow, last 24 hours").waitFor();
  await admin.waitForTimeout(300);
  await shot(admin, "14-admin-analytics");
  step("admin pages rendered");

  // ---- 4. Broker staff ----------------------------------------------------------------------
  const brokerCtx = await browser.newContext({ viewport, timezoneId: "Asia/Kolkata", locale: "en-IN" });
  const staff = await brokerCtx.newPage();
  current = staff;
  await signIn(staff, BROKER_EMAIL, BROKER_PASSWORD);
  await staff.waitForURL(/\/broker-desk/);
  await staff.locator('[data-testid^="broker-stats-"]').first().waitFor({ timeout: 15_000 });
  const sections = await staff.locator('[data-testid^="broker-stats-"]').evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));
  if (sections.length !== 1 || sections[0] !== "broker-stats-paper") throw new Error(`broker staff should see only their broker, saw ${JSON.stringify(sections)}`);
  await expectText(staff.getByTestId("broker-clients"), new RegExp(TRADER_EMAIL.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "the broker's client list");
  const navText = await staff.locator("nav").innerText();
  if (/System|Users|All strategies|Strategies|Dashboard/.test(navText)) throw new Error(`broker staff nav shows other areas: ${navText}`);
  step("broker staff see only their broker's stats", { sections });
  await shot(staff, "15-broker-desk");
  await staff.goto(`${APP}/admin/system`);
  await staff.waitForURL(/\/broker-desk/);
  await staff.goto(`${APP}/strategies`);
  await staff.waitForURL(/\/broker-desk/);
  step("broker staff are turned away from /admin and trader pages");

  result.ok = true;
}

main()
  .catch(async (err) => {
    result.ok = false;
    result.error = String(err?.stack || err);
    console.error(`[e2e] FAILED: ${err?.message || err}`);
    if (current) await shot(current, "failure").catch(() => undefined);
  })
  .finally(async () => {
    await browser?.close().catch(() => undefined);
    result.seconds = +((Date.now() - t0) / 1000).toFixed(1);
    console.log(`E2E_RESULT ${JSON.stringify(result)}`);
    process.exit(result.ok ? 0 : 1);
  });
