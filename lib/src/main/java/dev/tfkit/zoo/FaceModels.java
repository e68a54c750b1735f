package dev.tfkit.zoo;

import dev.tfkit.graph.ModelGraph;
import dev.tfkit.savedmodel.SavedModelExport;
import dev.tfkit.savedmodel.SignatureSpec;
import java.nio.file.Path;
import org.tensorflow.Graph;

/**
 * Exports the walkthrough's models from real pretrained networks into {@code BASE/<version>/}
 * SavedModels: {@code face_detection}, {@code face_encoder} and the default {@code stylizer}. (The
 * fourth, {@code latent_search_model}, is built from a {@link FaceGallery}.)
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

  /**
   * Exports the default {@code stylizer}, the {@link CartoonFilter} (a filter, not a GAN), as
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
