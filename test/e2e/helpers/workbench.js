'use strict';
// What a user does and reads in the VS Code workbench (code-server in chromium), through the
// page as it is drawn: the command palette, Quick Open, the Problems panel, the Perf Lens side
// bar and the charts webview. Every wait that times out says what it saw instead.
const { ROOT } = require('../../helpers/build');
const fs = require('node:fs');
const path = require('node:path');

const RESULTS = path.join(ROOT, 'test-results');
const DOCS_IMAGES = path.join(ROOT, 'docs', 'images');
/** The README's screenshots are refreshed only when asked, so a test run leaves the tree clean. */
const TO_DOCS = process.env.E2E_SCREENSHOTS_TO_DOCS === '1';

/**
 * Polls `read` until `accept(value)` holds. On timeout the error names what was awaited and
 * the last value read (describe(value) when given), so a failure reads like a bug report.
 */
async function waitFor(what, read, accept, { timeoutMs = 30_000, everyMs = 500, describe = (v) => JSON.stringify(v, null, 2) } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await read();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? `reading it failed: ${lastError.message}` : `last seen:\n${describe(last)}`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

class Workbench {
  /** @param {import('playwright-core').Page} page @param {string} prefix of screenshot names */
  constructor(page, prefix) {
    this.page = page;
    this.prefix = prefix;
    fs.mkdirSync(RESULTS, { recursive: true });
  }

  /** A screenshot of the whole window in test-results/; returns its path. */
  async shot(name) {
    const file = path.join(RESULTS, `${this.prefix}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** A screenshot for the README: test-results/readme-<name>.png, copied to docs/images/ when asked. */
  async readmeShot(name, options = {}) {
    const file = path.join(RESULTS, `readme-${name}.png`);
    await this.page.screenshot({ path: file, ...options });
    if (TO_DOCS) {
      fs.mkdirSync(DOCS_IMAGES, { recursive: true });
      fs.copyFileSync(file, path.join(DOCS_IMAGES, `${name}.png`));
    }
    return file;
  }

  async waitForWorkbench() {
    await this.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  }

  quickInput() {
    return this.page.locator('.quick-input-widget input');
  }

  /** Texts of the rows the quick input lists now. */
  async quickRows() {
    return this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').allInnerTexts();
  }

  /** Runs a command from the palette by its full title (F1, type, Enter on that row). */
  async runCommand(title) {
    await this.page.keyboard.press('F1');
    const input = this.quickInput();
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 15_000 });
    } catch {
      throw new Error(`The command palette does not offer "${title}"; it lists: ${JSON.stringify(await this.quickRows())}`);
    }
    // The first row is the best match; make sure Enter runs this one.
    await row.click();
    await input.waitFor({ state: 'hidden' }).catch(() => {});
  }

  /** Opens a workspace file through Quick Open (Ctrl+P) and waits for its editor tab. */
  async openFile(relative) {
    await this.page.keyboard.press('Control+P');
    const input = this.quickInput();
    await input.waitFor({ state: 'visible' });
    await input.fill(relative);
    const base = path.basename(relative);
    await waitFor(`Quick Open to list ${relative}`, () => this.quickRows(), (rows) => rows.some((r) => r.includes(base)), { timeoutMs: 20_000 });
    await input.press('Enter');
    await this.page.locator('.tab.active', { hasText: base }).waitFor({ timeout: 15_000 });
  }

  /** Moves the cursor of the active editor to line:column (Go to Line). */
  async goToLine(line, column = 1) {
    await this.page.keyboard.press('Control+G');
    const input = this.quickInput();
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}:${column}`);
    await input.press('Enter');
    await input.waitFor({ state: 'hidden' }).catch(() => {});
  }

  /** Closes the editor tab whose title contains `title`, by its close button. */
  async closeEditor(title) {
    const tab = this.page.locator('.tabs-container .tab', { hasText: title });
    await tab.hover();
    await tab.locator('.tab-actions .action-label').click();
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
  }

  /** Hides the bottom panel (Problems, Terminal) when it shows. */
  async hidePanel() {
    const panel = this.page.locator('.part.panel');
    if (await panel.isVisible()) {
      await this.page.keyboard.press('Control+J');
      await panel.waitFor({ state: 'hidden', timeout: 10_000 });
    }
  }

  /** Drags the sash right of the side bar so the side bar is `width` px wide. */
  async widenSideBar(width) {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (!box) throw new Error('the side bar is not shown');
    const y = box.y + box.height / 2;
    const from = box.x + box.width;
    await this.page.mouse.move(from, y);
    await this.page.mouse.down();
    await this.page.mouse.move(from + 20, y, { steps: 2 });
    await this.page.mouse.move(box.x + width, y, { steps: 5 });
    await this.page.mouse.up();
  }

  /** Shows the Problems panel and returns its rows' texts (file rows and marker rows). */
  async problems() {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.page.keyboard.press('Control+Shift+M');
      await panel.waitFor({ state: 'visible', timeout: 10_000 });
    }
    return panel.locator('.monaco-list-row').allInnerTexts();
  }

  /** Opens the Perf Lens container of the activity bar (this alone activates the extension). */
  async openPerfLens() {
    const pane = this.viewPane('Processes');
    if (await pane.isVisible()) return;
    await this.page.locator('.activitybar .action-item a[aria-label^="Perf Lens"]').click();
    await pane.waitFor({ state: 'visible', timeout: 20_000 });
  }

  /** The pane of a side bar view by its title ("Processes", "Findings"). */
  viewPane(title) {
    return this.page.locator('.sidebar .pane').filter({ has: this.page.locator('.pane-header', { hasText: new RegExp(`^\\s*${title}\\b`, 'i') }) });
  }

  /** The rows of a side bar view (a tree), as text; a view showing its welcome text has none. */
  async viewRows(title) {
    return this.viewPane(title).locator('.monaco-list-row').allInnerTexts();
  }

  /** The text of the view (rows or welcome content). */
  async viewText(title) {
    return this.viewPane(title).locator('.pane-body').innerText();
  }

  /** Status bar items' texts. */
  async statusItems() {
    return this.page.locator('.statusbar-item').allInnerTexts();
  }

  /** The frame of the charts webview (code-server nests it in iframes), or null while there is none. */
  async chartsFrame() {
    for (const frame of this.page.frames()) {
      if (frame === this.page.mainFrame()) continue;
      const has = await frame.evaluate(() => !!document.querySelector('canvas[data-chart]')).catch(() => false);
      if (has) return frame;
    }
    return null;
  }

  /**
   * What the charts panel shows: its summary line, the processes it offers, a fingerprint of
   * each chart's pixels with the count of its coloured (data) pixels, the top-queries rows
   * and the findings count.
   */
  async readCharts() {
    const frame = await this.chartsFrame();
    if (!frame) throw new Error('no charts webview is open');
    return frame.evaluate(() => {
      const charts = {};
      for (const c of document.querySelectorAll('canvas[data-chart]')) {
        // a hidden chart (the cache chart of an app that reads no cache) has no pixels to read
        if (c.width === 0 || c.height === 0 || c.closest('[hidden]')) continue;
        const ctx = c.getContext('2d');
        const { data } = ctx.getImageData(0, 0, c.width, c.height);
        let hash = 0;
        let colored = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
          hash = (hash * 31 + r + g * 3 + b * 7 + a * 11) | 0;
          // Axes, grid and labels are grey; only the data (and the legend's boxes) has colour.
          if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
        }
        charts[c.dataset.chart] = { width: c.width, height: c.height, hash, colored };
      }
      const queries = [...document.querySelectorAll('vscode-table-body vscode-table-row')].map((row) =>
        [...row.querySelectorAll('vscode-table-cell')].map((cell) => cell.textContent.trim()),
      );
      const options = [...document.querySelectorAll('vscode-single-select.process vscode-option')].map((o) => o.textContent.trim());
      return {
        summary: document.querySelector('.summary')?.textContent ?? '',
        processes: options,
        charts,
        queries,
        findings: document.querySelectorAll('li.finding').length,
      };
    });
  }
}

module.exports = { Workbench, waitFor, RESULTS, DOCS_IMAGES };
