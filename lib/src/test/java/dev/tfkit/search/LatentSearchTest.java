package dev.tfkit.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.tensor.TensorValue;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

class LatentSearchTest {
  @TempDir Path tmp;

  static float[][] random(Random r, int n, int d) {
    float[][] x = new float[n][d];
    for (float[] row : x) for (int j = 0; j < d; j++) row[j] = (float) r.nextGaussian();
    return x;
  }

  /** Plain Java: exact L2 distance to every row, sorted. */
  static int[] bruteForce(float[][] gallery, float[] q, int k) {
    double[] dist = new double[gallery.length];
    for (int i = 0; i < gallery.length; i++) {
      double s = 0;
      for (int j = 0; j < q.length; j++) {
        double t = gallery[i][j] - q[j];
        s += t * t;
      }
      dist[i] = Math.sqrt(s);
    }
    return IntStream.range(0, gallery.length).boxed()
        .sorted(Comparator.comparingDouble(i -> dist[i])).limit(k).mapToInt(Integer::intValue).toArray();
  }

  static double l2(float[] a, float[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) s += (a[j] - b[j]) * (double) (a[j] - b[j]);
    return Math.sqrt(s);
  }

  @Test
  void topKEqualsBruteForceOnRandomData() {
    topKEqualsBruteForce(LatentSearch.DEFAULT_GROUP_SIZE); // 31 groups of 32, 8 rows after them
  }

  @Test
  void ungroupedTopKEqualsBruteForceOnRandomData() {
    topKEqualsBruteForce(1);
  }

  @Test
  void groupsFewerThanKEqualBruteForce() {
    topKEqualsBruteForce(200); // 5 groups of 200 for k = 10: every group is a candidate
  }

  @Test
  void unevenGroupsEqualBruteForce() {
    topKEqualsBruteForce(7); // 142 groups of 7, 6 rows after them
  }

  @Test
  void requestsReadTheGalleryVariablesWithoutSlicingThem() {
    Random r = new Random(3);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 1000; i++) names.add("n" + i);
    // 31 groups of 32 and 8 rows after them: two variables, each read whole by a MatMul (a Slice
    // of a variable per request copies the whole gallery, 5× the cost of the search itself).
    GraphDef g = LatentSearch.fromEmbeddings(random(r, 1000, 16), names).graphDef();
    Map<String, List<String>> readers = new HashMap<>();
    for (NodeDef n : g.getNodeList()) {
      for (String in : n.getInputList()) {
        String src = in.replaceFirst("^\\^", "").replaceFirst(":\\d+$", "");
        if (src.equals("gallery") || src.equals("gallery_tail")) readers.computeIfAbsent(src, k -> new ArrayList<>()).add(n.getOp());
      }
    }
    assertThat(readers).containsOnlyKeys("gallery", "gallery_tail");
    assertThat(readers.values()).allSatisfy(ops -> assertThat(ops).containsOnly("Assign", "MatMul"));
  }

  void topKEqualsBruteForce(int groupSize) {
    Random r = new Random(42);
    int n = 1000, d = 16, k = 10;
    float[][] gallery = random(r, n, d);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) names.add("img_" + i + ".jpg");
    Path dir = LatentSearch.fromEmbeddings(gallery, names).groupSize(groupSize).exportTo(tmp.resolve("search"));
    assertThat(dir.resolve("assets/latents.bin")).hasSize(4L * n * d);
    assertThat(dir.resolve("saved_model.pb").toFile().length()).isLessThan(40_000);

    float[][] queries = random(r, 7, d);
    queries[3] = gallery[123].clone(); // an exact hit: distance 0, first
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("serving_default", Map.of("target_latent", queries, "k_num", k))) {
      TInt32 idx = (TInt32) out.get("indices");
      TFloat32 xv = (TFloat32) out.get("xvals");
      TString fn = (TString) out.get("filenames");
      assertThat(idx.shape().asArray()).containsExactly(7, k);
      for (int b = 0; b < queries.length; b++) {
        int[] want = bruteForce(gallery, queries[b], k);
        for (int j = 0; j < k; j++) {
          assertThat(idx.getInt(b, j)).as("query %d rank %d", b, j).isEqualTo(want[j]);
          assertThat((double) xv.getFloat(b, j)).isCloseTo(-l2(gallery[want[j]], queries[b]), within(2e-3));
          assertThat(fn.getObject(b, j)).isEqualTo("img_" + want[j] + ".jpg");
        }
      }
      assertThat(idx.getInt(3, 0)).isEqualTo(123);
      assertThat(xv.getFloat(3, 0)).isCloseTo(0f, within(2e-3f));
    }
    // An empty batch and k = 0 give empty answers, not errors.
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs none = m.run("serving_default", Map.of("target_latent", TensorValue.fromFlat(new float[0], 0, d), "k_num", k));
        SavedModel.Outputs zero = m.run("serving_default", Map.of("target_latent", new float[][] {queries[0]}, "k_num", 0))) {
      assertThat(none.get("indices").shape().asArray()).containsExactly(0, k);
      assertThat(zero.get("indices").shape().asArray()).containsExactly(1, 0);
    }
    // k larger than the gallery is clamped to it.
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("serving_default", Map.of("target_latent", new float[][] {queries[0]}, "k_num", 5000))) {
      assertThat(out.get("indices").shape().asArray()).containsExactly(1, n);
    }
  }

  @Test
  void filesAreCheckedBeforeAnythingIsWritten() throws Exception {
    Path lat = tmp.resolve("lat.bin");
    Path names = tmp.resolve("names.txt");
    Files.write(lat, new byte[4 * 16 * 3 + 8]);
    Files.writeString(names, "a\nb\nc\n");
    assertThatThrownBy(() -> LatentSearch.fromFiles(lat, 16, names))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("200 bytes").hasMessageContaining("4·D = 64");
    Files.write(lat, new byte[4 * 16 * 4]);
    assertThatThrownBy(() -> LatentSearch.fromFiles(lat, 16, names))
        .hasMessageContaining("3 lines").hasMessageContaining("4 rows");
    assertThatThrownBy(() -> LatentSearch.fromFiles(tmp.resolve("nope.bin"), 16, names)).hasMessageContaining("nope.bin");
  }

  @Test
  void rawFileGalleryMatchesInMemoryOne() throws Exception {
    Random r = new Random(7);
    float[][] g = random(r, 50, 8);
    ByteBuffer bb = ByteBuffer.allocate(50 * 8 * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] row : g) for (float v : row) bb.putFloat(v);
    Path lat = Files.write(tmp.resolve("x.bin"), bb.array());
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 50; i++) sb.append("n").append(i).append('\n');
    Path names = Files.writeString(tmp.resolve("n.txt"), sb);
    Path dir = LatentSearch.fromFiles(lat, 8, names).exportVersion(tmp.resolve("base"));
    assertThat(dir.getFileName().toString()).isEqualTo("1");
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("serving_default", Map.of("target_latent", new float[][] {g[17]}, "k_num", 3))) {
      assertThat(((TInt32) out.get("indices")).getInt(0, 0)).isEqualTo(17);
      assertThat(out.json().get("filenames").get(0).get(0).asText()).isEqualTo("n17");
    }
  }
}
