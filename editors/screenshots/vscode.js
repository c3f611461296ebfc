'use strict';
// Drives a browser VS Code (code-server, with the hl extension installed) through Playwright and
// takes the two screenshots of editors/vscode/README.md. Run by make.sh, which sets:
//   HL_SHOTS_URL      the code-server page, with ?folder= a scratch copy holding stacks/
//   HL_SHOTS_OUT      the directory the PNGs are written to
//   HL_SHOTS_BROWSER  the Chromium executable (Debian's /usr/bin/chromium)
// and NODE_PATH so that `playwright-core` resolves from the scratch install.

const path = require('path');
const { chromium } = require('playwright-core');

const TIMEOUT = 120000; // ms: a debug build of hlc on two cores, next to a browser

function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (run editors/screenshots/make.sh)`);
  }
  return value;
}

// The middle of the first token of the editor whose text is exactly `text`.
async function tokenCentre(page, text) {
  const token = page.locator('.monaco-editor .view-line span > span', { hasText: new RegExp(`^${text}$`) }).first();
  const box = await token.boundingBox();
  if (!box) {
    throw new Error(`no token \`${text}\` on screen`);
  }
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

// Replace the first match of `from` in the editor by `to`, typing it as a person would.
async function replace(page, from, to) {
  await page.keyboard.press('Control+F');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(from);
  await page.keyboard.press('Escape'); // closes the find widget and leaves the match selected
  await page.keyboard.type(to);
  await page.keyboard.press('Escape'); // closes a completion list, if one opened
}

async function hover(page, text, expected, file) {
  const { x, y } = await tokenCentre(page, text);
  await page.mouse.move(x, y);
  await page.waitForSelector(`.monaco-hover:has-text("${expected}")`, { timeout: TIMEOUT });
  // Every part of the hover has answered (the server's hover, the quick fixes).
  for (const pending of ['Loading', 'Checking for quick fixes']) {
    await page.waitForSelector(`.monaco-hover:has-text("${pending}")`, { state: 'hidden', timeout: TIMEOUT });
  }
  await page.waitForTimeout(500); // the hover fades in
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
  await page.mouse.move(1, 1);
  await page.keyboard.press('Escape');
}

async function main() {
  const out = env('HL_SHOTS_OUT');
  const browser = await chromium.launch({
    executablePath: env('HL_SHOTS_BROWSER'),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 560 } });
    await page.goto(env('HL_SHOTS_URL'));
    await page.waitForSelector('.monaco-workbench', { timeout: TIMEOUT });
    await page.waitForTimeout(2000);

    // Quick Open stacks/freshrss.hl, and hide the side bar to give the editor the width.
    await page.keyboard.press('Control+P');
    await page.keyboard.type('freshrss.hl');
    await page.waitForSelector('.quick-input-list .monaco-list-row', { timeout: TIMEOUT });
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    await page.waitForSelector('.monaco-editor .view-line:has-text("stack freshrss")', { timeout: TIMEOUT });
    await page.keyboard.press('Control+B');

    // A diagnostic: an unknown Namespace tier, E0214 from `hlc lsp`, shown by hovering it.
    await replace(page, 'tier = "aux"', 'tier = "gold"');
    const started = Date.now();
    await page.waitForSelector('.monaco-editor .squiggly-error', { timeout: TIMEOUT });
    console.log(`the error squiggle appeared after ${Date.now() - started} ms`);
    await hover(page, 'gold', 'E0214', path.join(out, 'vscode-diagnostic.png'));

    // Put the tier back (the diagnostic goes), then hover an enum variant for its docs.
    await replace(page, 'tier = "gold"', 'tier = "aux"');
    await page.waitForSelector('.monaco-editor .squiggly-error', { state: 'detached', timeout: TIMEOUT });
    // The server's completions for `aux` may have arrived after the Escape of replace().
    await page.keyboard.press('Escape');
    await page.waitForSelector('.suggest-widget.visible', { state: 'detached', timeout: TIMEOUT });
    await hover(page, 'proxied', 'DnsType', path.join(out, 'vscode-hover.png'));
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
