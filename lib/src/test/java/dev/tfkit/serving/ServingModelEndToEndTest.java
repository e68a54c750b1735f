package dev.tfkit.serving;

import static dev.tfkit.Tfkit.parsedPrediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tfkit.rest.RestFormat;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import tensorflow.serving.Model;
import tensorflow.serving.Predict;

/** The client against tfkit's embedded server serving TF Serving's half_plus_two test model. */
class ServingModelEndToEndTest {
  private static EmbeddedServer server;
  private static ServingModel grpc;
  private static ServingModel rest;

  @BeforeAll
  static void start() throws Exception {
    Path base = Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123").getParent();
    server = EmbeddedServer.builder().model("half_plus_two", base).grpcPort(0).restPort(0).start();
    grpc = ServingModel.grpc(server.grpcTarget(), "half_plus_two");
    rest = ServingModel.rest(server.restUrl(), "half_plus_two");
  }

  @AfterAll
  static void stop() {
    if (grpc != null) grpc.close();
    if (rest != null) rest.close();
    if (server != null) server.close();
  }

  @Test
  void theIssuesJshellSession() {
    var p = grpc.run(Map.of("x", new float[][] {{2f}, {4f}}));
    assertThat(parsedPrediction(p, "y").floats()).containsExactly(3.0f, 4.0f);
    assertThat(parsedPrediction(p, "y").shape()).containsExactly(2, 1);
    assertThat(p.version()).hasValue(123);
  }

  @Test
  void restAndGrpcGiveEqualPredictions() {
    for (float[][] x : List.of(new float[][] {{2f}, {4f}}, new float[][] {{-1.5f}, {0f}, {1e6f}},
        new float[][] {{0.1f}})) {
      var g = grpc.run(Map.of("x", x));
      for (RestFormat f : RestFormat.values()) {
        var r = rest.restFormat(f).run(Map.of("x", x));
        assertThat(r.outputs()).as(f.name()).isEqualTo(g.outputs());
        // The raw response: the numeric answer was streamed into a packed tensor (the JSON-tree
        // reader fills float_val).
        var raw =
            rest.restFormat(f)
                .predict(
                    Predict.PredictRequest.newBuilder()
                        .setModelSpec(Model.ModelSpec.newBuilder().setName("half_plus_two"))
                        .putInputs("x", TensorValue.of(x).toProto())
                        .build());
        assertThat(raw.getOutputsOrThrow("y").getTensorContent().size()).as(f.name()).isEqualTo(4 * x.length);
        assertThat(raw.getOutputsOrThrow("y").getFloatValCount()).isZero();
      }
      assertThat(g.output("y").dtype()).isEqualTo(DataType.DT_FLOAT);
      assertThat(g.output("y").floats()[0]).isEqualTo(0.5f * x[0][0] + 2f);
    }
  }

  @Test
  void metadataAndStatusAgree() {
    ModelMetadata gm = grpc.metadata();
    ModelMetadata rm = rest.metadata();
    assertThat(gm.signatures().keySet()).contains("serving_default", "regress_x_to_y",
        "classify_x_to_y");
    assertThat(rm.signatures()).isEqualTo(gm.signatures());
    assertThat(gm.inputTypes("serving_default")).containsEntry("x", DataType.DT_FLOAT);
    assertThat(gm.table().rowCount()).isGreaterThanOrEqualTo(10);
    assertThat(grpc.status()).containsExactly(new VersionStatus(123, "AVAILABLE", "OK", ""));
    assertThat(rest.status()).isEqualTo(grpc.status());
  }

  @Test
  void regressAndClassifyOverBoth() {
    List<Map<String, Object>> examples = List.of(Map.of("x", 1.0f), Map.of("x", 2.0f));
    for (ServingModel m : List.of(grpc, rest)) {
      assertThat(m.signature("regress_x_to_y").regress(examples).values())
          .as(m.toString()).containsExactly(2.5f, 3.0f);
      Classifications c = m.signature("classify_x_to_y").classify(examples);
      assertThat(c.classes()).hasSize(2);
      assertThat(c.best(0).score()).isEqualTo(2.5f);
      assertThat(c.best(1).score()).isEqualTo(3.0f);
    }
  }

  @Test
  void errorsNameTheModelOverBoth() {
    for (ServingModel m : List.of(grpc, rest)) {
      ServingModel missing = m.version(999);
      ServingException nf = catchThrowableOfType(ServingException.class,
          () -> missing.run(Map.of("x", new float[][] {{1f}})));
      assertThat(nf.code()).as(m.toString()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(nf).hasMessageContaining("model 'half_plus_two' version 999 not found");
      ServingException bad = catchThrowableOfType(ServingException.class,
          () -> m.run(Map.of("wrong", new float[][] {{1f}})));
      assertThat(bad.code()).as(m.toString()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(bad).hasMessageContaining("'half_plus_two'");
      assertThat(bad.serverMessage()).isNotEmpty();
    }
  }

  @Test
  void threadsSharingOneClientEachGetTheirOwnAnswersOverBothTransports() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        ServingModel m = thread % 2 == 0 ? grpc : rest; // one shared instance per transport
        done.add(pool.submit(() -> {
          for (int i = 0; i < 100; i++) {
            float a = thread * 1000 + i;
            var p = i % 3 == 0 ? m.runAsync(Map.of("x", new float[][] {{a}, {-a}})).get()
                : m.run(Map.of("x", new float[][] {{a}, {-a}}));
            float[] y = p.output("y").floats();
            if (y[0] != 0.5f * a + 2f || y[1] != -0.5f * a + 2f) {
              throw new AssertionError(m + " thread " + thread + " call " + i + " got " + y[0]);
            }
          }
          return 100;
        }));
      }
      for (Future<Integer> f : done) assertThat(f.get()).isEqualTo(100);
    } finally {
      pool.shutdownNow();
    }
  }
}
