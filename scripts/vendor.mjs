// Copy the browser builds pinned in package.json from node_modules into static/vendor/<lib>/,
// with the licence and a VERSION file, so the app serves them itself (no CDN, see
// docs/architecture.md). Run through `make vendor`, which installs node_modules first.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// The one minified file each library ships for a plain <script src> (UMD, no bundler).
const BROWSER_BUILDS = {
  sortablejs: "Sortable.min.js",
  "chart.js": "dist/chart.umd.min.js",
  // Only the browser tests load it (the accessibility checks in tests/browser/); no page does.
  "axe-core": "axe.min.js",
};

const LICENSE_NAMES = ["LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE"];

function readJson(path) {
  return JSON.parse(readFileSync(path, "utf8"));
}

function packageDir(name) {
  return join(root, "node_modules", name);
}

function licenseText(name) {
  const found = LICENSE_NAMES.map((file) => join(packageDir(name), file)).find(existsSync);
  if (!found) throw new Error(`${name}: no licence file in node_modules/${name}`);
  return readFileSync(found, "utf8").trim();
}

// A UMD build bundles its runtime dependencies (chart.js carries @kurkle/color), so their
// licences travel with it.
function bundledPackages(name, seen = new Set()) {
  for (const dep of Object.keys(readJson(join(packageDir(name), "package.json")).dependencies ?? {})) {
    if (!seen.has(dep)) {
      seen.add(dep);
      bundledPackages(dep, seen);
    }
  }
  return [...seen];
}

function vendor(name, pinned) {
  const build = BROWSER_BUILDS[name];
  if (!build) throw new Error(`${name}: add its browser build to BROWSER_BUILDS in ${import.meta.url}`);
  const installed = readJson(join(packageDir(name), "package.json")).version;
  if (installed !== pinned) {
    throw new Error(`${name}: node_modules has ${installed}, package.json pins ${pinned}; run npm install`);
  }

  const target = join(root, "static", "vendor", name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });

  // The source map is not shipped, so its reference goes too: the production static
  // storage rewrites every sourceMappingURL and fails collectstatic on a missing file.
  const code = readFileSync(join(packageDir(name), build), "utf8").replace(
    /\n\/\/# sourceMappingURL=\S+\s*$/,
    "\n",
  );
  writeFileSync(join(target, build.split("/").pop()), code);

  const licenses = [name, ...bundledPackages(name)].map(
    (pkg, i) => (i === 0 ? "" : `\n\n---- bundled: ${pkg} ----\n\n`) + licenseText(pkg),
  );
  // A package may list the licences of code it bundled itself (axe-core does).
  const thirdParty = join(packageDir(name), "LICENSE-3RD-PARTY.txt");
  if (existsSync(thirdParty)) {
    licenses.push(`\n\n---- bundled by ${name}: LICENSE-3RD-PARTY.txt ----\n\n` + readFileSync(thirdParty, "utf8").trim());
  }
  writeFileSync(join(target, "LICENSE"), licenses.join("") + "\n");
  writeFileSync(join(target, "VERSION"), `${installed}\n`);
  console.log(`static/vendor/${name}: ${installed}`);
}

const { dependencies } = readJson(join(root, "package.json"));
for (const [name, pinned] of Object.entries(dependencies)) {
  vendor(name, pinned);
}
