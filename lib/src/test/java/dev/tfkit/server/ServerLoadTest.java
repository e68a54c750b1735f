package dev.tfkit.server;

import static dev.tfkit.testing.TestTensors.floatVector;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tfkit.testing.ServedChannel;
import dev.tfkit.testing.TestDirs;
import dev.tfkit.zoo.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;

/**
 * 16 gRPC clients predict without pause while model versions are added and removed 50 times:
 * every request must succeed (availability-preserving transitions, reference-counted unloads).
 */
class ServerLoadTest {
  @TempDir Path tmp;

  @Test
  void sixteenClientsSeeNoFailureWhileVersionsComeAndGo() throws Exception {
    Path base = tmp.resolve("hpt");
    Files.createDirectories(base);
    Path v = Fixtures.tfServing("saved_model_half_plus_two_2_versions/00000123");
    TestDirs.addVersion(v, base, 1);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<ServedChannel> channels = new ArrayList<>();
    try (EmbeddedServer server =
        EmbeddedServer.builder()
            .model("hpt", base)
            .fileSystemPollWait(Duration.ofMillis(50))
            .grpcPort(0)
            .noRest()
            .start()) {
      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      AtomicLong ok = new AtomicLong();
      Set<Long> versionsSeen = ConcurrentHashMap.newKeySet();
      CountDownLatch running = new CountDownLatch(16);
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < 16; c++) {
        ServedChannel grpc = ServedChannel.to(server);
        channels.add(grpc);
        var stub = grpc.predict();
        float x = c;
        clients.add(
            pool.submit(
                () -> {
                  running.countDown();
                  while (!stop.get()) {
                    try {
                      var r =
                          stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                              .predict(
                                  PredictRequest.newBuilder()
                                      .setModelSpec(ModelSpec.newBuilder().setName("hpt"))
                                      .putInputs("x", floatVector(x))
                                      .build());
                      float y = r.getOutputsOrThrow("y").getFloatVal(0);
                      if (y != 0.5f * x + 2f) {
                        throw new AssertionError("wrong answer " + y + " for " + x);
                      }
                      versionsSeen.add(r.getModelSpec().getVersion().getValue());
                      ok.incrementAndGet();
                    } catch (Throwable t) {
                      failures.add(t);
                    }
                  }
                }));
      }
      running.await();
      // 50 rounds: a new version appears (the poller and pollNow race on purpose), then the
      // previous one is deleted from disk.
      for (long version = 2; version <= 51; version++) {
        TestDirs.addVersion(v, base, version);
        server.pollNow();
        TestDirs.removeVersion(base, version - 1);
        server.pollNow();
      }
      stop.set(true);
      for (Future<?> f : clients) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(failures).as("failed requests").isEmpty();
      assertThat(ok.get()).isGreaterThan(16);
      assertThat(server.models().availableVersions("hpt")).containsExactly(51L);
      assertThat(versionsSeen.size()).as("requests reached many versions").isGreaterThan(1);
    } finally {
      channels.forEach(ServedChannel::close);
      pool.shutdownNow();
    }
  }
}
