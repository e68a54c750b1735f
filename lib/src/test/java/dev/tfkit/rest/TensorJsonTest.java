package dev.tfkit.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.tfkit.tensor.HalfFloats;
import dev.tfkit.tensor.TensorValue;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

class TensorJsonTest {

  private static Map<String, DataType> types(Object... kv) {
    Map<String, DataType> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (DataType) kv[i + 1]);
    return m;
  }

  private static List<Long> shape(TensorProto t) {
    return t.getTensorShape().getDimList().stream().map(TensorShapeProto.Dim::getSize).toList();
  }

  private static TensorProto.Builder tensor(DataType dt, long... shape) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : shape) s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    return TensorProto.newBuilder().setDtype(dt).setTensorShape(s);
  }

  private static String str(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  // The example of TF Serving's REST API documentation, in both formats.
  private static final String ROW =
      "{\"instances\": ["
          + "{\"tag\": \"foo\", \"signal\": [1, 2, 3, 4, 5], \"sensor\": [[1, 2], [3, 4]]},"
          + "{\"tag\": \"bar\", \"signal\": [3, 4, 1, 2, 5], \"sensor\": [[4, 5], [6, 8]]}]}";
  private static final String COLUMNAR =
      "{\"inputs\": {\"tag\": [\"foo\", \"bar\"],"
          + " \"signal\": [[1, 2, 3, 4, 5], [3, 4, 1, 2, 5]],"
          + " \"sensor\": [[[1, 2], [3, 4]], [[4, 5], [6, 8]]]}}";
  private static final Map<String, DataType> DOC_TYPES =
      types("tag", DataType.DT_STRING, "signal", DataType.DT_INT32, "sensor", DataType.DT_FLOAT);

  @Test
  void columnarRequestGivesTensorsWithNestedShapes() {
    PredictJsonRequest r =
        PredictBodies.readPredictRequest(TensorJson.parse(COLUMNAR), sig -> DOC_TYPES);
    assertThat(r.format()).isEqualTo(RestFormat.COLUMNAR);
    assertThat(r.signatureName()).isEmpty();
    TensorProto tag = r.inputs().get("tag");
    assertThat(shape(tag)).containsExactly(2L);
    assertThat(tag.getStringValList())
        .containsExactly(ByteString.copyFromUtf8("foo"), ByteString.copyFromUtf8("bar"));
    TensorProto signal = r.inputs().get("signal");
    assertThat(signal.getDtype()).isEqualTo(DataType.DT_INT32);
    assertThat(shape(signal)).containsExactly(2L, 5L);
    assertThat(signal.getIntValList()).containsExactly(1, 2, 3, 4, 5, 3, 4, 1, 2, 5);
    TensorProto sensor = r.inputs().get("sensor");
    assertThat(shape(sensor)).containsExactly(2L, 2L, 2L);
    assertThat(sensor.getFloatValList()).containsExactly(1f, 2f, 3f, 4f, 4f, 5f, 6f, 8f);
  }

  @Test
  void rowRequestStacksInstancesIntoTheSameTensorsAsColumnar() {
    PredictJsonRequest row = PredictBodies.readPredictRequest(TensorJson.parse(ROW), sig -> DOC_TYPES);
    PredictJsonRequest col =
        PredictBodies.readPredictRequest(TensorJson.parse(COLUMNAR), sig -> DOC_TYPES);
    assertThat(row.format()).isEqualTo(RestFormat.ROW);
    assertThat(row.inputs()).isEqualTo(col.inputs());
  }

  @Test
  void rowRequestWithBareValuesBindsTheOnlyInput() {
    PredictJsonRequest r =
        PredictBodies.readPredictRequest(
            TensorJson.parse("{\"signature_name\": \"s\", \"instances\": [[[1, 2]], [[3, 4]]]}"),
            sig -> {
              assertThat(sig).isEqualTo("s");
              return types("x", DataType.DT_INT64);
            });
    assertThat(r.signatureName()).isEqualTo("s");
    assertThat(shape(r.inputs().get("x"))).containsExactly(2L, 1L, 2L);
    assertThat(r.inputs().get("x").getInt64ValList()).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void malformedRequestsAreRefusedWithWhatAndWhere() {
    Map<String, DataType> x = types("x", DataType.DT_FLOAT);
    assertThatThrownBy(
            () -> PredictBodies.readPredictRequest(TensorJson.parse("{\"inputs\": [[1, 2], [3]]}"), s -> x))
        .hasMessageContaining("input 'x'")
        .hasMessageContaining("[1]")
        .hasMessageContaining("ragged");
    assertThatThrownBy(
            () -> PredictBodies.readPredictRequest(TensorJson.parse("{\"inputs\": [1, \"a\"]}"), s -> x))
        .hasMessageContaining("input 'x'")
        .hasMessageContaining("\"a\" at [1]")
        .hasMessageContaining("DT_FLOAT");
    assertThatThrownBy(
            () ->
                PredictBodies.readPredictRequest(
                    TensorJson.parse("{\"inputs\": [1], \"instances\": [1]}"), s -> x))
        .hasMessageContaining("both");
    assertThatThrownBy(
            () -> PredictBodies.readPredictRequest(TensorJson.parse("{\"inputs\": {\"y\": 1}}"), s -> x))
        .hasMessageContaining("lacks input 'x'");
    assertThatThrownBy(
            () ->
                PredictBodies.readPredictRequest(
                    TensorJson.parse("{\"instances\": [{\"a\": 1, \"b\": 2}, {\"a\": 3}]}"),
                    s -> types("a", DataType.DT_INT32, "b", DataType.DT_INT32)))
        .hasMessageContaining("item 1")
        .hasMessageContaining("[a]");
    assertThatThrownBy(
            () ->
                PredictBodies.readPredictRequest(
                    TensorJson.parse("{\"instances\": [[1, 2], [3, 4, 5]]}"), s -> x))
        .hasMessageContaining("item 1")
        .hasMessageContaining("[3]")
        .hasMessageContaining("[2]");
    assertThatThrownBy(
            () -> PredictBodies.readPredictRequest(TensorJson.parse("{\"instances\": [1]}"),
                s -> types("a", DataType.DT_INT32, "b", DataType.DT_INT32)))
        .hasMessageContaining("bare values")
        .hasMessageContaining("a, b");
    // TF Serving refuses integers a float cannot hold exactly, and decimals for integer types.
    assertThatThrownBy(
            () -> PredictBodies.readPredictRequest(TensorJson.parse("{\"inputs\": [16777217]}"), s -> x))
        .hasMessageContaining("loss of precision");
    assertThatThrownBy(
            () ->
                PredictBodies.readPredictRequest(
                    TensorJson.parse("{\"inputs\": [1.5]}"), s -> types("i", DataType.DT_INT32)))
        .hasMessageContaining("whole number");
    assertThatThrownBy(
            () ->
                PredictBodies.readPredictRequest(
                    TensorJson.parse("{\"inputs\": [300]}"), s -> types("u", DataType.DT_UINT8)))
        .hasMessageContaining("out of range for DT_UINT8");
  }

  @Test
  void base64ObjectsAreBinaryStrings() {
    TensorProto t =
        TensorJson.fromJson(
            TensorJson.parse("[{\"b64\": \"aGVsbG8=\"}, \"plain\"]"), DataType.DT_STRING, "s");
    assertThat(t.getStringVal(0).toStringUtf8()).isEqualTo("hello");
    assertThat(t.getStringVal(1).toStringUtf8()).isEqualTo("plain");
    assertThatThrownBy(
            () -> TensorJson.fromJson(TensorJson.parse("{\"b64\": \"***\"}"), DataType.DT_STRING, "s"))
        .hasMessageContaining("base64");
  }

  @Test
  void singleOutputRowResponseMatchesTheDocumentedHalfPlusThreeAnswer() {
    TensorProto y = tensor(DataType.DT_FLOAT, 3).addFloatVal(3.5f).addFloatVal(4f).addFloatVal(5.5f).build();
    JsonNode body = TensorJson.parse(PredictBodies.predictResponse(Map.of("y", y), RestFormat.ROW));
    assertThat(body).isEqualTo(TensorJson.parse("{\"predictions\": [3.5, 4.0, 5.5]}"));
    // whole floats keep their decimal point, as TF Serving writes them
    assertThat(body.get("predictions").get(1).isFloatingPointNumber()).isTrue();
  }

  @Test
  void multiOutputResponsesNameTheirTensors() {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    out.put("scores", tensor(DataType.DT_FLOAT, 2, 2).addFloatVal(0.25f).addFloatVal(0.75f)
        .addFloatVal(1f).addFloatVal(0f).build());
    out.put("label", tensor(DataType.DT_STRING, 2).addStringVal(ByteString.copyFromUtf8("cat"))
        .addStringVal(ByteString.copyFromUtf8("dog")).build());
    assertThat(TensorJson.parse(PredictBodies.predictResponse(out, RestFormat.ROW)))
        .isEqualTo(TensorJson.parse("{\"predictions\": ["
            + "{\"scores\": [0.25, 0.75], \"label\": \"cat\"},"
            + "{\"scores\": [1.0, 0.0], \"label\": \"dog\"}]}"));
    assertThat(TensorJson.parse(PredictBodies.predictResponse(out, RestFormat.COLUMNAR)))
        .isEqualTo(TensorJson.parse("{\"outputs\": {"
            + "\"scores\": [[0.25, 0.75], [1.0, 0.0]], \"label\": [\"cat\", \"dog\"]}}"));
  }

  @Test
  void rowResponseNeedsOneBatchSize() {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    out.put("a", tensor(DataType.DT_INT64, 2).addInt64Val(1).addInt64Val(2).build());
    out.put("b", tensor(DataType.DT_INT64, 3).addInt64Val(1).addInt64Val(2).addInt64Val(3).build());
    assertThatThrownBy(() -> PredictBodies.predictResponse(out, RestFormat.ROW))
        .hasMessageContaining("'a' has 2")
        .hasMessageContaining("'b' has 3")
        .hasMessageContaining("columnar");
    Map<String, TensorProto> scalar = Map.of("s", tensor(DataType.DT_INT64).addInt64Val(7).build());
    assertThatThrownBy(() -> PredictBodies.predictResponse(scalar, RestFormat.ROW))
        .hasMessageContaining("'s' is a scalar");
    assertThat(TensorJson.parse(PredictBodies.predictResponse(scalar, RestFormat.COLUMNAR)))
        .isEqualTo(TensorJson.parse("{\"outputs\": 7}"));
  }

  @Test
  void bytesOutputsAndNonUtf8StringsAreBase64() {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    out.put("image_bytes", tensor(DataType.DT_STRING, 1)
        .addStringVal(ByteString.copyFromUtf8("hello")).build());
    out.put("raw", tensor(DataType.DT_STRING, 1)
        .addStringVal(ByteString.copyFrom(new byte[] {(byte) 0xff, 0})).build());
    assertThat(TensorJson.parse(PredictBodies.predictResponse(out, RestFormat.COLUMNAR)))
        .isEqualTo(TensorJson.parse("{\"outputs\": {"
            + "\"image_bytes\": [{\"b64\": \"aGVsbG8=\"}], \"raw\": [{\"b64\": \"/wA=\"}]}}"));
  }

  @Test
  void nonFiniteFloatsAreBareTokens() {
    TensorProto t = tensor(DataType.DT_FLOAT, 3).addFloatVal(Float.NaN)
        .addFloatVal(Float.POSITIVE_INFINITY).addFloatVal(Float.NEGATIVE_INFINITY).build();
    String json = str(PredictBodies.predictResponse(Map.of("x", t), RestFormat.COLUMNAR));
    assertThat(json.replace(" ", "")).isEqualTo("{\"outputs\":[NaN,Infinity,-Infinity]}");
    TensorProto back = PredictBodies.readPredictResponse(TensorJson.parse(json),
        types("x", DataType.DT_FLOAT), "x").get("x");
    assertThat(back.getFloatVal(0)).isNaN();
    assertThat(back.getFloatVal(1)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(back.getFloatVal(2)).isEqualTo(Float.NEGATIVE_INFINITY);
  }

  @Test
  void everyRestDtypeRoundTripsThroughAResponse() {
    Map<String, TensorProto> out = new LinkedHashMap<>();
    out.put("f32", tensor(DataType.DT_FLOAT, 2).addFloatVal(0.2f).addFloatVal(-1e-30f).build());
    out.put("f64", tensor(DataType.DT_DOUBLE, 2).addDoubleVal(0.1).addDoubleVal(1e300).build());
    out.put("i8", tensor(DataType.DT_INT8, 2).addIntVal(-128).addIntVal(127).build());
    out.put("u8", tensor(DataType.DT_UINT8, 2).addIntVal(0).addIntVal(255).build());
    out.put("i16", tensor(DataType.DT_INT16, 2).addIntVal(-32768).addIntVal(32767).build());
    out.put("u16", tensor(DataType.DT_UINT16, 2).addIntVal(0).addIntVal(65535).build());
    out.put("i32", tensor(DataType.DT_INT32, 2).addIntVal(Integer.MIN_VALUE)
        .addIntVal(Integer.MAX_VALUE).build());
    out.put("u32", tensor(DataType.DT_UINT32, 2).addUint32Val(0).addUint32Val(-1).build());
    out.put("i64", tensor(DataType.DT_INT64, 2).addInt64Val(Long.MIN_VALUE)
        .addInt64Val(Long.MAX_VALUE).build());
    out.put("u64", tensor(DataType.DT_UINT64, 2).addUint64Val(0).addUint64Val(-1L).build());
    out.put("b", tensor(DataType.DT_BOOL, 2).addBoolVal(true).addBoolVal(false).build());
    out.put("s", tensor(DataType.DT_STRING, 2).addStringVal(ByteString.copyFromUtf8("é"))
        .addStringVal(ByteString.EMPTY).build());
    out.put("h", tensor(DataType.DT_HALF, 2).addHalfVal(0x3c00).addHalfVal(0xc000).build());
    out.put("bf", tensor(DataType.DT_BFLOAT16, 2).addHalfVal(0x3f80).addHalfVal(0xc040).build());
    Map<String, DataType> dtypes = new LinkedHashMap<>();
    out.forEach((k, v) -> dtypes.put(k, v.getDtype()));
    for (RestFormat f : RestFormat.values()) {
      JsonNode body = TensorJson.parse(PredictBodies.predictResponse(out, f));
      assertThat(PredictBodies.readPredictResponse(body, dtypes, "unused")).as(f.name()).isEqualTo(out);
    }
    JsonNode col = TensorJson.parse(PredictBodies.predictResponse(out, RestFormat.COLUMNAR));
    assertThat(col.at("/outputs/u64/1").bigIntegerValue().toString()).isEqualTo("18446744073709551615");
    assertThat(col.at("/outputs/u32/1").longValue()).isEqualTo(4294967295L);
    assertThat(col.at("/outputs/h").toString()).isEqualTo("[1.0,-2.0]");
    assertThat(col.at("/outputs/bf").toString()).isEqualTo("[1.0,-3.0]");
  }

  @Test
  void withoutASignatureTheDtypeIsInferred() {
    Map<String, TensorProto> got = PredictBodies.readPredictResponse(
        TensorJson.parse("{\"outputs\": {\"f\": [1, 2.5], \"i\": [[1], [2]], \"b\": [true],"
            + " \"s\": [\"x\", {\"b64\": \"eQ==\"}]}}"), Map.of(), "unused");
    assertThat(got.get("f").getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(got.get("f").getFloatValList()).containsExactly(1f, 2.5f);
    assertThat(got.get("i").getDtype()).isEqualTo(DataType.DT_INT64);
    assertThat(shape(got.get("i"))).containsExactly(2L, 1L);
    assertThat(got.get("b").getDtype()).isEqualTo(DataType.DT_BOOL);
    assertThat(got.get("s").getStringVal(1).toStringUtf8()).isEqualTo("y");
    assertThatThrownBy(() -> TensorJson.fromJson(TensorJson.parse("[1, true]"), null, "output 'z'"))
        .hasMessageContaining("output 'z'")
        .hasMessageContaining("one type");
  }

  @Test
  void aBareSingleOutputTakesTheKnownOrGivenName() {
    JsonNode body = TensorJson.parse("{\"predictions\": [[1.0], [2.0]]}");
    assertThat(PredictBodies.readPredictResponse(body, types("y", DataType.DT_DOUBLE), "fallback"))
        .containsOnlyKeys("y");
    assertThat(PredictBodies.readPredictResponse(body, Map.of(), "fallback").get("fallback")
        .getFloatValList()).containsExactly(1f, 2f);
    assertThatThrownBy(() -> PredictBodies.readPredictResponse(
        TensorJson.parse("{\"error\": \"Servable not found for request: Latest(half)\"}"),
        Map.of(), "y")).hasMessage("Servable not found for request: Latest(half)");
  }

  @Test
  void tensorContentAndRepeatedLastValueAreReadLikeTypedFields() {
    ByteBuffer bb = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    bb.putFloat(1f).putFloat(-2.5f).putFloat(0.5f);
    TensorProto content = tensor(DataType.DT_FLOAT, 3)
        .setTensorContent(ByteString.copyFrom(bb.array())).build();
    assertThat(TensorJson.toJson(content, false).toString()).isEqualTo("[1.0,-2.5,0.5]");
    TensorProto filled = tensor(DataType.DT_INT32, 2, 2).addIntVal(7).build();
    assertThat(TensorJson.toJson(filled, false).toString()).isEqualTo("[[7,7],[7,7]]");
    TensorProto short1 = tensor(DataType.DT_FLOAT, 2).setTensorContent(ByteString.copyFrom(new byte[5])).build();
    assertThatThrownBy(() -> TensorJson.toJson(short1, false)).hasMessageContaining("5 bytes");
  }

  @Test
  void requestsAreWrittenByNameInBothFormats() {
    Map<String, TensorProto> in = new LinkedHashMap<>();
    in.put("x", tensor(DataType.DT_FLOAT, 2, 1).addFloatVal(2f).addFloatVal(4f).build());
    assertThat(TensorJson.parse(PredictBodies.predictRequest("serving_default", in, RestFormat.ROW)))
        .isEqualTo(TensorJson.parse(
            "{\"signature_name\": \"serving_default\", \"instances\": [{\"x\": [2.0]}, {\"x\": [4.0]}]}"));
    assertThat(TensorJson.parse(PredictBodies.predictRequest(null, in, RestFormat.COLUMNAR)))
        .isEqualTo(TensorJson.parse("{\"inputs\": {\"x\": [[2.0], [4.0]]}}"));
  }

  @Test
  void halfAndBfloat16RoundToNearest() {
    // 0.1 is not exact in either: the nearest half is 0x2e66 (0.0999755859375), bfloat16 0x3dcd.
    assertThat(HalfFloats.floatToHalf(0.1f) & 0xffff).isEqualTo(0x2e66);
    assertThat(HalfFloats.halfToFloat(0x2e66)).isEqualTo(0.0999755859375f);
    assertThat(HalfFloats.floatToBfloat16(0.1f) & 0xffff).isEqualTo(0x3dcd);
    assertThat(HalfFloats.floatToHalf(65520f) & 0xffff).isEqualTo(0x7c00); // rounds up to infinity
    assertThat(HalfFloats.halfToFloat(0x0001)).isEqualTo(0x1p-24f); // smallest subnormal
    assertThat(HalfFloats.floatToHalf(0x1p-24f) & 0xffff).isEqualTo(0x0001);
    assertThat(HalfFloats.halfToFloat(HalfFloats.floatToHalf(Float.NaN))).isNaN();
  }

  @Test
  void typedValuesGoThroughTheSameCodec() {
    var x = TensorValue.of(new float[][] {{2f}, {4f}});
    assertThat(TensorJson.parse(PredictBodies.predictRequestFromValues(null, Map.of("x", x),
        RestFormat.COLUMNAR))).isEqualTo(TensorJson.parse("{\"inputs\": {\"x\": [[2.0], [4.0]]}}"));
    PredictJsonRequest r = PredictBodies.readPredictRequest(
        TensorJson.parse("{\"instances\": [[2.0], [4.0]]}"), sig -> types("x", DataType.DT_FLOAT));
    assertThat(r.inputValues().get("x")).isEqualTo(x);
    assertThat(TensorJson.parse(PredictBodies.predictResponseFromValues(Map.of("y", x),
        RestFormat.ROW))).isEqualTo(TensorJson.parse("{\"predictions\": [[2.0], [4.0]]}"));
    assertThat(TensorJson.valueFromJson(TensorJson.parse("[[true]]"), null, "b").booleans())
        .containsExactly(true);
  }

  @Test
  void referenceDtypesReadAsTheirValueType() {
    // the counter model's signature reports DT_FLOAT_REF outputs; the values are floats
    Map<String, TensorProto> got = PredictBodies.readPredictResponse(
        TensorJson.parse("{\"outputs\": 3.0}"), types("output", DataType.DT_FLOAT_REF), "x");
    assertThat(got.get("output").getDtype()).isEqualTo(DataType.DT_FLOAT);
    assertThat(got.get("output").getFloatValList()).containsExactly(3f);
  }

  @Test
  void wholeFloatsAreWrittenExactlyAsJacksonWritesThem() throws Exception {
    Random r = new Random(5);
    List<Float> values = new ArrayList<>(List.of(
        0f, -0f, 1f, -1f, 255f, 9_999_999f, -9_999_999f, 10_000_000f, -10_000_000f, 16_777_216f,
        0.5f, -2.5f, 1e-45f, Float.MAX_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        (float) Integer.MIN_VALUE, 2.1474836E9f));
    for (int i = 0; i < 20_000; i++) {
      values.add((float) (r.nextInt(2_000_000) - 1_000_000));
      values.add((float) r.nextInt(20_000_001) - 10_000_000);
      values.add(r.nextFloat() * 1000);
    }
    StringWriter fast = new StringWriter();
    StringWriter jackson = new StringWriter();
    char[] buf = new char[16];
    try (var a = TensorJson.mapper().getFactory().createGenerator(fast);
        var b = TensorJson.mapper().getFactory().createGenerator(jackson)) {
      a.writeStartArray();
      b.writeStartArray();
      for (float f : values) {
        TensorJson.writeFloat(a, f, buf);
        b.writeNumber(f);
      }
      a.writeEndArray();
      b.writeEndArray();
    }
    assertThat(fast.toString()).isEqualTo(jackson.toString());
    assertThat(jackson.toString()).contains("255.0", "-0.0", "1.0E7");
  }
}
