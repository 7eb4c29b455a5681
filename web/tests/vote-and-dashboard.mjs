// The browser test: a fan votes on the vote page, and the live dashboard,
// already open, shows the vote; then a second fan, whose browser speaks
// Spanish, does the same on the pages in Spanish. Headless Chromium driven
// by playwright-core.
//
// Run by `just e2e` (part of `just test`), inside the local backend's
// environment. It starts `pitlane-demo` itself and stops it at the end.
// Screenshots: target/e2e/vote.png and dashboard.png, and the Spanish pages'
// vote-es.png and dashboard-es.png.

import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(join(root, ".tools/node/package.json"));
const { chromium } = require("playwright-core");

const browserPath = process.env.PITLANE_CHROMIUM || "/usr/bin/chromium";
const shots = join(root, "target/e2e");
mkdirSync(shots, { recursive: true });

function startDemo() {
  // In a process group of its own, so that Ctrl-C (SIGINT) reaches the
  // demo itself and not only cargo.
  const demo = spawn("cargo", ["run", "--quiet", "-p", "pitlane-demo", "--", "--port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  const url = new Promise((resolve, reject) => {
    let seen = "";
    demo.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(/dashboard:\s+(http:\/\/127\.0\.0\.1:\d+)\//);
      if (match) resolve(match[1]);
    });
    demo.on("exit", (code) => reject(new Error(`pitlane-demo exited with ${code} before serving`)));
    setTimeout(() => reject(new Error("pitlane-demo did not start in 300 s")), 300_000).unref();
  });
  return { demo, url };
}

async function main() {
  const { demo, url } = startDemo();
  let browser;
  try {
    const base = await url;
    browser = await chromium.launch({
      executablePath: browserPath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: "en-US" });

    // The dashboard is open and shows no votes yet.
    const dashboard = await context.newPage();
    await dashboard.goto(`${base}/dashboard.html`);
    await dashboard.waitForFunction(() => document.querySelector("#total").textContent === "0", null, { timeout: 30_000 });
    if ((await dashboard.locator(".row").count()) !== 22) throw new Error("the dashboard should list the 22 drivers");

    // A fan votes for Verstappen.
    const vote = await context.newPage();
    await vote.goto(`${base}/vote.html`);
    await vote.click('[data-driver="VER"]');
    await vote.click("#vote-button");
    await vote.waitForSelector("#answer.ok", { timeout: 30_000 });
    const answer = await vote.textContent("#answer");
    if (!answer.includes("Your vote for VER is in")) throw new Error(`unexpected answer: ${answer}`);
    await vote.screenshot({ path: join(shots, "vote.png") });

    // The dashboard shows it, by itself, within a few polls.
    await dashboard.waitForFunction(() => document.querySelector("#total").textContent === "1", null, { timeout: 30_000 });
    const leader = await dashboard.textContent('.row[data-driver="VER"] .value');
    if (!leader.startsWith("1 ·")) throw new Error(`VER should have 1 vote, shows ${leader}`);
    const first = await dashboard.getAttribute(".row:first-child", "data-driver");
    // It says how far behind the counts are (the local mapping's iterator age).
    await dashboard.waitForFunction(() => !document.querySelector("#lag-box").hidden, null, { timeout: 30_000 });
    const lag = await dashboard.textContent("#lag");
    if (!/^\d+\.\d s \(at worst \d+\.\d s\)$/.test(lag)) throw new Error(`the lag reads ${JSON.stringify(lag)}`);
    if (first !== "VER") throw new Error(`VER should lead, ${first} does`);
    await dashboard.waitForTimeout(800); // let the bar's transition finish for the picture
    await dashboard.screenshot({ path: join(shots, "dashboard.png") });

    // A fan whose browser speaks Spanish: the pages follow its language.
    const spanish = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: "es-AR" });
    const tablero = await spanish.newPage();
    await tablero.goto(`${base}/dashboard.html`);
    await tablero.waitForFunction(() => document.querySelector("#total").textContent === "1", null, { timeout: 30_000 });
    const words = await tablero.evaluate(() => ({
      lang: document.documentElement.lang,
      title: document.title,
      heading: document.querySelector("h1").textContent,
      total: document.querySelector('[data-i18n="stats.total"]').textContent,
    }));
    const expected = { lang: "es", title: "Piloto del Día — resultados en vivo", heading: "Piloto del Día — en vivo", total: "Votos contados" };
    if (JSON.stringify(words) !== JSON.stringify(expected)) throw new Error(`the Spanish dashboard reads ${JSON.stringify(words)}`);
    const voto = await spanish.newPage();
    await voto.goto(`${base}/vote.html`);
    if ((await voto.textContent("#vote-button")) !== "Votar") throw new Error("the Spanish vote button should read Votar");
    await voto.click('[data-driver="LEC"]');
    await voto.click("#vote-button");
    await voto.waitForSelector("#answer.ok", { timeout: 30_000 });
    const respuesta = await voto.textContent("#answer");
    if (!respuesta.startsWith("¡Gracias! Tu voto por LEC quedó registrado")) throw new Error(`unexpected Spanish answer: ${respuesta}`);
    await voto.screenshot({ path: join(shots, "vote-es.png") });
    await tablero.waitForFunction(() => document.querySelector("#total").textContent === "2", null, { timeout: 30_000 });
    await tablero.waitForFunction(() => document.querySelector("#status").textContent === "en vivo", null, { timeout: 30_000 });
    const retraso = await tablero.textContent("#lag");
    if (!/^\d+\.\d s \(como máximo \d+\.\d s\)$/.test(retraso)) throw new Error(`the Spanish lag reads ${JSON.stringify(retraso)}`);
    // The English page is still English: the language is the browser's, not the server's.
    if ((await dashboard.textContent("#status")) !== "live") throw new Error("the English dashboard should still read live");
    await tablero.waitForTimeout(800);
    await tablero.screenshot({ path: join(shots, "dashboard-es.png") });

    console.log(`screenshots: ${join(shots, "vote.png")}, ${join(shots, "dashboard.png")}, ${join(shots, "vote-es.png")}, ${join(shots, "dashboard-es.png")}`);
    console.log("browser: 2 passed, 0 failed");
  } finally {
    if (browser) await browser.close();
    const exited = new Promise((resolve) => demo.on("exit", resolve));
    process.kill(-demo.pid, "SIGINT");
    await exited;
  }
}

main().catch((error) => {
  console.error(`browser test failed: ${error.stack || error}`);
  console.log("browser: 0 passed, 1 failed");
  process.exit(1);
});
