package dev.tfkit.savedmodel;

import static dev.tfkit.testing.TestTensors.floatScalar;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;

/** Small graphs built with TF Java's Ops API for the exporter tests. */
final class TestModels {
  private TestModels() {}

  /**
   * y = a·x + b with variables a and b; y3 = 3·x; string "inputs" parsed as numbers for classify
   * (scores = a·n) and regress (outputs = n + b).
   */
  static GraphDef halfPlusTwo() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 1)));
      var a = tf.withName("a").variable(Shape.scalar(), TFloat32.class);
      var b = tf.withName("b").variable(Shape.scalar(), TFloat32.class);
      tf.withName("y").math.add(tf.math.mul(x, a), b);
      tf.withName("y3").math.mul(x, tf.constant(3f));
      var in = tf.withName("inputs").placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
      var n = tf.strings.toNumber(in);
      tf.withName("scores").reshape(tf.math.mul(n, a), tf.constant(new long[] {-1, 1}));
      tf.withName("outputs").math.add(n, b);
      return g.toGraphDef();
    }
  }

  static Map<String, TensorProto> halfPlusTwoValues() {
    return Map.of("a", floatScalar(0.5f), "b", floatScalar(2f));
  }

  /** A vocabulary file: line i is "word{i}". */
  static Path vocab(Path dir, int lines) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines; i++) sb.append("word").append(i).append('\n');
    Path f = dir.resolve("vocab.txt");
    Files.writeString(f, sb.toString(), StandardCharsets.UTF_8);
    return f;
  }

  /**
   * An index-to-string table read from the asset tensor {@code vocab_path}: input {@code ids}
   * (int64 [-1]) → output {@code words} (string), "UNK" when missing.
   */
  static GraphDef vocabLookup() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      var path = tf.withName("vocab_path").constant("vocab.txt");
      var table = tf.withName("table").hashTable(TInt64.class, TString.class);
      tf.withName("table_init").initializeTableFromTextFile(table, path, -1L, -2L);
      var ids = tf.withName("ids").placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
      tf.withName("words").lookupTableFind(table, ids, tf.constant("UNK"));
      return g.toGraphDef();
    }
  }

  static List<String> words(int... ids) {
    return Arrays.stream(ids).mapToObj(i -> "word" + i).toList();
  }
}
