package dev.tfkit.server;

import static dev.tfkit.server.Protos.*;
import static dev.tfkit.testing.TestTensors.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.server.lifecycle.ServableState;
import dev.tfkit.server.lifecycle.ServableStatus;
import dev.tfkit.server.tensorflow.BatchingOptions;
import dev.tfkit.server.util.RequestException;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc.PredictionServiceBlockingStub;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * Every model in TF Serving's test data ({@code servables/tensorflow/testdata/}, {@code
 * batching/testdata/}) that is stored in its repository, served by one server: each loads where
 * TF Serving loads it, fails where TF Serving fails, and answers what TF Serving's own tests
 * expect (each case names the test its values come from). Models missing from the shared fixtures
 * are in {@code src/test/resources/tfserving-testdata/} (see its README).
 */
class TfServingTestdataTest {
  private static EmbeddedServer server;
  private static ServedChannel grpc;
  private static PredictionServiceBlockingStub stub;

  /** One TF Serving test model: its folder and what must hold for it. */
  record Case(String name, Path basePath, Check check) {
    @Override
    public String toString() {
      return name;
    }
  }

  interface Check {
    void run(String model) throws Exception;
  }

  static Path resource(String model) {
    Path p = Path.of("src/test/resources/tfserving-testdata", model);
    assertThat(p).isDirectory();
    return p.toAbsolutePath();
  }

  static Stream<Case> cases() {
    List<Case> c = new ArrayList<>();
    // tensorflow_model_server_test.py testPredictSavedModel / VerifyPredictRequest: x = [2.0] → y
    // = 3.0; testRegress, testClassify: an Example with x = 2.0 → 3.0.
    c.add(new Case("saved_model_half_plus_two_cpu", Fixtures.tfServing("saved_model_half_plus_two_cpu"), m -> {
      halfPlusTwo(m);
      regressTo3(m);
    }));
    // The TF2 export's predict function takes shape [1] (its input_signature): x = [2.0] → 3.0.
    c.add(new Case("saved_model_half_plus_two_tf2_cpu", Fixtures.tfServing("saved_model_half_plus_two_tf2_cpu"), m -> {
      assertThat(statusOf(m).state()).isEqualTo(ServableState.AVAILABLE);
      assertThat(predict(m, "", new long[] {1}, 2.0f)).containsExactly(3.0f);
      regressTo3(m);
    }));
    // Nodes pinned to /device:GPU:0: on a CPU-only machine TensorFlow cannot place them, and TF
    // Serving's load fails the same way (its GPU tests run on GPU machines); tfkit's
    // --allow_soft_placement serves them (SoftPlacementTest).
    c.add(new Case("saved_model_half_plus_two_gpu", Fixtures.tfServing("saved_model_half_plus_two_gpu"), TfServingTestdataTest::failsWithoutAGpu));
    // Legacy SessionBundle: open-source TF Serving 2.x refuses it (UNIMPLEMENTED, "Session Bundle
    // is deprecated and removed"); tfkit serves it as TF Serving 1.x did (LegacyBundleTest).
    c.add(new Case("session_bundle_half_plus_two", Fixtures.tfServing("session_bundle_half_plus_two"), m -> {
      assertThat(statusOf(m).state()).isEqualTo(ServableState.AVAILABLE);
      assertThat(
              stub.regress(
                      RegressionRequest.newBuilder()
                          .setModelSpec(ModelSpec.newBuilder().setName(m))
                          .setInput(examples(example("x", 2.0f)))
                          .build())
                  .getResult()
                  .getRegressions(0)
                  .getValue())
          .isEqualTo(3.0f);
    }));
    // saved_model_config_test.cc / tensorflow_model_server_test.py: these load as half_plus_two.
    c.add(new Case("saved_model_half_plus_two_cpu_with_saved_model_config",
        Fixtures.tfServing("saved_model_half_plus_two_cpu_with_saved_model_config"), TfServingTestdataTest::halfPlusTwo));
    c.add(new Case("saved_model_half_plus_two_cpu_with_empty_saved_model_config",
        resource("saved_model_half_plus_two_cpu_with_empty_saved_model_config"), TfServingTestdataTest::halfPlusTwo));
    // saved_model_bundle_source_adapter_test.cc / machine_learning_metadata_test.cc: loads (its
    // assets.extra/mlmd_uuid is metadata for MLMD).
    c.add(new Case("saved_model_half_plus_two_mlmd", resource("saved_model_half_plus_two_mlmd"), TfServingTestdataTest::halfPlusTwo));
    // tools/docker/tests/dockerfile_devel_mkl_test.sh: REST {"instances": [1.0,2.0,5.0]} →
    // {"predictions":[2.5,3.0,4.5]}.
    c.add(new Case("saved_model_half_plus_two_mkl", resource("saved_model_half_plus_two_mkl"), m -> {
      halfPlusTwo(m);
      assertThat(restPredict(m, "{\"instances\": [1.0,2.0,5.0]}")).isEqualTo("{\"predictions\":[2.5,3.0,4.5]}");
    }));
    // tools/docker/tests/dockerfile_devel_gpu_trt_test.sh: REST {"instances": [[1.0],[2.0],[5.0]]}
    // → {"predictions":[[2.5],[3.0],[4.5]]} (there on a TensorRT GPU build; its graph is plain TF).
    // Its nodes are pinned to /device:GPU:0, so on this CPU-only machine it fails as
    // saved_model_half_plus_two_gpu does (with --allow_soft_placement it serves those answers).
    c.add(new Case("saved_model_half_plus_two_gpu_trt", resource("saved_model_half_plus_two_gpu_trt"), TfServingTestdataTest::failsWithoutAGpu));
    // tensorflow_model_server_test.py testGoodModelConfig: half_plus_three, x = 2.0 → 4.0. One of
    // its signatures declares DT_FLOAT on the string tf_example tensor; TF Serving still loads it.
    c.add(new Case("saved_model_half_plus_three", Fixtures.tfServing("saved_model_half_plus_three"),
        m -> assertThat(predictY(m, "", 2.0f)).containsExactly(4.0f)));
    // VersionsAndReload territory; here: the latest (124) serves y = 0.5x + 2.
    c.add(new Case("saved_model_half_plus_two_2_versions", Fixtures.tfServing("saved_model_half_plus_two_2_versions"), TfServingTestdataTest::halfPlusTwo));
    // predict_impl_test.cc PredictWithSignatures (counter): get 0, incr 1, reset 0, incr 1,
    // incr_counter_by 3 → 4.
    c.add(new Case("saved_model_counter", Fixtures.tfServing("saved_model_counter"), TfServingTestdataTest::counter));
    // batching_session_test.cc BatchingWithPadding: x = {5..13} shape [1,3,3] → y
    // {4.5,5,5.5,6,6.5,7,7.5,8,8.5}. Its other request, [1,2,2], is answered there only because
    // that batching session pads inputs; tfkit's batching does not pad, and the placeholder is
    // [?,3,3]: INVALID_ARGUMENT.
    c.add(new Case("matrix_half_plus_two", Fixtures.tfServing("matrix_half_plus_two"), TfServingTestdataTest::matrix));
    // tensorflow_model_server_test.py testBadModel: bad_half_plus_two loads, Predict is
    // FAILED_PRECONDITION (no serving_default signature).
    c.add(new Case("bad_half_plus_two", Fixtures.tfServing("bad_half_plus_two"), m -> {
      assertThat(statusOf(m).state()).isEqualTo(ServableState.AVAILABLE);
      assertThatThrownBy(() -> predictY(m, "", 2.0f))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    }));
    // TFLite models: TF Serving serves them only with --prefer_tflite_model; by default the folder
    // has no SavedModel and the load fails NOT_FOUND. tfkit has no TFLite runtime: it fails alike.
    for (String m : List.of("saved_model_half_plus_two_tflite", "saved_model_half_plus_two_tflite_with_sigdef", "parse_example_tflite")) {
      c.add(new Case(m, resource(m), model -> {
        ServableStatus s = statusOf(model);
        assertThat(s.state()).isEqualTo(ServableState.END);
        assertThat(s.error()).hasValueSatisfying(e -> assertThat(e).contains("Could not find SavedModel .pb or .pbtxt"));
        assertThat(s.code()).contains(RequestException.Code.NOT_FOUND);
        // GetModelStatus over REST carries the load error's own code, as TF Serving's does.
        Http status = get(server.restUrl() + "/v1/models/" + model);
        assertThat(status.body().replaceAll("\\s", "")).contains("\"error_code\":\"NOT_FOUND\"");
      }));
    }
    return c.stream();
  }

  @BeforeAll
  static void start() throws Exception {
    EmbeddedServer.Builder b = EmbeddedServer.builder().grpcPort(0).restPort(0).maxNumLoadRetries(0);
    cases().forEach(c -> b.model(c.name(), c.basePath()));
    server = b.start();
    grpc = ServedChannel.to(server);
    stub = grpc.predict();
  }

  @AfterAll
  static void stop() {
    if (grpc != null) {
      grpc.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void servesAsTfServingDoes(Case c) throws Exception {
    c.check().run(c.name());
  }

  static ServableStatus statusOf(String model) {
    List<ServableStatus> all = server.models().status(model);
    assertThat(all).as("statuses of %s", model).isNotEmpty();
    return all.get(0);
  }

  static void halfPlusTwo(String m) {
    assertThat(statusOf(m).state()).isEqualTo(ServableState.AVAILABLE);
    // tensorflow_model_server_test.py testPredictREST: [2, 3, 4] → [3, 3.5, 4].
    assertThat(predictY(m, "", 2.0f, 3.0f, 4.0f)).containsExactly(3.0f, 3.5f, 4.0f);
  }

  static void failsWithoutAGpu(String m) {
    ServableStatus s = statusOf(m);
    assertThat(s.state()).isEqualTo(ServableState.END);
    assertThat(s.error()).hasValueSatisfying(e -> assertThat(e).contains("Cannot assign a device").contains("--allow_soft_placement"));
    // TensorFlow's placer error is INVALID_ARGUMENT, and the status carries it as TF Serving's does.
    assertThat(s.code()).contains(RequestException.Code.INVALID_ARGUMENT);
  }

  static void regressTo3(String m) {
    float r =
        stub.regress(
                RegressionRequest.newBuilder()
                    .setModelSpec(ModelSpec.newBuilder().setName(m).setSignatureName("regress_x_to_y"))
                    .setInput(examples(example("x", 2.0f)))
                    .build())
            .getResult()
            .getRegressions(0)
            .getValue();
    assertThat(r).isEqualTo(3.0f);
  }

  static void counter(String m) {
    assertThat(counterOp(m, "get_counter", null)).isEqualTo(0f);
    assertThat(counterOp(m, "incr_counter", null)).isEqualTo(1f);
    assertThat(counterOp(m, "reset_counter", null)).isEqualTo(0f);
    assertThat(counterOp(m, "incr_counter", null)).isEqualTo(1f);
    assertThat(counterOp(m, "incr_counter_by", 3f)).isEqualTo(4f);
  }

  static float counterOp(String m, String sig, Float delta) {
    PredictRequest.Builder r =
        PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(m).setSignatureName(sig));
    if (delta != null) {
      r.putInputs("delta", floats(new long[] {}, delta));
    }
    return stub.predict(r.build()).getOutputsOrThrow("output").getFloatVal(0);
  }

  static void matrix(String m) {
    TensorProto y =
        stub.predict(
                PredictRequest.newBuilder()
                    .setModelSpec(ModelSpec.newBuilder().setName(m))
                    .putInputs("x", floats(new long[] {1, 3, 3}, 5, 6, 7, 8, 9, 10, 11, 12, 13))
                    .build())
            .getOutputsOrThrow("y");
    assertThat(y.getTensorShape().getDimList()).extracting(d -> d.getSize()).containsExactly(1L, 3L, 3L);
    assertThat(y.getFloatValList()).containsExactly(4.5f, 5f, 5.5f, 6f, 6.5f, 7f, 7.5f, 8f, 8.5f);
    assertThatThrownBy(
            () -> stub.predict(
                PredictRequest.newBuilder()
                    .setModelSpec(ModelSpec.newBuilder().setName(m))
                    .putInputs("x", floats(new long[] {1, 2, 2}, 1, 2, 3, 4))
                    .build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  /**
   * batching_session_test.cc {@code BatchingWithPadding}: matrix_half_plus_two served with
   * {@code pad_variable_length_inputs}; a [1,3,3] and a [1,2,2] request batched together. The
   * smaller one is padded with its own first value and answered in the padded shape. (Batch
   * formation is deterministic: a batch of 2 runs when both requests are in, long before its 30 s
   * timeout.)
   */
  @Test
  void matrixRequestsBatchedWithPaddingGiveTfServingsAnswers() throws Exception {
    BatchingOptions batching = new BatchingOptions(2, 30_000_000L, 1, 4, List.of(), true, false, 0);
    ExecutorService two = Executors.newFixedThreadPool(2);
    try (EmbeddedServer s =
        EmbeddedServer.builder().grpcPort(0).noRest().batching(batching)
            .model("matrix", Fixtures.tfServing("matrix_half_plus_two")).start()) {
      try (ServedChannel grpc = ServedChannel.to(s)) {
        PredictionServiceBlockingStub st = grpc.predict();
        Future<TensorProto> big = two.submit(() -> st.predict(PredictRequest.newBuilder()
                .setModelSpec(ModelSpec.newBuilder().setName("matrix"))
                .putInputs("x", floats(new long[] {1, 3, 3}, 5, 6, 7, 8, 9, 10, 11, 12, 13))
                .build()).getOutputsOrThrow("y"));
        Future<TensorProto> small = two.submit(() -> st.predict(PredictRequest.newBuilder()
                .setModelSpec(ModelSpec.newBuilder().setName("matrix"))
                .putInputs("x", floats(new long[] {1, 2, 2}, 1, 2, 3, 4))
                .build()).getOutputsOrThrow("y"));
        TensorProto y = small.get(60, TimeUnit.SECONDS);
        assertThat(y.getTensorShape().getDimList()).extracting(d -> d.getSize()).containsExactly(1L, 3L, 3L);
        assertThat(TensorValue.fromProto(y).floats())
            .containsExactly(2.5f, 3f, 2.5f, 3.5f, 4f, 2.5f, 2.5f, 2.5f, 2.5f);
        assertThat(TensorValue.fromProto(big.get(60, TimeUnit.SECONDS)).floats())
            .containsExactly(4.5f, 5f, 5.5f, 6f, 6.5f, 7f, 7.5f, 8f, 8.5f);
      }
    } finally {
      two.shutdownNow();
    }
  }

  /** A REST predict's answer, whitespace removed. */
  static String restPredict(String m, String body) throws Exception {
    Http r = post(server.restUrl() + "/v1/models/" + m + ":predict", body);
    assertThat(r.code()).as(r.body()).isEqualTo(200);
    return r.body().replaceAll("\\s", "");
  }

  static List<Float> predictY(String m, String signature, float... x) {
    return predict(m, signature, new long[] {x.length, 1}, x);
  }

  static List<Float> predict(String m, String signature, long[] shape, float... x) {
    return stub.predict(
            PredictRequest.newBuilder()
                .setModelSpec(ModelSpec.newBuilder().setName(m).setSignatureName(signature))
                .putInputs("x", floats(shape, x))
                .build())
        .getOutputsOrThrow("y")
        .getFloatValList();
  }
}
