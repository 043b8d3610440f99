// The README's pictures of the Aspire dashboard, taken in Debian's Chromium with playwright-core (from npm, not kept in
// the repository). With scripts/run.sh up and one environment created through the API:
//   mkdir -p /tmp/shots && cd /tmp/shots && npm install playwright-core@1.64.1 && cp <repository>/docs/images/capture.mjs . \
//     && node capture.mjs '<the dashboard login URL run.sh printed>' <repository>/docs/images
import { chromium } from 'playwright-core';
const [loginUrl, out] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1500, height: 640 } });
await page.goto(loginUrl);
await page.waitForSelector('text=remotegpu-db', { timeout: 30000 });
// The "no trusted development certificate" banner is true of this machine, not of the product: dismiss it.
// The close button of that message bar, top right (it has no accessible name to find it by).
await page.mouse.click(1466, 81);
await page.waitForTimeout(1000);
await page.screenshot({ path: `${out}/dashboard-resources.png` });
const origin = new URL(loginUrl).origin;
await page.goto(`${origin}/traces`);
await page.waitForSelector('text=Showing', { timeout: 30000 });
const row = page.locator('[role="row"]:has-text("POST"):has-text("worker")').first();
await row.waitFor({ timeout: 30000 });
await row.getByText('POST /{**catch-all}').click();
await page.waitForSelector('text=converge remotegpu:provision', { timeout: 30000 });
await page.waitForTimeout(1500);
await page.setViewportSize({ width: 1500, height: 1130 });
await page.screenshot({ path: `${out}/dashboard-trace.png` });
await browser.close();
