package dev.tfkit.server.tensorflow;

/**
 * How concurrent Predict requests are merged into one session run: TF Serving's batching
 * parameters {@code max_batch_size}, {@code batch_timeout_micros}, {@code num_batch_threads} and
 * {@code max_enqueued_batches}.
 */
public record BatchingOptions(
    int maxBatchSize, long batchTimeoutMicros, int numBatchThreads, int maxEnqueuedBatches) {

  public BatchingOptions {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max_batch_size must be at least 1: " + maxBatchSize);
    }
    if (batchTimeoutMicros < 0) {
      throw new IllegalArgumentException("batch_timeout_micros must be 0 or more");
    }
    if (numBatchThreads < 1) {
      throw new IllegalArgumentException("num_batch_threads must be at least 1");
    }
    if (maxEnqueuedBatches < 1) {
      throw new IllegalArgumentException("max_enqueued_batches must be at least 1");
    }
  }

  /** TF Serving's defaults when batching is on and no parameters file is given. */
  public static BatchingOptions defaults() {
    return new BatchingOptions(32, 0, Math.max(1, Runtime.getRuntime().availableProcessors()), 100);
  }
}
