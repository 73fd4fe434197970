// Real-browser checks of the built site, driven by tests/browser/test_browser.py.
//
//   node tests/browser/run_checks.mjs '<json config>'
//
// The config names the server's base URL, the page paths to visit, Chromium's path, the
// axe-core script and the screenshot folder. Prints one JSON document on stdout: every
// check's outcome and details, the figures measured, console errors and off-host requests.
// The script never fails on a check: pytest reads the JSON and asserts.

import { readFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(process.argv[2]);
const base = new URL(config.base_url);
const pages = config.pages; // {home, package, grid, category, search}
const result = { checks: {}, figures: {}, console_errors: [], external_requests: [], requests: 0 };

function check(name, ok, detail) {
  result.checks[name] = { ok: Boolean(ok), detail };
}

const browser = await chromium.launch({
  executablePath: config.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

// A context that records every request, lets only the local server through and gathers errors.
async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    result.requests += 1;
    if (url.host === base.host || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    result.external_requests.push(url.href);
    return route.abort();
  });
  context.on('page', (page) => watch(page));
  return context;
}

function watch(page) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') result.console_errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => result.console_errors.push(`${page.url()}: ${err.message}`));
}

const url = (path) => new URL(path, base).href;

async function axe(page) {
  await page.addScriptTag({ path: config.axe });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

async function searchChecks(context) {
  const page = await context.newPage();
  const dataBytes = [];
  const pending = [];
  page.on('response', (response) => {
    if (!response.url().includes('/search/data/')) return;
    pending.push(response.body().catch(() => Buffer.alloc(0)).then((body) => {
      dataBytes.push({ url: response.url(), bytes: body.length, gzip: gzipSync(body, { level: 6 }).length });
    }));
  });
  await page.goto(url(pages.search));
  const box = page.locator('#search-q');
  const before = await box.evaluate((el) => ({ role: el.getAttribute('role'),
    expanded: el.getAttribute('aria-expanded'), controls: el.getAttribute('aria-controls') }));
  await page.keyboard.press('/');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
  await page.keyboard.type('select2', { delay: 30 });
  await page.locator('#search-results [role=option]').first().waitFor();
  await page.waitForFunction(() => document.getElementById('search-status').textContent.includes('select2'));
  const listed = await page.locator('#search-results [role=option] .hit-title').allTextContents();
  const firstOption = await page.locator('#search-results [role=option]').first().innerText();
  const aria = await box.evaluate((el) => ({ expanded: el.getAttribute('aria-expanded'),
    listbox: document.getElementById(el.getAttribute('aria-controls'))?.getAttribute('role') }));
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  const activeState = await box.evaluate((el) => {
    const id = el.getAttribute('aria-activedescendant');
    const opt = id && document.getElementById(id);
    return { id, selected: opt && opt.getAttribute('aria-selected'), index: opt ? [...opt.parentNode.children].indexOf(opt) : -1 };
  });
  check('search: ARIA combobox', before.role === 'combobox' && before.expanded === 'false' && aria.expanded === 'true'
    && aria.listbox === 'listbox' && activeState.selected === 'true' && activeState.index === 0,
  { before, after: aria, active: activeState });
  check('search: "/" focuses the box', focused === 'search-q', { focused });
  check('search: "select2" lists Django-Select2', listed.includes('Django-Select2'), { listed, first: firstOption });
  await Promise.all(pending);
  const firstSearch = dataBytes.reduce((a, b) => a + b.gzip, 0);
  result.figures.first_search_index_gzip_bytes = firstSearch;
  result.figures.first_search_files = dataBytes;
  result.figures.search_url_after_typing = page.url();
  const violations = await axe(page);
  check('axe: search (with results)', violations.length === 0, violations);
  await shoot(page, 'search-results', 1280);
  await page.setViewportSize({ width: 375, height: 800 });
  await shoot(page, 'search-results', 375);
  await page.setViewportSize({ width: 1280, height: 900 });
  // The first option is active again after ArrowUp; Enter opens it.
  const target = await page.locator('#search-results [role=option]').first().getAttribute('href');
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith('/packages/p/django-select2/')), page.keyboard.press('Enter')]);
  check('search: Enter opens Django-Select2', new URL(page.url()).pathname.endsWith('/packages/p/django-select2/'),
    { target, landed: page.url() });
  // ?q= on load.
  await page.goto(url(pages.search + '?q=select2'));
  await page.locator('#search-results [role=option]').first().waitFor();
  const fromUrl = await page.locator('#search-results [role=option] .hit-title').allTextContents();
  check('search: reads ?q= on load', fromUrl.includes('Django-Select2'), { listed: fromUrl });
  // "/" from another page focuses the header box.
  await page.goto(url(pages.package));
  await page.keyboard.press('/');
  const headerFocus = await page.evaluate(() => document.activeElement && document.activeElement.id);
  check('search: "/" focuses the header box on other pages', headerFocus === 'q', { focused: headerFocus });
  await page.close();
}

async function noScriptCheck() {
  const context = await newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(url(pages.search + '?q=select2'));
  const links = await page.locator('main a').evaluateAll((as) => as.filter((a) => a.offsetParent !== null)
    .map((a) => a.getAttribute('href')));
  check('search without JavaScript links to the lists', links.some((h) => h.endsWith('/packages/'))
    && links.some((h) => h.includes('/categories/')), { links });
  await context.close();
}

async function packageChecks(context) {
  const page = await context.newPage();
  const loaded = [];
  const pending = [];
  page.on('response', (response) => {
    const type = response.request().resourceType();
    pending.push(response.body().catch(() => Buffer.alloc(0)).then((body) => {
      loaded.push({ url: response.url(), type, bytes: body.length, gzip: gzipSync(body, { level: 6 }).length });
    }));
  });
  await page.goto(url(pages.package), { waitUntil: 'networkidle' });
  await Promise.all(pending);
  const chart = await page.evaluate(() => {
    const heading = [...document.querySelectorAll('h2')].find((h) => h.textContent.trim() === 'Commit Graph');
    const svg = heading && heading.closest('section')?.querySelector('svg');
    if (!svg) return null;
    const box = svg.getBoundingClientRect();
    return { width: box.width, height: box.height, bars: svg.querySelectorAll('rect').length,
      label: svg.getAttribute('aria-label') || svg.querySelector('title')?.textContent || '' };
  });
  check('package page shows its commit chart', chart && chart.width > 100 && chart.height > 10 && chart.bars > 0, chart);
  const counted = loaded.filter((r) => ['document', 'stylesheet', 'script'].includes(r.type));
  const total = counted.reduce((a, r) => a + r.gzip, 0);
  result.figures.package_page_weight_gzip_bytes = total;
  result.figures.package_page_resources = loaded;
  const thirdParty = loaded.filter((r) => new URL(r.url).host !== base.host);
  check('package page: HTML + CSS + JS under 30 KB gzip, no third-party requests',
    total < 30 * 1024 && thirdParty.length === 0, { total, resources: counted, thirdParty });
  await page.close();
}

async function gridChecks() {
  const context = await newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(url(pages.grid));
  const measure = () => page.evaluate(() => {
    const wrap = document.querySelector('.grid-wrap');
    const row = wrap.querySelector('tbody tr:not(.section)');
    const head = row.querySelector('th').getBoundingClientRect();
    const cell = row.querySelector('td').getBoundingClientRect();
    return { scrollLeft: wrap.scrollLeft, scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth,
      pageWidth: document.documentElement.scrollWidth, headX: head.x, cellX: cell.x };
  });
  const before = await measure();
  await page.evaluate(() => { document.querySelector('.grid-wrap').scrollLeft = 300; });
  const after = await measure();
  check('grid scrolls sideways with its first column fixed at 375 px',
    before.scrollWidth > before.clientWidth && after.scrollLeft > 0 && Math.abs(after.headX - before.headX) < 1
      && after.cellX < before.cellX - 100 && before.pageWidth <= 375,
    { before, after });
  await context.close();
}

function luminance(color) {
  const m = color.match(/\d+(\.\d+)?/g).map(Number);
  const [r, g, b] = m.slice(0, 3).map((c) => { const s = c / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

async function colours(scheme) {
  const context = await newContext({ colorScheme: scheme });
  const page = await context.newPage();
  await page.goto(url(pages.home));
  const found = await page.evaluate(() => ({ body: getComputedStyle(document.body).backgroundColor,
    text: getComputedStyle(document.body).color }));
  await context.close();
  return found;
}

async function darkModeCheck() {
  const light = await colours('light');
  const dark = await colours('dark');
  check('dark mode under prefers-color-scheme: dark', light.body !== dark.body && luminance(dark.body) < 0.1
    && luminance(dark.text) > 0.4, { light, dark, darkLuminance: luminance(dark.body) });
}

async function axeChecks(scheme) {
  const context = await newContext({ colorScheme: scheme });
  const page = await context.newPage();
  for (const name of ['home', 'package', 'grid', 'category', 'search']) {
    await page.goto(url(pages[name] + (name === 'search' ? '?q=django' : '')));
    if (name === 'search') await page.locator('#search-results [role=option]').first().waitFor();
    const violations = await axe(page);
    check(`axe: ${name} (${scheme})`, violations.length === 0, violations);
  }
  await context.close();
}

async function shoot(page, name, width) {
  mkdirSync(config.screenshots, { recursive: true });
  await page.screenshot({ path: join(config.screenshots, `${name}-${width}.png`), fullPage: true });
}

async function screenshots() {
  for (const [width, height, scheme] of [[375, 740, 'light'], [1280, 900, 'light'], [375, 740, 'dark']]) {
    const context = await newContext({ viewport: { width, height }, colorScheme: scheme });
    const page = await context.newPage();
    for (const name of ['home', 'package', 'grid', 'category']) {
      if (scheme === 'dark' && name === 'category') continue;
      await page.goto(url(pages[name]));
      await shoot(page, scheme === 'dark' ? `${name}-dark` : name, width);
    }
    await context.close();
  }
}

try {
  const context = await newContext();
  await searchChecks(context);
  await packageChecks(context);
  await context.close();
  await noScriptCheck();
  await gridChecks();
  await darkModeCheck();
  await axeChecks('light');
  await axeChecks('dark');
  await screenshots();
} catch (err) {
  result.error = String(err && err.stack || err);
} finally {
  await browser.close();
}
check('no console errors', result.console_errors.length === 0, result.console_errors);
check('no request leaves 127.0.0.1', result.external_requests.length === 0, result.external_requests);
process.stdout.write(JSON.stringify(result, null, 1) + '\n');
