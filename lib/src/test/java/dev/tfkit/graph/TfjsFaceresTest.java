package dev.tfkit.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tfkit.tensor.TensorValue;
import dev.tfkit.zoo.NpmPackages;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.proto.TensorProto;

/** The Python walkthrough's scenario on a real TF.js graph model: faceres, cut to its 1024-d embedding. */
class TfjsFaceresTest {
  static final String EMBEDDING = "global_pooling/Mean:0";
  static Path faceres;
  static float[][][][] image;

  @BeforeAll
  static void fetch() throws IOException {
    faceres = NpmPackages.file("@vladmandic/human", "3.3.6", "models/faceres.json");
    Path photo = NpmPackages.file("@vladmandic/face-api", "1.7.15", "demo/sample1.jpg");
    image = imageTensor(photo, 224);
  }

  /** The photo scaled to size x size, RGB in [0, 1], as a [1, size, size, 3] array. */
  static float[][][][] imageTensor(Path file, int size) throws IOException {
    BufferedImage src = ImageIO.read(file.toFile());
    BufferedImage dst = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = dst.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(src, 0, 0, size, size, null);
    g.dispose();
    float[][][][] t = new float[1][size][size][3];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int rgb = dst.getRGB(x, y);
        t[0][y][x][0] = ((rgb >> 16) & 0xff) / 255f;
        t[0][y][x][1] = ((rgb >> 8) & 0xff) / 255f;
        t[0][y][x][2] = (rgb & 0xff) / 255f;
      }
    }
    return t;
  }

  @Test
  void loadsRunsAndCutsToEmbedding() {
    try (ModelGraph full = ModelGraph.load(faceres)) {
      assertThat(full.format()).isEqualTo(ModelFormat.TFJS_GRAPH_MODEL);
      // its three _FusedMatMul (BiasAdd, BiasAdd+Relu) run on the runtime's own kernel
      assertThat(full.summary().opCounts()).containsEntry("_FusedMatMul", 3);
      assertThat(full.node("feats/Relu").getOp()).isEqualTo("_FusedMatMul");
      assertThat(full.likelyInputs()).containsExactly("input_1");
      assertThat(full.spec("input_1:0").shape()).containsExactly(-1, 224, 224, 3);
      Map<String, TensorProto> out = full.run(Map.of("input_1:0", image), EMBEDDING, "gender_pred/Sigmoid:0", "age_pred/Softmax:0");
      float[] emb = ModelGraph.floats(out.get(EMBEDDING));
      assertThat(emb).hasSize(1024);
      float[] age = ModelGraph.floats(out.get("age_pred/Softmax:0"));
      double sum = 0;
      for (float a : age) sum += a;
      assertThat(sum).isCloseTo(1.0, within(1e-4));
      assertThat(ModelGraph.floats(out.get("gender_pred/Sigmoid:0"))[0]).isBetween(0f, 1f);
      double norm = 0;
      for (float e : emb) norm += e * e;
      assertThat(norm).isGreaterThan(0);

      try (ModelGraph cut = full.extractSubGraph(EMBEDDING)) {
        assertThat(cut.graphDef().getNodeCount()).isLessThan(full.graphDef().getNodeCount());
        assertThat(cut.summary().constBytes()).isLessThan(full.summary().constBytes());
        assertThat(cut.find("age_pred|gender_pred")).isEmpty();
        float[] embCut = ModelGraph.floats(cut.run(Map.of("input_1:0", image), EMBEDDING).get(EMBEDDING));
        assertThat(embCut).containsExactly(emb);
      }
    }
  }

  @Test
  void exportedEmbeddingModelIsSmallerAndAnswersTheSame(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
    try (ModelGraph full = ModelGraph.load(faceres)) {
      float[] emb = ModelGraph.floats(full.run(Map.of("input_1:0", image), EMBEDDING).get(EMBEDDING));
      GraphExport.Result r = GraphExport.from(full).input("image", "input_1:0").output("embedding", EMBEDDING)
          .exportDir(tmp.resolve("faceres-embedding")).export();
      long exported = Files.size(r.directory().resolve("saved_model.pb"));
      assertThat(exported).isLessThan(full.graphDef().getSerializedSize());
      assertThat(r.sizes().bytesAfter()).isLessThan(r.sizes().bytesBefore());
      try (SavedModelBundle b = SavedModelBundle.load(r.directory().toString(), "serve");
          Tensor in = TensorValue.of(image).toTensor()) {
        var sig = b.metaGraphDef().getSignatureDefOrThrow("serving_default");
        assertThat(sig.getOutputsOrThrow("embedding").getTensorShape().getDim(1).getSize()).isEqualTo(1024);
        try (Result res = b.session().runner().feed(sig.getInputsOrThrow("image").getName(), in)
            .fetch(sig.getOutputsOrThrow("embedding").getName()).run()) {
          float[] got = TensorValue.fromTensor(res.get(0)).floats();
          assertThat(got).containsExactly(emb);
        }
      }
    }
  }
}
