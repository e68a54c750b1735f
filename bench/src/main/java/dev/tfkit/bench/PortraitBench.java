package dev.tfkit.bench;

import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.server.EmbeddedServer;
import dev.tfkit.serving.ServingModel;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.vision.Box;
import dev.tfkit.vision.Images;
import dev.tfkit.zoo.FaceGallery;
import dev.tfkit.zoo.FaceModels;
import dev.tfkit.zoo.NpmPackages;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The portrait pipeline of notebook 05 and the demo — detect, crop, encode, search, stylize — on
 * the six face-api sample photos, through tfkit's embedded server over loopback gRPC ({@link
 * ServingModel}, as the notebook calls it) and with the same calls on the in-process SavedModels,
 * in one run, alternating photo by photo which side goes first. Both sides must find the same
 * faces and the same nearest names. Prints each side's median per photo and the ratio server /
 * in-process (target ≤ 1.2×). Run with {@code bench/run dev.tfkit.bench.PortraitBench [rounds]
 * [whitebox|filter]}; results in docs/bench-server.md.
 */
public final class PortraitBench {
  private static final int K = 3;
  private static final double MARGIN = 1.2;

  private PortraitBench() {}

  /** One model call: the model's name, its inputs, its outputs by name. */
  interface Caller {
    Map<String, TensorValue> call(String model, Map<String, TensorValue> inputs);
  }

  /** What one photo gave: faces found and the nearest names of the first face. */
  record Answer(int faces, List<String> names, long[] styledShape) {}

  static Answer portrait(Caller c, BufferedImage photo) {
    Map<String, TensorValue> det = c.call("face_detection", Map.of("input_images", TensorValue.of(photo)));
    int n = (int) det.get("num_detections").floats()[0];
    if (n == 0) {
      return new Answer(0, List.of(), new long[0]);
    }
    Box box = Box.at(det.get("boxes").floats(), 0);
    BufferedImage crop = Images.crop(photo, box, MARGIN);
    TensorValue cropValue = TensorValue.of(crop);
    float[] emb = c.call("face_encoder", Map.of("input_images", cropValue)).get("output").floats();
    Map<String, TensorValue> hits = c.call("latent_search_model",
        Map.of("target_latent", TensorValue.of(new float[][] {emb}), "k_num", TensorValue.of(K)));
    long[] styled = c.call("stylizer", Map.of("input_images", cropValue)).get("output_images").shape();
    return new Answer(n, List.of(hits.get("filenames").strings()), styled);
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    FaceModels.Stylizer stylizer = FaceModels.Stylizer.parse(args.length > 1 ? args[1] : "whitebox");
    Path dir = Files.createTempDirectory("portrait-bench-");
    List<Path> photoFiles = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      photoFiles.add(NpmPackages.file("@vladmandic/face-api", "1.7.15", "demo/sample" + i + ".jpg"));
    }
    FaceModels.exportFaceDetection(dir.resolve("face_detection"), 1);
    FaceModels.exportFaceEncoder(dir.resolve("face_encoder"), 1);
    try (FaceGallery gallery = FaceGallery.create()) {
      gallery.addPhotos(photoFiles, null).latentSearch().exportVersion(dir.resolve("latent_search_model"));
    }
    var export = FaceModels.exportStylizer(dir.resolve("stylizer"), 1, stylizer);
    System.err.println("portrait bench: " + export);
    List<BufferedImage> photos = new ArrayList<>();
    for (Path p : photoFiles) {
      photos.add(Images.read(p));
    }
    List<String> models = List.of("face_detection", "face_encoder", "latent_search_model", "stylizer");
    Map<String, SavedModel> local = new HashMap<>();
    EmbeddedServer.Builder sb = EmbeddedServer.builder().grpcPort(0).noRest().fileSystemPollWait(Duration.ZERO);
    for (String m : models) {
      sb.model(m, dir.resolve(m));
      try (var versions = Files.list(dir.resolve(m))) {
        local.put(m, SavedModel.load(versions.filter(Files::isDirectory).findFirst().orElseThrow()));
      }
    }
    try (EmbeddedServer server = sb.start()) {
      Map<String, ServingModel> remote = new HashMap<>();
      for (String m : models) {
        remote.put(m, ServingModel.grpc("localhost:" + server.grpcPort(), m));
      }
      Caller inProcess = (m, in) -> {
        try (SavedModel.Outputs out = local.get(m).run("serving_default", in)) {
          Map<String, TensorValue> copy = new HashMap<>();
          out.values().forEach((k, v) -> copy.put(k, TensorValue.fromProto(v.toProto())));
          return copy;
        }
      };
      Caller served = (m, in) -> remote.get(m).run(in).outputs();
      double[][] ms = new double[2][rounds * photos.size()];
      System.out.printf(Locale.ROOT, "stylizer %s, %d rounds x %d photos, load average %.2f%n",
          stylizer, rounds, photos.size(), BatchingBench.load());
      for (int r = -1; r < rounds; r++) { // one warm-up round
        for (int p = 0; p < photos.size(); p++) {
          Answer[] got = new Answer[2];
          for (int side : ((r * photos.size() + p) & 1) == 0 ? new int[] {0, 1} : new int[] {1, 0}) {
            long t0 = System.nanoTime();
            got[side] = portrait(side == 0 ? inProcess : served, photos.get(p));
            if (r >= 0) {
              ms[side][r * photos.size() + p] = (System.nanoTime() - t0) / 1e6;
            }
          }
          if (got[0].faces() != got[1].faces() || !got[0].names().equals(got[1].names())) {
            throw new IllegalStateException("photo " + (p + 1) + ": in-process " + got[0] + " but served " + got[1]);
          }
        }
      }
      for (ServingModel m : remote.values()) {
        m.close();
      }
      double in = median(ms[0]);
      double grpc = median(ms[1]);
      double[] paired = new double[ms[0].length];
      for (int i = 0; i < paired.length; i++) {
        paired[i] = ms[1][i] / ms[0][i];
      }
      System.out.printf(Locale.ROOT, "%-14s %14s %14s %10s %14s%n", "", "in-process ms", "gRPC ms", "ratio", "paired ratio");
      System.out.printf(Locale.ROOT, "%-14s %14.1f %14.1f %9.2fx %13.2fx%n", "per photo", in, grpc, grpc / in, median(paired));
      System.out.printf(Locale.ROOT, "server / in-process: %.2fx (target <= 1.2x: %s); load average %.2f%n",
          median(paired), median(paired) <= 1.2 ? "met" : "missed", BatchingBench.load());
    } finally {
      for (SavedModel m : local.values()) {
        m.close();
      }
    }
  }

  static double median(double[] v) {
    double[] a = v.clone();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
