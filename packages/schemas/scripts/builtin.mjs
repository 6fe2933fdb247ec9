// Turns the kubernetes-validate strict schemas of one Kubernetes version into standalone files in
// kubeconform's layout (see writeBuiltinSet in ../src/sets.mjs).
// Usage: node builtin.mjs <kubernetes-validate version dir> <output dir>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeBuiltinSet } from "../src/sets.mjs";

const [srcDir, outDir] = process.argv.slice(2);
if (!srcDir || !outDir) throw new Error("usage: node builtin.mjs <source dir> <output dir>");

const defs = JSON.parse(readFileSync(join(srcDir, "_definitions.json"), "utf8")).$defs;
console.log(`wrote ${writeBuiltinSet(defs, outDir)} built-in schemas to ${outDir}`);
