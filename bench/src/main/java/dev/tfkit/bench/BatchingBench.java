package dev.tfkit.bench;

import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.server.lifecycle.ServableRequest;
import dev.tfkit.server.tensorflow.BatchingOptions;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.vision.Box;
import dev.tfkit.vision.Images;
import dev.tfkit.zoo.FaceGallery;
import dev.tfkit.zoo.FaceModels;
import dev.tfkit.zoo.NpmPackages;
import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.tensorflow.proto.DataType;

/**
 * Server-side batching on a real model: {@code face_encoder} (the faceres cut the walkthrough
 * exports), 16 concurrent gRPC clients each sending one face at a time, with batching on and off,
 * against the in-process session run at the batch sizes the server formed, measured in the same
 * run. Prints calls/s, p50 latency and the ratio served (batching on) / in-process batched
 * throughput (target ≥ 0.9×). Run with {@code bench/run dev.tfkit.bench.BatchingBench [seconds]};
 * results in docs/bench-server.md.
 */
public final class BatchingBench {
  private static final int CLIENTS = 16;
  /** The server's {@code num_batch_threads} ({@code -Dbench.batchThreads}; TF Serving advises the core count). */
  private static final int BATCH_THREADS =
      Integer.getInteger("bench.batchThreads", Runtime.getRuntime().availableProcessors());

  private BatchingBench() {}

  record Served(String name, long calls, double seconds, long p50Nanos, Map<Long, Long> runSizes) {
    double perSecond() {
      return calls / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 20;
    Path base = Files.createTempDirectory("batching-bench-").resolve("face_encoder");
    FaceModels.exportFaceEncoder(base, 1);
    BufferedImage face = oneFace();
    TensorValue one = TensorValue.of(face);
    System.out.printf(Locale.ROOT, "face_encoder, one %dx%d face per call, %d clients, %.0f s per scenario, num_batch_threads %d, load average %.2f%n",
        face.getWidth(), face.getHeight(), CLIENTS, seconds, BATCH_THREADS, load());

    // Off first, so that the in-process runs follow the batching scenario directly.
    Served off = serve(base, one, seconds, null);
    Served on = serve(base, one, seconds, new BatchingOptions(CLIENTS, 2_000, BATCH_THREADS, 100));

    // In-process: the session run at each batch size the batching server formed, same faces.
    double inProcessSeconds = 0;
    long inProcessFaces = 0;
    Map<Long, Double> msPerRun = new TreeMap<>();
    try (SavedModel local = SavedModel.load(base.resolve("1"))) {
      for (Map.Entry<Long, Long> e : on.runSizes().entrySet()) {
        int size = (int) (long) e.getKey();
        TensorValue batch = TensorValue.of(stack(face, size), DataType.DT_UINT8);
        double ms = timeRuns(local, batch, size);
        msPerRun.put((long) size, ms);
        inProcessSeconds += e.getValue() * ms / 1e3;
        inProcessFaces += e.getValue() * size;
      }
      double loneMs = timeRuns(local, one, 1);
      System.out.printf(Locale.ROOT, "in-process, batch sizes the server formed (size=runs): %s; ms per run %s; one face alone %.1f ms%n",
          on.runSizes(), fmt(msPerRun), loneMs);
    }
    double inProcessRate = inProcessFaces / inProcessSeconds;
    System.out.printf(Locale.ROOT, "%-22s %10s %10s%n", "scenario", "faces/s", "p50 ms");
    for (Served s : List.of(on, off)) {
      System.out.printf(Locale.ROOT, "%-22s %10.1f %10.1f%n", s.name(), s.perSecond(), s.p50Nanos() / 1e6);
    }
    System.out.printf(Locale.ROOT, "%-22s %10.1f %10s%n", "in-process batched", inProcessRate, "-");
    double ratio = on.perSecond() / inProcessRate;
    System.out.printf(Locale.ROOT,
        "served with batching / in-process batched throughput: %.2fx (target >= 0.9x: %s); batching on / off: %.2fx; load average %.2f%n",
        ratio, ratio >= 0.9 ? "met" : "missed", on.perSecond() / off.perSecond(), load());
  }

  /** The first face of the first sample photo, cropped as the walkthrough does, 160x160. */
  static BufferedImage oneFace() {
    BufferedImage photo = Images.read(NpmPackages.file("@vladmandic/face-api", "1.7.15", "demo/sample1.jpg"));
    try (FaceGallery g = FaceGallery.create()) {
      List<Map.Entry<Box, Float>> found = g.detect(photo);
      if (found.isEmpty()) {
        throw new IllegalStateException("no face found in sample1.jpg");
      }
      return Images.resize(Images.crop(photo, found.get(0).getKey(), FaceGallery.CROP_SCALE), 160, 160);
    }
  }

  /** {@code n} copies of {@code face} as one uint8 [n, h, w, 3] batch. */
  static byte[][][][] stack(BufferedImage face, int n) {
    byte[][][][] out = new byte[n][face.getHeight()][face.getWidth()][3];
    for (int y = 0; y < face.getHeight(); y++) {
      for (int x = 0; x < face.getWidth(); x++) {
        int rgb = face.getRGB(x, y);
        for (int i = 0; i < n; i++) {
          out[i][y][x][0] = (byte) (rgb >> 16);
          out[i][y][x][1] = (byte) (rgb >> 8);
          out[i][y][x][2] = (byte) rgb;
        }
      }
    }
    return out;
  }

  /** Median ms of one in-process run of {@code batch} (warmed up; at least 5 runs or ~3 s). */
  static double timeRuns(SavedModel local, TensorValue batch, int rows) {
    for (int i = 0; i < 2; i++) {
      run(local, batch, rows);
    }
    List<Double> ms = new ArrayList<>();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (ms.size() < 5 || System.nanoTime() < until) {
      long t0 = System.nanoTime();
      run(local, batch, rows);
      ms.add((System.nanoTime() - t0) / 1e6);
    }
    double[] a = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a[a.length / 2];
  }

  private static void run(SavedModel local, TensorValue batch, int rows) {
    try (SavedModel.Outputs out = local.run("serving_default", Map.of("input_images", batch))) {
      long[] shape = out.values().get("output").shape();
      if (shape[0] != rows) {
        throw new IllegalStateException("encoder answered " + Arrays.toString(shape) + " for " + rows + " faces");
      }
    }
  }

  static Served serve(Path base, TensorValue face, double seconds, BatchingOptions batching) throws Exception {
    EmbeddedServer.Builder b = EmbeddedServer.builder().model("face_encoder", base).grpcPort(0).noRest()
        .fileSystemPollWait(Duration.ZERO);
    if (batching != null) {
      b.batching(batching);
    }
    String name = batching == null ? "served, batching off" : "served, batching on";
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try (EmbeddedServer server = b.start()) {
      List<ServingModel> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        clients.add(ServingModel.grpc("localhost:" + server.grpcPort(), "face_encoder"));
      }
      try {
        // Warm-up: a few rounds from every client.
        drive(pool, clients, face, 3.0);
        var servable = server.models().peek(ServableRequest.latest("face_encoder")).orElseThrow();
        Map<Long, Long> before = servable.batchRunSizes();
        long t0 = System.nanoTime();
        List<Long> lat = drive(pool, clients, face, seconds);
        double took = (System.nanoTime() - t0) / 1e9;
        Map<Long, Long> sizes = new TreeMap<>();
        servable.batchRunSizes().forEach((k, v) -> {
          long d = v - before.getOrDefault(k, 0L);
          if (d > 0) sizes.put(k, d);
        });
        long[] sorted = lat.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Served(name, sorted.length, took, sorted[sorted.length / 2], sizes);
      } finally {
        for (ServingModel m : clients) {
          m.close();
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Every client calls back to back for {@code seconds}; returns each call's latency. */
  static List<Long> drive(ExecutorService pool, List<ServingModel> clients, TensorValue face, double seconds)
      throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    long end = System.nanoTime() + (long) (seconds * 1e9);
    List<Future<List<Long>>> fs = new ArrayList<>();
    for (ServingModel m : clients) {
      fs.add(pool.submit(() -> {
        go.await();
        List<Long> mine = new ArrayList<>();
        while (System.nanoTime() < end) {
          long t0 = System.nanoTime();
          long[] shape = m.run(Map.of("input_images", face)).outputs().get("output").shape();
          mine.add(System.nanoTime() - t0);
          if (shape[0] != 1) {
            throw new IllegalStateException("encoder answered " + Arrays.toString(shape));
          }
        }
        return mine;
      }));
    }
    go.countDown();
    List<Long> all = new ArrayList<>();
    for (Future<List<Long>> f : fs) {
      all.addAll(f.get());
    }
    return all;
  }

  static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static String fmt(Map<Long, Double> m) {
    StringBuilder sb = new StringBuilder("{");
    m.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(String.format(Locale.ROOT, "%.1f", v)));
    return sb.append('}').toString();
  }
}
