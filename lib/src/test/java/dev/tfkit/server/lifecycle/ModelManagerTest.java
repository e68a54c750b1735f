package dev.tfkit.server.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tfkit.server.util.RequestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelManagerTest {
  @TempDir Path tmp;

  /** A servable that knows whether it has been unloaded, so use after unload is caught. */
  static final class Fake {
    final ServableId id;
    final AtomicBoolean unloaded = new AtomicBoolean();

    Fake(ServableId id) {
      this.id = id;
    }

    long use() {
      if (unloaded.get()) {
        throw new IllegalStateException("used after unload: " + id);
      }
      return id.version();
    }
  }

  /** Loads a version unless its folder holds a file named FAIL; records what it did, in order. */
  static final class FakeLoader implements ServableLoader<Fake> {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger loads = new AtomicInteger();

    @Override
    public Fake load(ServableId id, Path dir) throws IOException {
      loads.incrementAndGet();
      if (Files.exists(dir.resolve("FAIL"))) {
        events.add("fail " + id.version());
        throw new IOException("cannot read " + dir.resolve("FAIL"));
      }
      events.add("load " + id.name() + " " + id.version());
      return new Fake(id);
    }

    @Override
    public void unload(ServableId id, Fake f) {
      f.unloaded.set(true);
      events.add("unload " + id.name() + " " + id.version());
    }
  }

  private Path model(String name, String... versions) throws IOException {
    Path base = tmp.resolve(name);
    for (String v : versions) {
      Files.createDirectories(base.resolve(v));
    }
    return base;
  }

  private static long latest(ModelManager<Fake> m, String name) {
    try (ServableHandle<Fake> h = m.acquire(ServableRequest.latest(name))) {
      return h.servable().use();
    }
  }

  @Test
  void discoveryReadsIntegerFoldersAndIgnoresTheRest() throws IOException {
    Path base = model("m", "00000123", "7", "tmp-1", "v2");
    Files.writeString(base.resolve("99"), "a file, not a folder");
    assertThat(VersionDiscovery.versions(base)).containsExactly(7L, 123L);
    assertThat(VersionDiscovery.dirOf(base, 123).getFileName().toString()).isEqualTo("00000123");
    assertThatThrownBy(() -> VersionDiscovery.versions(tmp.resolve("missing")))
        .hasMessageContaining("missing");
  }

  @Test
  void policiesSelectVersions() {
    var onDisk = new TreeSet<>(List.of(1L, 2L, 3L, 5L));
    assertThat(VersionPolicy.latest().select(onDisk)).containsExactly(5L);
    assertThat(VersionPolicy.latest(2).select(onDisk)).containsExactly(3L, 5L);
    assertThat(VersionPolicy.all().select(onDisk)).containsExactly(1L, 2L, 3L, 5L);
    assertThat(VersionPolicy.specific(List.of(2L, 4L)).select(onDisk)).containsExactly(2L);
    assertThatThrownBy(() -> VersionPolicy.latest(0)).hasMessageContaining("num_versions");
  }

  @Test
  void servesLatestByDefaultAndEachPolicysVersions() throws IOException {
    Path base = model("m", "1", "2", "3");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader)) {
      m.setConfig(List.of(ModelConfig.of("m", base)));
      assertThat(m.availableVersions("m")).containsExactly(3L);
      assertThat(latest(m, "m")).isEqualTo(3);
      assertThatThrownBy(() -> m.acquire(ServableRequest.specific("m", 1)))
          .isInstanceOf(RequestException.class)
          .hasMessage("Servable not found for request: Specific(m, 1)")
          .extracting(e -> ((RequestException) e).code())
          .isEqualTo(RequestException.Code.NOT_FOUND);

      m.setConfig(List.of(ModelConfig.of("m", base).withPolicy(VersionPolicy.all())));
      assertThat(m.availableVersions("m")).containsExactly(1L, 2L, 3L);
      try (var h = m.acquire(ServableRequest.specific("m", 1))) {
        assertThat(h.servable().use()).isEqualTo(1);
      }

      m.setConfig(
          List.of(ModelConfig.of("m", base).withPolicy(VersionPolicy.specific(List.of(2L)))));
      assertThat(m.availableVersions("m")).containsExactly(2L);
      assertThat(latest(m, "m")).isEqualTo(2);
      assertThat(m.status("m"))
          .extracting(ServableStatus::version, ServableStatus::state)
          .containsExactly(
              Tuple.tuple(3L, ServableState.END),
              Tuple.tuple(2L, ServableState.AVAILABLE),
              Tuple.tuple(1L, ServableState.END));
    }
  }

  @Test
  void unknownModelIsNotFoundWithTfServingsMessage() {
    try (ModelManager<Fake> m = new ModelManager<>(new FakeLoader())) {
      assertThatThrownBy(() -> m.acquire(ServableRequest.latest("nope")))
          .hasMessage("Servable not found for request: Latest(nope)");
      assertThat(m.status("nope")).isEmpty();
    }
  }

  @Test
  void newVersionIsServingBeforeTheOldIsUnloaded() throws IOException {
    Path base = model("m", "1");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader)) {
      m.setConfig(List.of(ModelConfig.of("m", base)));
      Files.createDirectories(base.resolve("2"));
      m.poll();
      assertThat(loader.events).containsExactly("load m 1", "load m 2", "unload m 1");
      assertThat(latest(m, "m")).isEqualTo(2);
      // A removed folder is unloaded on the next poll; the remaining version takes over.
      Files.createDirectories(base.resolve("3"));
      m.poll();
      assertThat(latest(m, "m")).isEqualTo(3);
      // Version 3's folder disappears: latest{1} aspires to 2 again, which is loaded before 3 goes.
      Files.delete(base.resolve("3"));
      m.poll();
      assertThat(loader.events).endsWith("load m 3", "unload m 2", "load m 2", "unload m 3");
      assertThat(latest(m, "m")).isEqualTo(2);
    }
  }

  @Test
  void inFlightRequestsKeepTheOldVersionUntilTheyFinish() throws IOException {
    Path base = model("m", "1");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader)) {
      m.setConfig(List.of(ModelConfig.of("m", base)));
      ServableHandle<Fake> inFlight = m.acquire(ServableRequest.latest("m"));
      Files.createDirectories(base.resolve("2"));
      m.poll();
      assertThat(latest(m, "m")).isEqualTo(2);
      assertThat(m.status("m").get(1).state()).isEqualTo(ServableState.UNLOADING);
      assertThat(inFlight.servable().use()).isEqualTo(1);
      assertThat(loader.events).doesNotContain("unload m 1");
      inFlight.close();
      inFlight.close(); // closing twice releases once
      assertThat(loader.events).endsWith("unload m 1");
      assertThat(m.status("m").get(1).state()).isEqualTo(ServableState.END);
    }
  }

  @Test
  void failedLoadKeepsThePreviousVersionAndReportsTheError() throws IOException {
    Path base = model("m", "1", "2");
    Files.writeString(base.resolve("2/FAIL"), "");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader)) {
      m.setConfig(List.of(ModelConfig.of("m", base).withPolicy(VersionPolicy.all())));
      m.setConfig(List.of(ModelConfig.of("m", base)));
      assertThat(latest(m, "m")).isEqualTo(1);
      ServableStatus failed = m.status("m").get(0);
      assertThat(failed.version()).isEqualTo(2);
      assertThat(failed.state()).isEqualTo(ServableState.END);
      assertThat(failed.error()).get().asString().contains("FAIL");
      int loads = loader.loads.get();
      m.poll();
      assertThat(loader.loads.get()).as("a failed version is not retried each poll").isEqualTo(loads);
      // Fixing the folder (remove, then re-add) gives it a fresh attempt.
      Files.delete(base.resolve("2/FAIL"));
      Files.move(base.resolve("2"), tmp.resolve("aside"));
      m.poll();
      Files.move(tmp.resolve("aside"), base.resolve("2"));
      m.poll();
      assertThat(latest(m, "m")).isEqualTo(2);
      assertThat(m.availableVersions("m")).containsExactly(2L);
    }
  }

  @Test
  void configChangesLoadAddedAndUnloadRemovedModels() throws IOException {
    Path a = model("a", "1");
    Path b = model("b", "5");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader)) {
      m.setConfig(List.of(ModelConfig.of("a", a)));
      m.setConfig(List.of(ModelConfig.of("a", a), ModelConfig.of("b", b)));
      assertThat(latest(m, "b")).isEqualTo(5);
      m.setConfig(List.of(ModelConfig.of("b", b)));
      assertThat(loader.events).containsExactly("load a 1", "load b 5", "unload a 1");
      assertThatThrownBy(() -> latest(m, "a")).hasMessageContaining("Latest(a)");
      assertThat(m.status("a")).extracting(ServableStatus::state).containsExactly(ServableState.END);
      assertThatThrownBy(() -> m.setConfig(List.of(ModelConfig.of("b", b), ModelConfig.of("b", a))))
          .hasMessageContaining("'b' is configured twice");
    }
  }

  @Test
  void labelsPointRequestsAtVersions() throws IOException {
    Path base = model("m", "1", "2");
    try (ModelManager<Fake> m = new ModelManager<>(new FakeLoader())) {
      m.setConfig(
          List.of(
              ModelConfig.of("m", base)
                  .withPolicy(VersionPolicy.all())
                  .withLabels(Map.of("stable", 1L, "canary", 2L))));
      try (var h = m.acquire(ServableRequest.labeled("m", "stable"))) {
        assertThat(h.version()).isEqualTo(1);
      }
      try (var h = m.acquire(ServableRequest.labeled("m", "canary"))) {
        assertThat(h.version()).isEqualTo(2);
      }
      assertThatThrownBy(() -> m.acquire(ServableRequest.labeled("m", "beta")))
          .hasMessage("Unrecognized servable version label: beta");
      // A label on a version that is not loaded is refused; the old labels stay.
      assertThatThrownBy(
              () ->
                  m.setConfig(
                      List.of(
                          ModelConfig.of("m", base)
                              .withPolicy(VersionPolicy.all())
                              .withLabels(Map.of("stable", 7L)))))
          .isInstanceOf(RequestException.class)
          .hasMessageContaining("version 7 of model m, which is not currently available");
      assertThat(m.versionForLabel("m", "stable")).contains(1L);
    }
  }

  @Test
  void concurrentRequestsNeverFailOrUseAnUnloadedVersionWhileVersionsChange() throws Exception {
    Path base = model("m", "1");
    FakeLoader loader = new FakeLoader();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (ModelManager<Fake> m = new ModelManager<>(loader)) {
      m.setConfig(List.of(ModelConfig.of("m", base).withPolicy(VersionPolicy.latest(1))));
      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
      AtomicInteger served = new AtomicInteger();
      CountDownLatch started = new CountDownLatch(8);
      List<Future<?>> clients = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        clients.add(
            pool.submit(
                () -> {
                  started.countDown();
                  while (!stop.get()) {
                    try (var h = m.acquire(ServableRequest.latest("m"))) {
                      h.servable().use();
                      Thread.yield();
                      h.servable().use();
                      served.incrementAndGet();
                    } catch (Throwable t) {
                      failures.add(t);
                    }
                  }
                }));
      }
      started.await();
      for (int v = 2; v <= 100; v++) {
        Files.createDirectories(base.resolve(Integer.toString(v)));
        m.poll();
        if (v % 2 == 0) {
          Files.delete(base.resolve(Integer.toString(v - 1)));
          m.poll();
        }
      }
      stop.set(true);
      for (Future<?> f : clients) {
        f.get();
      }
      assertThat(failures).isEmpty();
      assertThat(served.get()).isPositive();
      assertThat(m.availableVersions("m")).containsExactly(100L);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void awaitTrue(String what, BooleanSupplier c) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  @Test
  void aFailedLoadIsRetriedAndServesOnceFixedWithinTheRetries() throws Exception {
    Path base = model("m", "1");
    Files.writeString(base.resolve("1/FAIL"), "");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader).loadRetries(1000, Duration.ofMillis(20))) {
      m.setConfig(List.of(ModelConfig.of("m", base)));
      ServableStatus failed = m.status("m").get(0);
      assertThat(failed.state()).isEqualTo(ServableState.END);
      assertThat(failed.error()).get().asString().contains("FAIL");
      assertThat(m.pendingRetries()).isEqualTo(1);
      Files.delete(base.resolve("1/FAIL")); // fixed; no poll runs, only the retries
      awaitTrue("the retry to load the fixed version", () -> m.availableVersions("m").contains(1L));
      assertThat(latest(m, "m")).isEqualTo(1);
      assertThat(m.status("m").get(0).state()).isEqualTo(ServableState.AVAILABLE);
      assertThat(m.status("m").get(0).error()).isEmpty();
      assertThat(loader.events).startsWith("fail 1").endsWith("load m 1");
      awaitTrue("no retry left", () -> m.pendingRetries() == 0);
    }
  }

  @Test
  void retriesStopAfterMaxNumLoadRetries() throws Exception {
    Path base = model("m", "1");
    Files.writeString(base.resolve("1/FAIL"), "");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader).loadRetries(2, Duration.ofMillis(1))) {
      m.setConfig(List.of(ModelConfig.of("m", base)));
      awaitTrue("three attempts", () -> loader.loads.get() >= 3);
      awaitTrue("no retry left", () -> m.pendingRetries() == 0);
      assertThat(loader.loads.get()).as("the first try and max_num_load_retries = 2 retries").isEqualTo(3);
      assertThat(m.status("m").get(0).state()).isEqualTo(ServableState.END);
      // A changed folder still starts a fresh series (tfkit's fingerprint rule), retries included.
      Files.writeString(base.resolve("1/FAIL"), "changed");
      m.poll();
      awaitTrue("three more attempts", () -> loader.loads.get() >= 6);
      awaitTrue("no retry left", () -> m.pendingRetries() == 0);
      assertThat(loader.loads.get()).isEqualTo(6);
    }
  }

  @Test
  void zeroRetriesTriesOnce() throws Exception {
    Path base = model("m", "1");
    Files.writeString(base.resolve("1/FAIL"), "");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader).loadRetries(0, Duration.ofMillis(1))) {
      m.setConfig(List.of(ModelConfig.of("m", base)));
      assertThat(m.pendingRetries()).isZero();
      assertThat(loader.loads.get()).isEqualTo(1);
    }
  }

  @Test
  void aRetryStopsWhenTheVersionIsNoLongerWanted() throws Exception {
    Path base = model("m", "1");
    Files.writeString(base.resolve("1/FAIL"), "");
    FakeLoader loader = new FakeLoader();
    try (ModelManager<Fake> m = new ModelManager<>(loader).loadRetries(5, Duration.ofMillis(200))) {
      m.setConfig(List.of(ModelConfig.of("m", base)));
      m.setConfig(List.of());
      Files.delete(base.resolve("1/FAIL"));
      awaitTrue("the scheduled retry ran", () -> m.pendingRetries() == 0);
      assertThat(loader.loads.get()).as("the retry of a removed model loads nothing").isEqualTo(1);
      assertThat(m.availableVersions("m")).isEmpty();
    }
  }

  @Test
  void aFailedVersionsStatusCarriesTheLoadErrorsCode() {
    ServableLoader<Fake> loader =
        new ServableLoader<>() {
          @Override
          public Fake load(ServableId id, Path dir) {
            throw new RequestException(RequestException.Code.NOT_FOUND, "no model in " + dir);
          }

          @Override
          public void unload(ServableId id, Fake f) {}
        };
    try (ModelManager<Fake> m = new ModelManager<>(loader).loadRetries(0, Duration.ZERO)) {
      m.setConfig(List.of(ModelConfig.of("m", model("m", "1"))));
      ServableStatus s = m.status("m").get(0);
      assertThat(s.code()).contains(RequestException.Code.NOT_FOUND);
      assertThat(s.error()).get().asString().startsWith("no model in");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    // An exception of no known kind: UNKNOWN.
    try (ModelManager<Fake> m = new ModelManager<>(new FakeLoader()).loadRetries(0, Duration.ZERO)) {
      Path base = model("n", "1");
      Files.writeString(base.resolve("1/FAIL"), "");
      m.setConfig(List.of(ModelConfig.of("n", base)));
      assertThat(m.status("n").get(0).code()).contains(RequestException.Code.UNKNOWN);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
