// First paint of the ATT&CK heatmap in headless chromium against a running Aegis:
//   node bench/heatmap-first-paint.mjs URL EMAIL PASSWORD [RUNS]
// Prints, per run, the time from the start of navigation to the matrix being in the page with
// every technique cell (read in the page, so the driver's own round trips do not count), the
// browser's first contentful paint, and the time to expand every sub-technique; then the
// median of each.
import { chromium } from "playwright-core";

const [url = "http://127.0.0.1:8080", email, password, runsArg = "10"] = process.argv.slice(2);
if (!email || !password) {
  console.error("usage: node bench/heatmap-first-paint.mjs URL EMAIL PASSWORD [RUNS]");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${url}/login`);
await page.getByLabel("Email").fill(email);
await page.getByLabel("Password", { exact: true }).fill(password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(`${url}/`);
await page.addInitScript(() => {
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-testid="heatmap"] a')) {
      window.__matrixAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
});

const matrix = [];
const paints = [];
const expanded = [];
let cells = 0;
let allCells = 0;
for (let run = 0; run < Number(runsArg); run += 1) {
  await page.goto(`${url}/heatmap`);
  await page.getByTestId("heatmap").waitFor();
  matrix.push(Math.round(await page.evaluate(() => window.__matrixAt)));
  cells = await page.getByTestId("heatmap").getByRole("link").count();
  paints.push(await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN));
  // Every sub-technique too: the heaviest render the page does.
  const clicked = Date.now();
  await page.getByRole("button", { name: "Expand all" }).click();
  await page.getByRole("button", { name: /^Hide \d+ sub-techniques/ }).first().waitFor();
  allCells = await page.getByTestId("heatmap").getByRole("link").count();
  expanded.push(Date.now() - clicked);
}
await browser.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`technique cells on screen: ${cells}`);
console.log(`matrix on screen (ms): ${matrix.join(" ")}; median ${median(matrix)}`);
console.log(`expand all, ${allCells} cells (ms): ${expanded.join(" ")}; median ${median(expanded)}`);
console.log(`first contentful paint (ms): ${paints.map((p) => p.toFixed(0)).join(" ")}; median ${median(paints).toFixed(0)}`);
