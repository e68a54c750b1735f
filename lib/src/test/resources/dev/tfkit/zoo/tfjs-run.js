// Runs a TF.js graph model on TF.js's pure-JS CPU backend for the conformance harness (TfjsConformance):
//   node tfjs-run.js MODEL_JSON CASE_DIR [cpu|wasm]
// CASE_DIR/case.json lists the inputs ({tensor, dtype, shape, file}: little-endian float32, int32 or
// uint8 values) and the output tensors; every output is written as float64 little-endian to
// CASE_DIR/tfjs<i>.bin and described in CASE_DIR/tfjs.json ({tensor, dtype, shape, file}); with
// the WASM backend (TF.js's own second opinion) to wasm<i>.bin and wasm.json.
const {tf, startBackend, loadGraphModel, run} = require('./tfjs-common.js');
const fs = require('fs');
const path = require('path');

function read(file, dtype, shape) {
  const b = fs.readFileSync(file);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  if (dtype === 'float32') return tf.tensor(new Float32Array(ab), shape, 'float32');
  if (dtype === 'int32') return tf.tensor(new Int32Array(ab), shape, 'int32');
  if (dtype === 'uint8') return tf.tensor(Int32Array.from(new Uint8Array(ab)), shape, 'int32');
  if (dtype === 'bool') return tf.tensor(Int32Array.from(new Uint8Array(ab)), shape, 'bool');
  throw new Error('input dtype ' + dtype + ' not supported by tfjs-run.js');
}

run(async () => {
  const [modelJson, caseDir, backend = 'cpu'] = process.argv.slice(2);
  await startBackend(backend);
  const prefix = backend === 'cpu' ? 'tfjs' : backend;
  const graph = await loadGraphModel(modelJson);
  const c = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
  const feeds = {};
  for (const i of c.inputs) {
    feeds[i.tensor.replace(/:0$/, '')] = read(path.join(caseDir, i.file), i.dtype, i.shape);
  }
  const names = c.outputs.map((o) => o.tensor);
  let out = await graph.executeAsync(feeds, names);
  if (!Array.isArray(out)) out = [out];
  const described = [];
  for (let k = 0; k < out.length; k++) {
    const t = out[k];
    const values = Float64Array.from(await t.data());
    const file = prefix + k + '.bin';
    fs.writeFileSync(path.join(caseDir, file), Buffer.from(values.buffer));
    described.push({tensor: names[k], dtype: t.dtype, shape: t.shape, file: file});
  }
  fs.writeFileSync(path.join(caseDir, prefix + '.json'), JSON.stringify(described));
});
