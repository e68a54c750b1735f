package dev.tfkit.cli;

import static dev.tfkit.cli.CliRun.tfkit;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import dev.tfkit.zoo.Fixtures;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

class RunAndLatentIndexCommandTest {
  @TempDir Path tmp;

  @Test
  void runPrintsHalfPlusTwo() throws Exception {
    Path hpt = Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123");
    CliRun r = tfkit("run", hpt.toString(), "--input", "x=[[1.0],[2.0],[10]]");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode y = new ObjectMapper().readTree(r.out()).get("y");
    assertThat(y.toString()).isEqualTo("[[2.5],[3.0],[7.0]]");
    CliRun r2 = tfkit("run", hpt.toString(), "--signature_def", "serving_default", "--tag_set", "serve", "--input", "x=6");
    assertThat(r2.out().trim()).isEqualTo("{\"y\":[[5.0]]}");
  }

  @Test
  void runRefusesBadInputsByName() {
    Path hpt = Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123");
    CliRun dup = tfkit("run", hpt.toString(), "--input", "x=1", "--input", "x=2");
    assertThat(dup.code()).isEqualTo(2);
    assertThat(dup.err()).contains("tfkit run: --input 'x' is given twice");
    CliRun missing = tfkit("run", hpt.toString());
    assertThat(missing.err()).contains("input 'x' is missing");
    CliRun unknown = tfkit("run", hpt.toString(), "--input", "z=1");
    assertThat(unknown.err()).contains("no input 'z'");
    CliRun sig = tfkit("run", hpt.toString(), "--signature_def", "nope", "--input", "x=1");
    assertThat(sig.err()).contains("signature 'nope' not found");
    CliRun file = tfkit("run", hpt.toString(), "--input", "x=@" + tmp.resolve("none.png"));
    assertThat(file.err()).contains("none.png").contains("not found");
    CliRun json = tfkit("run", hpt.toString(), "--input", "x=[1,");
    assertThat(json.err()).contains("--input x: not valid JSON");
  }

  @Test
  void imageFileIsReadAsUint8Batch() throws Exception {
    // An identity-ish model: the mean of a uint8 image, exported by tfkit.
    GraphDef gd;
    try (Graph g = new Graph()) {
      var tf = Ops.create(g);
      var img = tf.withName("image").placeholder(TUint8.class,
          Placeholder.shape(Shape.of(1, -1, -1, 3)));
      tf.withName("shape").shape(img);
      tf.withName("red").dtypes.cast(tf.slice(img, tf.constant(new int[] {0, 0, 0, 0}), tf.constant(new int[] {1, 1, 1, 1})), TInt32.class);
      gd = g.toGraphDef();
    }
    Path model = SavedModelExport.from(gd)
        .signature(SignatureSpec.predict().input("image", "image").output("shape", "shape").output("red", "red"))
        .exportTo(tmp.resolve("img_model"));
    BufferedImage bi = new BufferedImage(5, 4, BufferedImage.TYPE_INT_RGB);
    bi.setRGB(0, 0, 0xC81E0A);
    Path png = tmp.resolve("p.png");
    ImageIO.write(bi, "png", png.toFile());
    CliRun r = tfkit("run", model.toString(), "--input", "image=@" + png);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().trim()).isEqualTo("{\"red\":[[[[200]]]],\"shape\":[1,4,5,3]}");
  }

  @Test
  void latentIndexBuildsOrRefusesWithBothNumbers() throws Exception {
    int n = 20, d = 4;
    ByteBuffer bb = ByteBuffer.allocate(n * d * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n * d; i++) bb.putFloat(i / (float) d);
    Path lat = Files.write(tmp.resolve("lat.bin"), bb.array());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) sb.append("face_").append(i).append(".jpg\n");
    Path names = Files.writeString(tmp.resolve("names.txt"), sb);
    Path out = tmp.resolve("index");

    CliRun wrongDim = tfkit("latent-index", "--latents", lat.toString(), "--dim", "3", "--names", names.toString(), "--export_dir", out.toString());
    assertThat(wrongDim.code()).isEqualTo(2);
    assertThat(wrongDim.err()).contains("320 bytes").contains("4·D = 12");
    CliRun wrongNames = tfkit("latent-index", "--latents", lat.toString(), "--dim", "8", "--names", names.toString(), "--export_dir", out.toString());
    assertThat(wrongNames.err()).contains("20 lines").contains("10 rows");
    assertThat(out).doesNotExist();

    CliRun ok = tfkit("latent-index", "--latents", lat.toString(), "--dim", "4", "--names", names.toString(), "--export_dir", out.toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("20 rows x 4");
    // Row 7 is (7, 7.25, 7.5, 7.75): the query lies just above it, so row 8 comes second.
    CliRun q = tfkit("run", out.toString(), "--input", "target_latent=[[7.1,7.35,7.6,7.85]]", "--input", "k_num=2");
    assertThat(q.code()).as(q.err()).isZero();
    JsonNode j = new ObjectMapper().readTree(q.out());
    assertThat(j.get("indices").toString()).isEqualTo("[[7,8]]");
    assertThat(j.get("filenames").toString()).isEqualTo("[[\"face_7.jpg\",\"face_8.jpg\"]]");
    CliRun again = tfkit("latent-index", "--latents", lat.toString(), "--dim", "4", "--names", names.toString(), "--export_dir", out.toString());
    assertThat(again.err()).contains("already exists");
  }
}
