// What the TF.js runner scripts of this package share (tfjs-run.js, tfjs-stylize.js): starting a
// backend, loading a TF.js graph model from its model.json and weight files, and running main()
// with the error's stack on stderr and exit code 1. TfjsNode copies it beside node_modules.
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
const path = require('path');

// Starts TF.js's pure-JS CPU backend or its WASM backend (TF.js's own second opinion).
async function startBackend(backend) {
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(__dirname, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  }
  if (!(await tf.setBackend(backend))) throw new Error('TF.js backend ' + backend + ' did not start');
}

// The graph model of MODEL_JSON, its weight files read from the same folder.
async function loadGraphModel(modelJson) {
  const model = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
  const dir = path.dirname(modelJson);
  const specs = [];
  const parts = [];
  for (const group of model.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
  }
  const data = Buffer.concat(parts);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs: specs, weightData: weightData, format: model.format,
  }));
}

// Runs the script's async main, then prints the backend and TF.js version the callers log.
function run(main) {
  main().then(() => {
    console.log('backend ' + tf.getBackend() + ', tfjs ' + tf.version.tfjs);
  }).catch((e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(1);
  });
}

module.exports = {tf, startBackend, loadGraphModel, run};
