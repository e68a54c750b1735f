package dev.tfkit.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.FloatList;
import tensorflow.serving.InputOuterClass.ExampleList;
import tensorflow.serving.InputOuterClass.Input;

/**
 * Hand-built request pieces for the server tests (no tfkit conversion code involved): tf.Example
 * inputs and plain HTTP calls; tensors come from {@code TestTensors} (test package {@code testing}).
 */
final class Protos {
  private Protos() {}

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
