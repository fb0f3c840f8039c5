// Builds the browser bundles into api/web/static/vendor/ (not committed; `make assets` runs this).
// Pages load only what they need: the inbox loads none of this, the designer loads the modeler.
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "api", "web", "static", "vendor");
const nm = join(here, "node_modules");
mkdirSync(out, { recursive: true });

const copy = (from, to) => cpSync(join(nm, from), join(out, to), { recursive: true });

// Ready-made UMD builds where the package ships one.
copy("bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-viewer.js");
// form-js ships its UMD builds unminified: minify them (1.3 MB -> about a third for the viewer).
await build({
  entryPoints: { "form-viewer": join(nm, "@bpmn-io/form-js/dist/form-viewer.umd.js"),
                 "form-editor": join(nm, "@bpmn-io/form-js/dist/form-editor.umd.js") },
  outdir: out, bundle: false, minify: true, legalComments: "none", logLevel: "warning",
});
copy("chart.js/dist/chart.umd.min.js", "chart.js");

// Stylesheets and the BPMN icon font.
copy("bpmn-js/dist/assets/diagram-js.css", "css/diagram-js.css");
copy("bpmn-js/dist/assets/bpmn-js.css", "css/bpmn-js.css");
copy("bpmn-js/dist/assets/bpmn-font", "css/bpmn-font");
copy("@bpmn-io/properties-panel/dist/assets/properties-panel.css", "css/properties-panel.css");
for (const name of ["form-js.css", "form-js-editor.css"]) copy(`@bpmn-io/form-js/dist/assets/${name}`, `css/${name}`);

// Our own modules that import npm packages are bundled (the properties panel ships no UMD build).
const entries = existsSync(join(here, "src")) ? readdirSync(join(here, "src")).filter((f) => f.endsWith(".entry.js")) : [];
if (entries.length) {
  await build({
    entryPoints: entries.map((f) => join(here, "src", f)),
    outdir: out,
    entryNames: "[name]",
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome90", "firefox90"],
    jsx: "automatic",
    jsxImportSource: "preact",
    loader: { ".svg": "text" },
    legalComments: "none",
    logLevel: "warning",
  });
}
console.log(`front-end assets written to ${out}`);
