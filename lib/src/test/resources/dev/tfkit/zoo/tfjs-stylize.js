// Runs a TF.js graph model image-to-image on TF.js's pure-JS CPU backend, for WhiteBoxCartoonizerTest:
//   node tfjs-stylize.js MODEL_JSON INPUT_NAME OUTPUT_NAME IN.rgb HEIGHT WIDTH OUT.rgb
// IN.rgb holds HEIGHT*WIDTH*3 uint8 pixels; they are scaled to [-1, 1], run, clipped to [-1, 1]
// and written back as uint8 ((y + 1) * 127.5, rounded) to OUT.rgb.
const {tf, startBackend, loadGraphModel, run} = require('./tfjs-common.js');
const fs = require('fs');

run(async () => {
  const [modelJson, inputName, outputName, inFile, h, w, outFile] = process.argv.slice(2);
  await startBackend('cpu');
  const graph = await loadGraphModel(modelJson);
  const pixels = new Int32Array(new Uint8Array(fs.readFileSync(inFile)));
  const out = tf.tidy(() => {
    const x = tf.tensor4d(pixels, [1, Number(h), Number(w), 3], 'int32').toFloat().div(127.5).sub(1);
    const y = graph.execute({[inputName]: x}, outputName);
    return y.clipByValue(-1, 1).add(1).mul(127.5).round().toInt();
  });
  fs.writeFileSync(outFile, Buffer.from(Uint8Array.from(out.dataSync())));
});
