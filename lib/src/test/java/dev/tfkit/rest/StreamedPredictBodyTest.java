package dev.tfkit.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.tensor.TensorValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/**
 * The streamed predict body must answer every body exactly as the tree path does — same
 * signature, format, input order, dtypes, shapes and values, or the same error message — and must
 * actually take the common numeric bodies (else it would be dead code).
 */
class StreamedPredictBodyTest {
  private static final List<DataType> NUMERIC =
      List.of(
          DataType.DT_FLOAT, DataType.DT_DOUBLE, DataType.DT_INT32, DataType.DT_INT64,
          DataType.DT_UINT8, DataType.DT_INT8, DataType.DT_INT16, DataType.DT_UINT16);

  /** Tensors in a form equal for equal values, whichever fields hold them: name, dtype, shape, packed bytes. */
  private static String canonical(Map<String, TensorProto> tensors) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, TensorProto> e : tensors.entrySet()) {
      TensorValue v = TensorValue.fromProto(e.getValue());
      sb.append('|').append(e.getKey()).append('=').append(v.dtype()).append(Arrays.toString(v.shape()))
          .append(':').append(HexFormat.of().formatHex(v.toProto().getTensorContent().toByteArray()));
    }
    return sb.toString();
  }

  /** The outcome of one read: the request in canonical form, or the error's message. */
  private static String outcome(Callable<PredictJsonRequest> read) {
    try {
      PredictJsonRequest r = read.call();
      return r.signatureName() + '|' + r.format() + canonical(r.inputs());
    } catch (Exception e) {
      return "error " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  /** Checks both paths agree on {@code body}; returns whether the fast path took it. */
  private static boolean agree(String body, Map<String, DataType> types) {
    Function<String, Map<String, DataType>> sig =
        name -> {
          if (!name.isEmpty() && !name.equals("serving_default") && !name.equals("other")) {
            throw new IllegalArgumentException("no signature " + name);
          }
          return types;
        };
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String tree = outcome(() -> PredictBodies.readPredictRequest(TensorJson.parse(bytes), sig));
    String streamed = outcome(() -> PredictBodies.readPredictRequest(bytes, sig));
    assertThat(streamed).as("body %s, types %s", abbreviate(body), types).isEqualTo(tree);
    StreamedPredictBody fast = StreamedPredictBody.read(bytes);
    boolean taken;
    try {
      taken = fast != null && fast.toRequest(sig) != null;
    } catch (RuntimeException e) {
      taken = false;
    }
    return taken;
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  /** Nested lists of {@code shape} filled by {@code leaf}. */
  private static void nested(StringBuilder sb, int[] shape, int level, Supplier<String> leaf) {
    if (level == shape.length) {
      sb.append(leaf.get());
      return;
    }
    sb.append('[');
    for (int i = 0; i < shape[level]; i++) {
      if (i > 0) sb.append(", ");
      nested(sb, shape, level + 1, leaf);
    }
    sb.append(']');
  }

  private static String leaf(Random r, int kind) {
    return switch (kind) {
      case 0 -> Integer.toString(r.nextInt(256));
      case 1 -> Integer.toString(r.nextInt(200) - 100);
      case 2 -> Float.toString(r.nextFloat() * 2 - 1);
      case 3 -> Double.toString(r.nextGaussian() * 1e6);
      case 4 -> Long.toString(r.nextLong() >> r.nextInt(64));
      default -> r.nextBoolean() ? "1.5e3" : "-0";
    };
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void randomNumericBodiesAgreeWithTheTreeAndMostAreTaken(int seed) {
    Random r = new Random(seed);
    int taken = 0;
    int n = 400;
    for (int c = 0; c < n; c++) {
      int rank = r.nextInt(4);
      int[] shape = new int[rank + 1];
      for (int i = 0; i < shape.length; i++) shape[i] = 1 + r.nextInt(4);
      int kind = r.nextInt(6);
      DataType dt = NUMERIC.get(r.nextInt(NUMERIC.size()));
      StringBuilder v = new StringBuilder();
      nested(v, shape, 0, () -> leaf(r, kind));
      String body =
          switch (r.nextInt(4)) {
            case 0 -> "{\"instances\": " + v + "}";
            case 1 -> "{\"signature_name\": \"other\", \"inputs\": " + v + "}";
            case 2 -> "{\"inputs\": {\"x\": " + v + "}, \"signature_name\": \"serving_default\"}";
            default -> "{\"inputs\": {\"x\": " + v + ", \"y\": " + leaf(r, kind) + "}}";
          };
      Map<String, DataType> types = new LinkedHashMap<>();
      types.put("x", dt);
      if (body.contains("\"y\"") && r.nextBoolean()) types.put("y", dt);
      if (agree(body, types)) taken++;
    }
    // Small unsigned ints fit every numeric dtype; floats fit float and double: most are taken.
    assertThat(taken).as("bodies the fast path answered").isGreaterThan(n / 4);
  }

  @Test
  void unusualBodiesGetTheTreePathsAnswer() {
    Map<String, DataType> f = Map.of("x", DataType.DT_FLOAT);
    Map<String, DataType> u8 = Map.of("x", DataType.DT_UINT8);
    Map<String, DataType> i32 = Map.of("x", DataType.DT_INT32);
    Map<String, DataType> two = new LinkedHashMap<>();
    two.put("a", DataType.DT_FLOAT);
    two.put("b", DataType.DT_INT64);
    List<Object[]> cases = new ArrayList<>();
    for (String body :
        List.of(
            "{\"instances\": [[1, 2], [3]]}", // ragged
            "{\"instances\": [[1, 2], [3, [4]]]}",
            "{\"instances\": [1, [2]]}",
            "{\"instances\": []}",
            "{\"instances\": [[]]}",
            "{\"instances\": [\"a\", \"b\"]}",
            "{\"instances\": [{\"b64\": \"AAE=\"}]}",
            "{\"instances\": [true, false]}",
            "{\"instances\": [1, null]}",
            "{\"instances\": [{\"x\": [1]}, {\"x\": [2]}]}",
            "{\"instances\": [1], \"inputs\": [1]}",
            "{\"inputs\": [1], \"inputs\": [2]}",
            "{\"signature_name\": 3, \"inputs\": [1]}",
            "{\"signature_name\": \"nope\", \"inputs\": [1]}",
            "{\"inputs\": [1], \"extra\": 1}",
            "{}",
            "[1, 2]",
            "{\"inputs\": [1, 2]",
            "{\"inputs\": [1, 2]} trailing",
            "{\"inputs\": [16777216, 1]}", // 2^24: not exact in float32
            "{\"inputs\": [16777215, -16777215]}",
            "{\"inputs\": [1e39]}",
            "{\"inputs\": [NaN, Infinity, -Infinity, 1.5]}",
            "{\"inputs\": [123456789012345678901234567890]}",
            "{\"inputs\": {\"x\": 7}}",
            "{\"inputs\": 7}",
            "{\"inputs\": {\"y\": [1]}}",
            "{\"inputs\": {\"x\": [1], \"x\": [2]}}",
            "{\"inputs\": {}}",
            "{\"inputs\": {\"b64\": \"AAE=\"}}",
            "{\"inputs\": [1, 2.5, -3, 4e2, 5.0]}", // whole and decimal numbers mixed
            "{\"inputs\": " + "[".repeat(5000) + "1" + "]".repeat(5000) + "}")) { // deeper than Jackson allows
      for (Map<String, DataType> types : List.of(f, u8, i32, two)) {
        agree(body, types);
      }
    }
    for (String body :
        List.of(
            "{\"inputs\": [255, 0]}",
            "{\"inputs\": [256]}",
            "{\"inputs\": [-1]}",
            "{\"inputs\": [3.0]}",
            "{\"inputs\": [2147483648]}",
            "{\"inputs\": {\"a\": [1.5, 2], \"b\": [9007199254740993]}}",
            "{\"inputs\": {\"a\": [1.5, 2], \"b\": [1.0]}}",
            "{\"instances\": [{\"a\": 1.0, \"b\": 2}]}")) {
      for (Map<String, DataType> types : List.of(f, u8, i32, two, Map.of("x", DataType.DT_STRING), Map.of("x", DataType.DT_BOOL))) {
        agree(body, types);
      }
    }
    assertThat(agree("{\"inputs\": {\"a\": [1.5, 2], \"b\": [9007199254740993]}}", two))
        .as("int64 beyond 2^53 is taken and kept exact")
        .isTrue();
    assertThat(agree("{\"inputs\": [[1, 2], [3]]}", f)).as("ragged lists are left to the tree").isFalse();
    assertThat(agree("{\"inputs\": [1, 2.5, -3, 4e2, 5.0]}", Map.of("x", DataType.DT_DOUBLE)))
        .as("whole and decimal numbers mixed")
        .isTrue();
  }

  @Test
  void anImageSizedBodyIsPackedWithItsShape() {
    StringBuilder v = new StringBuilder();
    Random r = new Random(7);
    nested(v, new int[] {1, 48, 64, 3}, 0, () -> Integer.toString(r.nextInt(256)));
    byte[] body = ("{\"instances\": " + v + "}").getBytes(StandardCharsets.UTF_8);
    PredictJsonRequest req = StreamedPredictBody.read(body).toRequest(s -> Map.of("image", DataType.DT_FLOAT));
    TensorProto t = req.inputs().get("image");
    assertThat(t.getTensorContent().size()).isEqualTo(4 * 48 * 64 * 3);
    assertThat(t.getFloatValCount()).isZero();
    assertThat(TensorValue.fromProto(t).shape()).containsExactly(1, 48, 64, 3);
    assertThat(agree(new String(body, StandardCharsets.UTF_8), Map.of("image", DataType.DT_FLOAT))).isTrue();
  }

  private static String outputs(Callable<Map<String, TensorProto>> read) {
    try {
      return canonical(read.call());
    } catch (Exception e) {
      return "error " + e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  /** Response bodies: both paths agree; returns whether the fast path took it. */
  private static boolean agreeOnResponse(String body, Map<String, DataType> types) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String tree = outputs(() -> PredictBodies.readPredictResponse(TensorJson.parse(bytes), types, "output"));
    StreamedPredictBody fast = StreamedPredictBody.readResponse(bytes);
    Map<String, TensorProto> got = fast == null ? null : fast.toOutputs(types, "output");
    if (got == null) {
      return false;
    }
    assertThat(outputs(() -> got)).as("response %s, types %s", abbreviate(body), types).isEqualTo(tree);
    return true;
  }

  @ParameterizedTest
  @ValueSource(ints = {4, 5})
  void randomResponseBodiesAgreeWithTheTree(int seed) {
    Random r = new Random(seed);
    int taken = 0;
    int n = 400;
    for (int c = 0; c < n; c++) {
      int[] shape = new int[1 + r.nextInt(3)];
      for (int i = 0; i < shape.length; i++) shape[i] = 1 + r.nextInt(4);
      int kind = r.nextInt(6);
      StringBuilder v = new StringBuilder();
      nested(v, shape, 0, () -> leaf(r, kind));
      StringBuilder w = new StringBuilder();
      nested(w, shape, 0, () -> leaf(r, kind));
      String body =
          switch (r.nextInt(3)) {
            case 0 -> "{\"predictions\": " + v + "}";
            case 1 -> "{\"outputs\": " + v + "}";
            default -> "{\"outputs\": {\"a\": " + v + ", \"b\": " + w + "}}";
          };
      Map<String, DataType> types = new LinkedHashMap<>();
      switch (r.nextInt(4)) {
        case 0 -> {}
        case 1 -> types.put("y", NUMERIC.get(r.nextInt(NUMERIC.size())));
        case 2 -> types.put("a", NUMERIC.get(r.nextInt(NUMERIC.size())));
        default -> {
          types.put("a", NUMERIC.get(r.nextInt(NUMERIC.size())));
          types.put("b", NUMERIC.get(r.nextInt(NUMERIC.size())));
        }
      }
      if (agreeOnResponse(body, types)) taken++;
    }
    assertThat(taken).as("responses the fast path answered").isGreaterThan(n / 4);
    for (String body :
        List.of(
            "{\"error\": \"boom\"}",
            "{\"predictions\": []}",
            "{\"predictions\": [1], \"outputs\": [2]}",
            "{\"outputs\": [\"x\"]}",
            "{\"outputs\": [1, 2.5, 16777217]}",
            "{\"outputs\": {\"b64\": \"AAE=\"}}")) {
      assertThat(agreeOnResponse(body, Map.of())).as(body).isFalse();
    }
    assertThat(agreeOnResponse("{\"outputs\": [1, 2.5]}", Map.of())).as("inferred float").isTrue();
    assertThat(agreeOnResponse("{\"predictions\": [[1], [2]]}", Map.of())).as("inferred int64").isTrue();
  }

  /** {@code rows} objects naming {@code names}, each value nested lists of {@code rowShape} (sometimes one row differs). */
  private static String namedRows(Random r, String key, List<String> names, int rows, int kind) {
    int[] rowShape = new int[r.nextInt(3)];
    for (int i = 0; i < rowShape.length; i++) rowShape[i] = 1 + r.nextInt(3);
    StringBuilder sb = new StringBuilder("{\"" + key + "\": [");
    for (int row = 0; row < rows; row++) {
      if (row > 0) sb.append(", ");
      sb.append('{');
      for (int j = 0; j < names.size(); j++) {
        if (j > 0) sb.append(", ");
        sb.append('"').append(names.get(j)).append("\": ");
        int[] shape = rowShape;
        if (row == rows - 1 && r.nextInt(8) == 0 && shape.length > 0) {
          shape = shape.clone();
          shape[0]++;
        }
        nested(sb, shape, 0, () -> leaf(r, kind));
      }
      sb.append('}');
    }
    return sb.append("]}").toString();
  }

  @ParameterizedTest
  @ValueSource(ints = {6, 7})
  void namedRowsAgreeWithTheTree(int seed) {
    Random r = new Random(seed);
    int takenRequests = 0;
    int takenResponses = 0;
    for (int c = 0; c < 300; c++) {
      int kind = r.nextInt(6);
      List<String> names = r.nextBoolean() ? List.of("a", "b") : List.of("b", "a", "c");
      int rows = 1 + r.nextInt(4);
      Map<String, DataType> types = new LinkedHashMap<>();
      for (String n : List.of("a", "b", "c")) {
        if (names.contains(n) ? r.nextInt(6) > 0 : r.nextInt(6) == 0) {
          types.put(n, NUMERIC.get(r.nextInt(NUMERIC.size())));
        }
      }
      if (agree(namedRows(r, "instances", names, rows, kind), types)) takenRequests++;
      if (agreeOnResponse(namedRows(r, "predictions", names, rows, kind), types)) takenResponses++;
    }
    assertThat(takenRequests).as("requests taken").isPositive();
    assertThat(takenResponses).as("responses taken").isPositive();
    for (String body :
        List.of(
            "{\"instances\": [{\"a\": 1, \"b\": 2}, {\"a\": 1}]}",
            "{\"instances\": [{\"a\": 1, \"b\": 2}, {\"a\": 1, \"c\": 2}]}",
            "{\"instances\": [{\"a\": 1, \"a\": 2}]}",
            "{\"instances\": [{}]}",
            "{\"instances\": [{\"a\": 1, \"b\": 2}, 3]}",
            "{\"instances\": [{\"a\": [1, 2], \"b\": 2}, {\"a\": [1], \"b\": 2}]}",
            "{\"instances\": [{\"a\": \"s\", \"b\": 2}]}")) {
      Map<String, DataType> two = new LinkedHashMap<>();
      two.put("a", DataType.DT_FLOAT);
      two.put("b", DataType.DT_INT32);
      assertThat(agree(body, two)).as(body).isFalse();
    }
    Map<String, DataType> two = new LinkedHashMap<>();
    two.put("a", DataType.DT_FLOAT);
    two.put("b", DataType.DT_INT32);
    assertThat(agree("{\"instances\": [{\"b\": 2, \"a\": [1.5, 2]}, {\"b\": 3, \"a\": [0, -1]}]}", two)).isTrue();
    assertThat(agreeOnResponse("{\"predictions\": [{\"z\": 2, \"a\": [1.5, 2]}, {\"z\": 3, \"a\": [0, -1]}]}", two))
        .as("the signature's names first, then the first row's")
        .isTrue();
  }
}
