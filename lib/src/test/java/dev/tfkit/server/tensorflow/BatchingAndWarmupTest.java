package dev.tfkit.server.tensorflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.io.TfRecords;
import dev.tfkit.server.lifecycle.ServableId;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.testing.TestTensors;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.TensorProto;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionLogOuterClass.PredictLog;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

class BatchingAndWarmupTest {
  @TempDir Path tmp;

  /** A float column: shape [n, 1]. */
  private static TensorProto column(float... v) {
    return TestTensors.floats(new long[] {v.length, 1}, v);
  }

  @Test
  void concurrentPredictsAreMergedAndEachGetsItsOwnRows() throws Exception {
    // 8 clients send 12 rows in all: a batch of 12 runs as soon as they are queued (2 s at most).
    SavedModelLoader loader =
        new SavedModelLoader(new InputValidator(), Optional.of(new BatchingOptions(12, 2_000_000, 1, 100)), false);
    ServableId id = new ServableId("hpt", 123);
    SavedModelServable s = loader.load(id, Fixtures.tfServing("saved_model_half_plus_two_cpu/00000123"));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Map<String, TensorProto>>> results = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        float[] rows = c % 2 == 0 ? new float[] {c} : new float[] {c, 10 * c};
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return s.predict("", Map.of("x", column(rows)), List.of());
                }));
      }
      go.countDown();
      for (int c = 0; c < 8; c++) {
        TensorProto y = results.get(c).get().get("y");
        List<Float> expected = c % 2 == 0 ? List.of(0.5f * c + 2) : List.of(0.5f * c + 2, 5f * c + 2);
        assertThat(y.getFloatValList()).as("client " + c).isEqualTo(expected);
        assertThat(y.getTensorShape().getDim(0).getSize()).isEqualTo(expected.size());
      }
      assertThat(s.mergedRuns()).as("requests merged into shared runs").isPositive();
    } finally {
      pool.shutdownNow();
      loader.unload(id, s);
    }
  }

  private Path counterWithWarmup(List<byte[]> records, boolean corrupt) throws Exception {
    Path src = Fixtures.tfServing("saved_model_counter/00000123");
    Path dir = TestDirs.copyTree(src, tmp.resolve("counter-" + records.size() + (corrupt ? "-bad" : "")));
    byte[] file = TfRecords.toBytes(records);
    if (corrupt) {
      file[file.length - 1] ^= 0x55;
    }
    Files.createDirectories(WarmupReplay.file(dir).getParent());
    Files.write(WarmupReplay.file(dir), file);
    return dir;
  }

  private static byte[] incr() {
    return PredictionLog.newBuilder()
        .setPredictLog(
            PredictLog.newBuilder()
                .setRequest(
                    PredictRequest.newBuilder()
                        .setModelSpec(ModelSpec.newBuilder().setName("counter").setSignatureName("incr_counter"))))
        .build()
        .toByteArray();
  }

  @Test
  void warmupRequestsRunBeforeTheModelServes() throws Exception {
    Path dir = counterWithWarmup(List.of(incr(), incr(), incr()), false);
    SavedModelLoader loader = new SavedModelLoader(new InputValidator(), Optional.empty(), true);
    ServableId id = new ServableId("counter", 1);
    SavedModelServable s = loader.load(id, dir);
    try {
      // Three replayed incr_counter requests left the counter at 3.
      assertThat(s.predict("get_counter", Map.of(), List.of()).get("output").getFloatVal(0)).isEqualTo(3f);
    } finally {
      loader.unload(id, s);
    }
    SavedModelLoader noWarmup = new SavedModelLoader(new InputValidator(), Optional.empty(), false);
    SavedModelServable cold = noWarmup.load(id, dir);
    try {
      assertThat(cold.predict("get_counter", Map.of(), List.of()).get("output").getFloatVal(0)).isEqualTo(0f);
    } finally {
      noWarmup.unload(id, cold);
    }
  }

  @Test
  void eachWarmupRecordIsReplayedNumRequestIterationsTimes() throws Exception {
    Path dir = counterWithWarmup(List.of(incr(), incr()), false);
    ServableId id = new ServableId("counter", 1);
    for (int iterations : new int[] {1, 4}) {
      SavedModelLoader loader =
          new SavedModelLoader(new InputValidator(), Optional.empty(), true).warmupIterations(iterations);
      SavedModelServable s = loader.load(id, dir);
      try {
        // Two records, each replayed `iterations` times in a row.
        assertThat(s.predict("get_counter", Map.of(), List.of()).get("output").getFloatVal(0))
            .as("counter after warmup with num_request_iterations " + iterations)
            .isEqualTo(2f * iterations);
      } finally {
        loader.unload(id, s);
      }
    }
    assertThatThrownBy(() -> new SavedModelLoader(new InputValidator(), Optional.empty(), true).warmupIterations(0))
        .hasMessageContaining("at least 1");
  }

  @Test
  void corruptWarmupFileFailsTheLoadNamingIt() throws Exception {
    Path dir = counterWithWarmup(List.of(incr()), true);
    SavedModelLoader loader = new SavedModelLoader(new InputValidator(), Optional.empty(), true);
    assertThatThrownBy(() -> loader.load(new ServableId("counter", 1), dir))
        .hasMessageContaining("tf_serving_warmup_requests")
        .hasMessageContaining("checksum");
  }
}
