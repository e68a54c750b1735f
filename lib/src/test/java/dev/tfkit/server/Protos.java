package dev.tfkit.server;

import com.google.protobuf.ByteString;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import tensorflow.serving.InputOuterClass.ExampleList;
import tensorflow.serving.InputOuterClass.Input;

/** Hand-built request pieces for the server tests (no tfkit conversion code involved). */
final class Protos {
  private Protos() {}

  static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  static TensorProto floats(long[] dims, float... values) {
    TensorProto.Builder b = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(dims));
    for (float v : values) {
      b.addFloatVal(v);
    }
    return b.build();
  }

  static TensorProto floatVector(float... values) {
    return floats(new long[] {values.length}, values);
  }

  /** Little-endian packed floats in tensor_content. */
  static TensorProto packedFloats(long[] dims, float... values) {
    ByteBuffer bb =
        ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      bb.putFloat(v);
    }
    return TensorProto.newBuilder()
        .setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(dims))
        .setTensorContent(ByteString.copyFrom(bb.array()))
        .build();
  }

  static Example example(String feature, float... values) {
    FloatList.Builder fl = FloatList.newBuilder();
    for (float v : values) {
      fl.addValue(v);
    }
    return Example.newBuilder()
        .setFeatures(Features.newBuilder().putFeature(feature, Feature.newBuilder().setFloatList(fl).build()))
        .build();
  }

  static Input examples(Example... examples) {
    ExampleList.Builder l = ExampleList.newBuilder();
    for (Example e : examples) {
      l.addExamples(e);
    }
    return Input.newBuilder().setExampleList(l).build();
  }

  record Http(int code, String body) {}

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static Http get(String url) throws Exception {
    HttpResponse<String> r =
        HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    return new Http(r.statusCode(), r.body());
  }

  static Http post(String url, String body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Http(r.statusCode(), r.body());
  }
}
