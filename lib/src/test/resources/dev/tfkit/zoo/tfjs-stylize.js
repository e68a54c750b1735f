// Runs a TF.js graph model image-to-image on TF.js's pure-JS CPU backend, for WhiteBoxCartoonizerTest:
//   node tfjs-stylize.js MODEL_JSON INPUT_NAME OUTPUT_NAME IN.rgb HEIGHT WIDTH OUT.rgb
// IN.rgb holds HEIGHT*WIDTH*3 uint8 pixels; they are scaled to [-1, 1], run, clipped to [-1, 1]
// and written back as uint8 ((y + 1) * 127.5, rounded) to OUT.rgb.
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
const path = require('path');

async function main() {
  const [modelJson, inputName, outputName, inFile, h, w, outFile] = process.argv.slice(2);
  await tf.setBackend('cpu');
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
  const graph = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs: specs, weightData: weightData, format: model.format,
  }));
  const pixels = new Int32Array(new Uint8Array(fs.readFileSync(inFile)));
  const out = tf.tidy(() => {
    const x = tf.tensor4d(pixels, [1, Number(h), Number(w), 3], 'int32').toFloat().div(127.5).sub(1);
    const y = graph.execute({[inputName]: x}, outputName);
    return y.clipByValue(-1, 1).add(1).mul(127.5).round().toInt();
  });
  fs.writeFileSync(outFile, Buffer.from(Uint8Array.from(out.dataSync())));
  console.log('backend ' + tf.getBackend() + ', tfjs ' + tf.version.tfjs);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
