package dev.tfkit.zoo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tfkit.graph.ModelGraph;
import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.search.LatentSearch;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.vision.Box;
import dev.tfkit.vision.Images;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.proto.DataType;

/** The walkthrough's models on the real pretrained networks and the real sample photos. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaceModelsTest {
  static final String PHOTOS = "@vladmandic/face-api";
  static final String PHOTOS_VERSION = "1.7.15";

  FaceGallery gallery;
  @TempDir Path tmp;

  static Path photo(String name) {
    return NpmPackages.file(PHOTOS, PHOTOS_VERSION, "demo/" + name);
  }

  @BeforeAll
  void build() {
    gallery = FaceGallery.create();
  }

  @AfterAll
  void close() {
    if (gallery != null) gallery.close();
  }

  /** Faces counted by looking at each photo (a face turned down and half hidden counts). */
  @ParameterizedTest
  @CsvSource({"sample1.jpg,3", "sample2.jpg,3", "sample3.jpg,3", "sample4.jpg,4", "sample5.jpg,5", "sample6.jpg,4"})
  void findsTheFacesInEachSamplePhotoWithinOne(String name, int counted) {
    var found = gallery.detect(Images.read(photo(name)));
    assertThat(found.size()).isBetween(counted - 1, counted + 1);
    float last = 1f;
    for (var d : found) {
      Box b = d.getKey();
      assertThat(b.ymin()).isBetween(0f, 1f);
      assertThat(b.xmax()).isBetween(0f, 1f);
      assertThat(b.width()).isBetween(0.02f, 0.5f); // a face, not the whole photo
      assertThat(d.getValue()).isBetween(0.5f, last);
      last = d.getValue();
    }
  }

  @Test
  void exportedDetectorAnswersLikeTheInProcessGraph() {
    Path dir = FaceModels.exportFaceDetection(tmp.resolve("face_detection"), 1);
    assertThat(dir).isEqualTo(tmp.resolve("face_detection/1"));
    BufferedImage img = Images.read(photo("sample5.jpg"));
    var inProcess = gallery.detect(img);
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("serving_default", Map.of("input_images", TensorValue.of(img)))) {
      Map<String, TensorValue> v = out.values();
      assertThat(v.get("num_detections").floats()[0]).isEqualTo((float) inProcess.size());
      assertThat(v.get("boxes").shape()).containsExactly(1, 20, 4);
      assertThat(v.get("classes").floats()[0]).isEqualTo(1f);
      assertThat(v.get("boxes").floats()[0]).isCloseTo(inProcess.get(0).getKey().ymin(), within(1e-5f));
    }
  }

  @Test
  void theImageBytesSignatureDecodesTheFileInTheGraphAndFindsTheSameFaces() throws Exception {
    Path dir = FaceModels.exportFaceDetection(tmp.resolve("face_detection_bytes"), 1);
    BufferedImage img = Images.read(photo("sample5.jpg"));
    byte[] file = Files.readAllBytes(photo("sample5.jpg"));
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs pixels = m.run("serving_default", Map.of("input_images", TensorValue.of(img)));
        SavedModel.Outputs bytes = m.run(FaceModels.IMAGE_BYTES_SIGNATURE,
            Map.of("image_bytes", TensorValue.of(new byte[][] {file}, DataType.DT_STRING)));
        SavedModel.Outputs png = m.run(FaceModels.IMAGE_BYTES_SIGNATURE,
            Map.of("image_bytes", TensorValue.of(new byte[][] {Images.png(img)}, DataType.DT_STRING)))) {
      float n = pixels.values().get("num_detections").floats()[0];
      assertThat(n).isGreaterThan(0f);
      assertThat(bytes.values().get("num_detections").floats()[0]).isEqualTo(n);
      // PNG is lossless: the decoded pixels are the pixels, so the boxes match exactly.
      assertThat(png.values().get("boxes").floats()).containsExactly(pixels.values().get("boxes").floats());
      // JPEG: TensorFlow's decoder and ImageIO's differ by a few levels in a pixel; the boxes barely.
      float[] a = pixels.values().get("boxes").floats(), b = bytes.values().get("boxes").floats();
      for (int i = 0; i < 4 * (int) n; i++) assertThat(b[i]).isCloseTo(a[i], within(0.01f));
    }
    try (SavedModel m = SavedModel.load(dir)) {
      assertThatThrownBy(() -> m.run(FaceModels.IMAGE_BYTES_SIGNATURE,
              Map.of("image_bytes", TensorValue.of(new byte[][] {new byte[] {1, 2, 3}}, DataType.DT_STRING))))
          .as("bytes that are no image are refused with TensorFlow's reason").hasMessageContaining("image");
    }
  }

  @Test
  void encoderIsSmallerThanFaceresAndEmbedsLikeTheFullGraph() throws Exception {
    BufferedImage face = Images.resize(gallery.faces().isEmpty() ? crop("sample1.jpg", 0) : gallery.faces().get(0).crop(), 224, 224);
    float[] fromEncoder = gallery.embed(face);
    assertThat(fromEncoder).hasSize(FaceEncoder.DIM);
    try (ModelGraph full = ModelGraph.load(FaceEncoder.modelFile());
        ModelGraph enc = FaceEncoder.build()) {
      assertThat(enc.summary().constBytes()).isLessThan(full.summary().constBytes());
      assertThat(full.summary().opCounts()).containsKey("Sigmoid"); // the gender head
      assertThat(enc.summary().opCounts()).doesNotContainKey("Sigmoid");
      float[][][][] pixels = new float[1][224][224][3];
      for (int y = 0; y < 224; y++) {
        for (int x = 0; x < 224; x++) {
          int p = face.getRGB(x, y);
          pixels[0][y][x][0] = (p >> 16) & 255;
          pixels[0][y][x][1] = (p >> 8) & 255;
          pixels[0][y][x][2] = p & 255;
        }
      }
      float[] fromFull =
          TensorValue.fromProto(full.run(Map.of(FaceEncoder.RAW_INPUT + ":0", pixels), FaceEncoder.EMBEDDING + ":0")
              .get(FaceEncoder.EMBEDDING + ":0")).floats();
      assertThat(fromEncoder).containsExactly(fromFull, within(1e-4f));
    }
    Path dir = FaceModels.exportFaceEncoder(tmp.resolve("face_encoder"), 1);
    long pb = Files.size(dir.resolve("saved_model.pb"));
    long bin = Files.size(FaceEncoder.modelFile().resolveSibling("faceres.bin"));
    assertThat(pb + dirSize(dir.resolve("variables"))).isGreaterThan(bin); // float16 weights become float32
  }

  @Test
  void everyGalleryFaceFindsItselfFirstAndTwoCropsOfOnePersonAreCloserThanOthers() throws Exception {
    FaceGallery g = gallery;
    if (g.faces().isEmpty()) {
      g.addPhotos(IntStream.rangeClosed(1, 6).mapToObj(i -> photo("sample" + i + ".jpg")).toList(), null);
    }
    List<FaceGallery.Face> faces = g.faces();
    assertThat(faces.size()).isBetween(19, 25);
    LatentSearch search = g.latentSearch();
    Path dir = search.exportTo(tmp.resolve("latent_search_model/1"));
    float[][] queries = new float[faces.size()][];
    for (int i = 0; i < faces.size(); i++) queries[i] = faces.get(i).embedding();
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out =
            m.run("serving_default", Map.of(LatentSearch.TARGET_LATENT, queries, LatentSearch.K_NUM, 2))) {
      Map<String, TensorValue> v = out.values();
      int[] idx = v.get(LatentSearch.INDICES).ints();
      float[] xvals = v.get(LatentSearch.XVALS).floats();
      String[] names = v.get(LatentSearch.FILENAMES).strings();
      for (int i = 0; i < faces.size(); i++) {
        // Brute force in Java over the same real embeddings: the two nearest rows, in order.
        float[] q = queries[i];
        Integer[] order = IntStream.range(0, faces.size()).boxed().toArray(Integer[]::new);
        double[] dist = new double[faces.size()];
        for (int j = 0; j < faces.size(); j++) {
          double d = 0;
          for (int c = 0; c < q.length; c++) d += (q[c] - queries[j][c]) * (double) (q[c] - queries[j][c]);
          dist[j] = d;
        }
        Arrays.sort(order, Comparator.comparingDouble(j -> dist[j]));
        assertThat(idx[2 * i + 1]).as("second nearest of face %d (brute force)", i).isEqualTo(order[1]);
        assertThat((double) -xvals[2 * i + 1]).isCloseTo(Math.sqrt(dist[order[1]]), Assertions.within(2e-3 * Math.sqrt(dist[order[1]]) + 1e-3));
        assertThat(idx[2 * i]).as("nearest of face %d", i).isEqualTo(i);
        assertThat(names[2 * i]).isEqualTo(faces.get(i).name());
        // xvals are negated squared-or-not distances: the self match is (about) zero, the next below it.
        assertThat(Math.abs(xvals[2 * i])).isLessThan(1e-2f * Math.abs(xvals[2 * i + 1]) + 1e-3f);
      }
    }
    // Same person, two crops (different margins) vs the other people of the same photo.
    List<Float> same = new ArrayList<>();
    List<Float> other = new ArrayList<>();
    BufferedImage img = Images.read(photo("sample6.jpg"));
    var dets = g.detect(img);
    for (int a = 0; a < dets.size(); a++) {
      float[] tight = g.embed(Images.crop(img, dets.get(a).getKey(), 1.1));
      float[] loose = g.embed(Images.crop(img, dets.get(a).getKey(), 1.5));
      same.add(dist(tight, loose));
      for (int b = 0; b < dets.size(); b++) {
        if (b != a) other.add(dist(tight, g.embed(Images.crop(img, dets.get(b).getKey(), 1.5))));
      }
    }
    assertThat(same.stream().max(Float::compare).orElseThrow())
        .isLessThan(other.stream().min(Float::compare).orElseThrow());
  }

  @Test
  void cartoonStylizerExportKeepsTheImageShape() {
    Path dir = FaceModels.exportCartoonStylizer(tmp.resolve("stylizer"), 1);
    BufferedImage img = crop("sample2.jpg", 0);
    try (SavedModel m = SavedModel.load(dir);
        SavedModel.Outputs out = m.run("serving_default", Map.of("input_images", TensorValue.of(img)))) {
      TensorValue v = out.values().get("output_images");
      assertThat(v.shape()).containsExactly(1, img.getHeight(), img.getWidth(), 3);
      BufferedImage styled = v.asImage();
      assertThat(styled.getWidth()).isEqualTo(img.getWidth());
    }
  }

  private BufferedImage crop(String photo, int i) {
    BufferedImage img = Images.read(photo(photo));
    return Images.crop(img, gallery.detect(img).get(i).getKey(), FaceGallery.CROP_SCALE);
  }

  private static float dist(float[] a, float[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) d += (a[i] - b[i]) * (double) (a[i] - b[i]);
    return (float) Math.sqrt(d);
  }

  private static long dirSize(Path dir) throws Exception {
    try (var s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
