package dev.tfkit.server.tensorflow;

import java.util.Objects;
import org.tensorflow.proto.ConfigProto;

/**
 * The TensorFlow session settings a served model is loaded with: its threads ({@link
 * SessionThreads}) and whether TensorFlow may place a node pinned to a device this machine lacks
 * (say {@code /device:GPU:0} on a CPU-only host) on another one — TF's {@code allow_soft_placement},
 * off by default as in TF Serving.
 */
public record SessionOptions(SessionThreads threads, boolean allowSoftPlacement) {
  /** Auto threads, no soft placement. */
  public static final SessionOptions DEFAULT = new SessionOptions(SessionThreads.AUTO, false);

  public SessionOptions {
    Objects.requireNonNull(threads, "threads");
  }

  /** The session options TensorFlow gets. */
  public ConfigProto configProto() {
    return threads.configProto().toBuilder().setAllowSoftPlacement(allowSoftPlacement).build();
  }

  /**
   * A load error with, where TensorFlow could not place a node on a device this machine lacks,
   * what to do about it.
   */
  String explain(String loadError) {
    boolean placement = loadError.contains("Cannot assign a device") || loadError.contains("device:GPU")
        || loadError.contains("no supported kernel for GPU");
    return placement && !allowSoftPlacement
        ? loadError + " (the model pins nodes to a device this machine does not have: --allow_soft_placement"
            + " lets TensorFlow place them elsewhere)"
        : loadError;
  }
}
