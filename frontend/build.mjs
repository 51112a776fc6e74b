// Bundle the card into the one file the integration serves (and HACS installs as it is).
// The output depends only on the sources and the locked packages: scripts/test rebuilds it and
// fails when the committed file differs. `node build.mjs --outfile PATH` writes elsewhere.
import { build } from "esbuild";

const flag = process.argv.indexOf("--outfile");
const outfile =
  flag === -1
    ? "../custom_components/sms_bridge/frontend/sms-bridge-inbox-card.js"
    : process.argv[flag + 1];

await build({
  entryPoints: ["src/inbox-card.ts"],
  bundle: true,
  format: "esm",
  target: "es2021",
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  outfile,
  logLevel: "warning",
});
