package dev.tfkit.bench;

import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.server.tensorflow.SessionThreads;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.vision.Images;
import dev.tfkit.zoo.FaceModels;
import dev.tfkit.zoo.NpmPackages;
import dev.tfkit.zoo.WhiteBoxCartoonizer;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The White-box {@code stylizer} on a 256×256 face-sized image and a 640×480 photo, called
 * in-process (the loaded SavedModel: the model's own cost) and through tfkit's embedded server over
 * loopback gRPC ({@link ServingModel}), in one run, alternating call by call so that both sides see
 * the same machine load. Prints each side's median and the ratio server / in-process (target ≤
 * 1.1×). Run with {@code bench/run dev.tfkit.bench.StylizerBench [rounds]}; results in
 * docs/benchmarks.md.
 */
public final class StylizerBench {
  /** The server's {@code --tensorflow_inter_op_parallelism} ({@code -Dbench.interOp}; 0: tfkit's auto, ops on the request's thread). */
  private static final int INTER_OP = Integer.getInteger("bench.interOp", 0);

  private StylizerBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    Path base = Files.createTempDirectory("stylizer-bench-").resolve("stylizer");
    System.err.println("stylizer bench: " + WhiteBoxCartoonizer.LICENSE);
    FaceModels.exportWhiteBoxStylizer(base, 1, WhiteBoxCartoonizer.modelFile());
    BufferedImage photo = Images.read(NpmPackages.file("@vladmandic/face-api", "1.7.15", "demo/sample2.jpg"));
    List<BufferedImage> images = List.of(Images.resize(photo, 256, 256), Images.resize(photo, 640, 480));

    System.out.printf(Locale.ROOT, "server inter-op parallelism %d, %d rounds, medians%n", INTER_OP, rounds);
    System.out.printf(Locale.ROOT, "%-10s %14s %14s %10s %14s%n", "image", "in-process ms", "gRPC ms", "ratio", "paired ratio");
    try (SavedModel local = SavedModel.load(base.resolve("1"));
        EmbeddedServer server = EmbeddedServer.builder().model("stylizer", base).grpcPort(0).noRest()
            .sessionThreads(new SessionThreads(0, 0, INTER_OP))
            .fileSystemPollWait(Duration.ZERO).start();
        ServingModel remote = ServingModel.grpc("localhost:" + server.grpcPort(), "stylizer")) {
      for (BufferedImage img : images) {
        TensorValue input = TensorValue.of(img);
        long[] shape = input.shape();
        double[] inProcess = new double[rounds];
        double[] grpc = new double[rounds];
        for (int r = -3; r < rounds; r++) { // three warm-up rounds
          // Alternate which side goes first, so neither always runs on a cache the other warmed.
          double a = 0;
          double b = 0;
          for (int side : (r & 1) == 0 ? new int[] {0, 1} : new int[] {1, 0}) {
            long t0 = System.nanoTime();
            long[] got;
            if (side == 0) {
              try (SavedModel.Outputs out = local.run("serving_default", Map.of("input_images", input))) {
                got = out.values().get("output_images").shape();
              }
            } else {
              got = remote.run(Map.of("input_images", input)).outputs().get("output_images").shape();
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            if (!Arrays.equals(got, shape)) {
              throw new IllegalStateException("stylizer answered " + Arrays.toString(got) + " for " + Arrays.toString(shape));
            }
            if (side == 0) a = ms;
            else b = ms;
          }
          if (r >= 0) {
            inProcess[r] = a;
            grpc[r] = b;
          }
        }
        double in = median(inProcess);
        double g = median(grpc);
        // Each round's two calls ran back to back under the same load: the median of their ratios
        // is the figure to read on a shared machine, where load drifts between rounds.
        double[] paired = new double[rounds];
        for (int i = 0; i < rounds; i++) paired[i] = grpc[i] / inProcess[i];
        System.out.printf(Locale.ROOT, "%-10s %14.1f %14.1f %9.3fx %13.3fx%n", img.getWidth() + "x" + img.getHeight(), in, g, g / in,
            median(paired));
      }
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
