package dev.tfkit.server;

import static dev.tfkit.server.Protos.example;
import static dev.tfkit.server.Protos.examples;
import static dev.tfkit.testing.TestTensors.floats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tfkit.server.lifecycle.ServableRequest;
import dev.tfkit.server.tensorflow.BatchingOptions;
import dev.tfkit.server.tensorflow.RunStats;
import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionServiceGrpc;
import tensorflow.serving.RegressionOuterClass.RegressionRequest;

/**
 * Where gRPC and REST inference requests run: a fast, idle signature runs on the transport thread
 * once its window is full; a zero threshold or batching keeps every request on workers. Answers must be the
 * same wherever they run. The threshold is generous (100 ms) so that a loaded test machine does
 * not push half_plus_two's runs over it.
 */
class RunPlacementTest {
  private static PredictRequest predict(float x) {
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("hpt"))
        .putInputs("x", floats(new long[] {1, 1}, x))
        .build();
  }

  private static EmbeddedServer.Builder server() {
    return EmbeddedServer.builder()
        .model("hpt", Fixtures.tfServing("saved_model_half_plus_two_cpu"))
        .grpcPort(0)
        .noRest()
        .fileSystemPollWait(Duration.ZERO);
  }

  private static RunStats stats(EmbeddedServer s, String signature) {
    return s.models().peek(ServableRequest.latest("hpt")).orElseThrow().runStats(signature);
  }

  /** Sends {@code n} sequential predicts and checks every answer (y = x / 2 + 2). */
  private static void predictSequentially(PredictionServiceGrpc.PredictionServiceBlockingStub stub, int n) {
    predictSequentially(stub, n, 0);
  }

  /**
   * The same with a pause of {@code paceNanos} after each: back to back on a busy machine the
   * runs can take half the wall time, which the placement reads as load (workers, by design).
   */
  private static void predictSequentially(
      PredictionServiceGrpc.PredictionServiceBlockingStub stub, int n, long paceNanos) {
    for (int i = 0; i < n; i++) {
      float y = stub.predict(predict(2f * i)).getOutputsOrThrow("y").getFloatVal(0);
      assertThat(y).as("request %d", i).isEqualTo(i + 2f);
      if (paceNanos > 0) {
        LockSupport.parkNanos(paceNanos);
      }
    }
  }

  /** A pause after each request that keeps a sequential client "lightly loaded". */
  private static final long PACE_NANOS = 2_000_000;

  @Test
  void fastSequentialRequestsRunInlineWithTheSameAnswersAndErrors() throws Exception {
    try (EmbeddedServer s = server().inlineRunThreshold(Duration.ofMillis(100)).start()) {
      try (ServedChannel grpc = ServedChannel.to(s)) {
        var stub = grpc.predict();
        predictSequentially(stub, 200, PACE_NANOS);
        RunStats st = stats(s, "");
        assertThat(st.inlineRuns())
            .as("the first %d requests go to workers; most later ones run inline: %s", RunStats.WINDOW, st)
            .isBetween(100L, 200L - RunStats.WINDOW);
        assertThat(st.inFlight()).isZero();
        assertThat(st.lastInlineThread())
            .as("inline runs happen on the Netty event loop that read the request, not a worker")
            .startsWith("grpc-default-worker-ELG");
        // Errors found while running inline are answered as before.
        long before = st.inlineRuns();
        assertThatThrownBy(
                () ->
                    stub.predict(
                        PredictRequest.newBuilder(predict(1f))
                            .putInputs(
                                "x",
                                TensorProto.newBuilder()
                                    .setDtype(DataType.DT_INT32)
                                    .setTensorShape(TestTensors.shape(1, 1))
                                    .addIntVal(1)
                                    .build())
                            .build()))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThat(st.inlineRuns()).as("the bad request ran inline").isEqualTo(before + 1);
        // Statistics are per signature: regress_x_to_y starts its own window.
        RunStats regress = stats(s, "regress_x_to_y");
        for (int i = 0; i < 40; i++) {
          float v =
              stub.regress(
                      RegressionRequest.newBuilder()
                          .setModelSpec(ModelSpec.newBuilder().setName("hpt").setSignatureName("regress_x_to_y"))
                          .setInput(examples(example("x", 2f * i)))
                          .build())
                  .getResult()
                  .getRegressions(0)
                  .getValue();
          assertThat(v).isEqualTo(i + 2f);
          LockSupport.parkNanos(PACE_NANOS);
        }
        assertThat(regress.inlineRuns()).as("%s", regress).isBetween(1L, 40L - RunStats.WINDOW);
        assertThat(stats(s, "no_such_signature")).isNull();
      }
    }
  }

  @Test
  void concurrentClientsGetTheirOwnAnswers() throws Exception {
    try (EmbeddedServer s = server().inlineRunThreshold(Duration.ofMillis(100)).start()) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try (ServedChannel grpc = ServedChannel.to(s)) {
        var stub = grpc.predict();
        predictSequentially(stub, 50);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
          done.add(pool.submit(() -> predictSequentially(stub, 300)));
        }
        for (Future<?> f : done) {
          f.get();
        }
        assertThat(stats(s, "").inFlight()).isZero();
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void zeroThresholdOrBatchingKeepsEveryRequestOnWorkers() throws Exception {
    try (EmbeddedServer off = server().inlineRunThreshold(Duration.ZERO).start();
        EmbeddedServer batched =
            server()
                .inlineRunThreshold(Duration.ofMillis(100))
                .batching(BatchingOptions.defaults())
                .start()) {
      for (EmbeddedServer s : List.of(off, batched)) {
        try (ServedChannel grpc = ServedChannel.to(s)) {
          predictSequentially(grpc.predict(), 100);
          assertThat(stats(s, "").inlineRuns()).isZero();
        }
      }
    }
  }

  /** {@code n} sequential REST predicts on one kept-alive connection, each answer checked. */
  private static void restPredictSequentially(EmbeddedServer s, int n, String extra) throws Exception {
    try (RawHttp c = new RawHttp(URI.create(s.restUrl()).getPort(), 30_000)) {
      for (int i = 0; i < n; i++) {
        RawHttp.Response r =
            c.send(RawHttp.post("/v1/models/hpt:predict", "{" + extra + "\"instances\": [" + (2f * i) + "]}"))
                .read();
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(r.body()).get("predictions").get(0).floatValue())
            .as("request %d", i)
            .isEqualTo(i + 2f);
        LockSupport.parkNanos(PACE_NANOS);
      }
    }
  }

  @Test
  void fastRestRequestsRunOnTheRestEventLoopUnlessTheyNameASignature() throws Exception {
    try (EmbeddedServer s = server().restPort(0).inlineRunThreshold(Duration.ofMillis(100)).start()) {
      restPredictSequentially(s, 200, "");
      RunStats st = stats(s, "");
      assertThat(st.inlineRuns())
          .as("the first %d requests go to handler threads; most later ones run inline: %s", RunStats.WINDOW, st)
          .isBetween(100L, 200L - RunStats.WINDOW);
      assertThat(st.lastInlineThread()).startsWith("tfkit-rest-io");
      assertThat(st.inFlight()).isZero();
      // Naming the signature (even the default) keeps a request off the event loop: the
      // statistics are chosen before the body is parsed.
      long before = st.inlineRuns();
      restPredictSequentially(s, 40, "\"signature_name\": \"serving_default\", ");
      assertThat(st.inlineRuns()).isEqualTo(before);
    }
    try (EmbeddedServer batched =
        server().restPort(0).inlineRunThreshold(Duration.ofMillis(100)).batching(BatchingOptions.defaults()).start()) {
      restPredictSequentially(batched, 60, "");
      assertThat(stats(batched, "").inlineRuns()).as("batched requests wait for others").isZero();
    }
  }
}
