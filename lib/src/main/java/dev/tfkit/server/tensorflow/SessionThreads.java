package dev.tfkit.server.tensorflow;

import org.tensorflow.proto.ConfigProto;

/**
 * How a served model's TensorFlow session uses threads: TF Serving's {@code
 * --tensorflow_session_parallelism}, {@code --tensorflow_intra_op_parallelism} and {@code
 * --tensorflow_inter_op_parallelism}, with the same precedence (a positive session parallelism sets
 * both pools; otherwise each pool's own value).
 *
 * <p>0 means auto-configured. TensorFlow's own default runs every op of a request on its inter-op
 * pool, which costs two thread hand-offs per request — for a small model more than the model
 * itself. tfkit's auto therefore runs the ops of a request on the request's own thread ({@code
 * inter_op_parallelism_threads = -1}, "run in the caller's thread") while each op's kernel still
 * uses the intra-op pool (one thread per core). Concurrent requests run side by side on their own
 * threads. Set the inter-op value (e.g. to the number of cores) for a graph with wide independent
 * branches that a single request should run in parallel.
 */
public record SessionThreads(int sessionParallelism, int intraOp, int interOp) {
  /** Auto-configured, as described above. */
  public static final SessionThreads AUTO = new SessionThreads(0, 0, 0);

  public SessionThreads {
    if (sessionParallelism < 0) {
      throw new IllegalArgumentException(
          "--tensorflow_session_parallelism must be 0 (auto) or positive, got " + sessionParallelism);
    }
    if (intraOp < 0) {
      throw new IllegalArgumentException(
          "--tensorflow_intra_op_parallelism must be 0 (auto) or positive, got " + intraOp);
    }
    if (interOp < -1) {
      throw new IllegalArgumentException(
          "--tensorflow_inter_op_parallelism must be -1 (caller's thread), 0 (auto) or positive, got " + interOp);
    }
  }

  /** The session options TensorFlow gets. */
  public ConfigProto configProto() {
    int intra = sessionParallelism > 0 ? sessionParallelism : intraOp;
    int inter = sessionParallelism > 0 ? sessionParallelism : (interOp == 0 ? -1 : interOp);
    return ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(intra)
        .setInterOpParallelismThreads(inter)
        .build();
  }
}
