package dev.tfkit.server.tensorflow;

import java.util.List;

/**
 * How concurrent Predict requests are merged into one session run: TF Serving's batching
 * parameters ({@code BatchingParameters} of {@code --batching_parameters_file}).
 *
 * <ul>
 *   <li>{@code maxBatchSize}: the largest request (rows) and, without splitting, the largest batch;
 *   <li>{@code batchTimeoutMicros}: how long the oldest request of an open batch waits for more;
 *   <li>{@code numBatchThreads}: threads running batches;
 *   <li>{@code maxEnqueuedBatches}: batches a signature's queue holds before requests are refused;
 *   <li>{@code allowedBatchSizes}: sizes a batch is padded up to (empty: no padding);
 *   <li>{@code padVariableLengthInputs}: pad inputs whose dimensions past the first differ;
 *   <li>{@code enableLargeBatchSplitting} and {@code maxExecutionBatchSize} (0: {@code
 *       maxBatchSize}): split a request across batches of at most that many rows.
 * </ul>
 *
 * <p>The constructor checks the rules TF Serving checks when it creates the batching session, and
 * its messages name the field.
 */
public record BatchingOptions(
    int maxBatchSize,
    long batchTimeoutMicros,
    int numBatchThreads,
    int maxEnqueuedBatches,
    List<Integer> allowedBatchSizes,
    boolean padVariableLengthInputs,
    boolean enableLargeBatchSplitting,
    int maxExecutionBatchSize) {

  public BatchingOptions {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max_batch_size must be at least 1: " + maxBatchSize);
    }
    if (batchTimeoutMicros < 0) {
      throw new IllegalArgumentException("batch_timeout_micros must be 0 or more: " + batchTimeoutMicros);
    }
    if (numBatchThreads < 1) {
      throw new IllegalArgumentException("num_batch_threads must be at least 1: " + numBatchThreads);
    }
    if (maxEnqueuedBatches < 1) {
      throw new IllegalArgumentException("max_enqueued_batches must be at least 1: " + maxEnqueuedBatches);
    }
    allowedBatchSizes = List.copyOf(allowedBatchSizes);
    if (maxExecutionBatchSize < 0) {
      throw new IllegalArgumentException(
          "max_execution_batch_size must be at least 1: " + maxExecutionBatchSize);
    }
    if (!enableLargeBatchSplitting && maxExecutionBatchSize != 0 && maxExecutionBatchSize != maxBatchSize) {
      // TF Serving ignores it without splitting; say so rather than let it look applied.
      throw new IllegalArgumentException(
          "max_execution_batch_size (" + maxExecutionBatchSize
              + ") only applies with enable_large_batch_splitting: true");
    }
    int exec = maxExecutionBatchSize == 0 ? maxBatchSize : maxExecutionBatchSize;
    if (enableLargeBatchSplitting && exec > maxBatchSize) {
      throw new IllegalArgumentException(
          "max_execution_batch_size (" + exec + ") must not exceed max_batch_size (" + maxBatchSize
              + ") when enable_large_batch_splitting is true");
    }
    for (int i = 0; i < allowedBatchSizes.size(); i++) {
      int size = allowedBatchSizes.get(i);
      if (size < 1 || (i > 0 && size <= allowedBatchSizes.get(i - 1))) {
        throw new IllegalArgumentException(
            "allowed_batch_sizes entries must be positive and monotonically increasing: " + allowedBatchSizes);
      }
    }
    if (!allowedBatchSizes.isEmpty()) {
      int last = allowedBatchSizes.get(allowedBatchSizes.size() - 1);
      if (enableLargeBatchSplitting && last != exec) {
        throw new IllegalArgumentException(
            "Last entry in allowed_batch_sizes must be equal to max_execution_batch_size; last entry was "
                + last + "; expected " + exec);
      }
      if (!enableLargeBatchSplitting && last != maxBatchSize) {
        throw new IllegalArgumentException(
            "Last entry in allowed_batch_sizes must match max_batch_size; last entry was "
                + last + "; expected " + maxBatchSize);
      }
    }
  }

  /** Batching without padding or splitting. */
  public BatchingOptions(int maxBatchSize, long batchTimeoutMicros, int numBatchThreads, int maxEnqueuedBatches) {
    this(maxBatchSize, batchTimeoutMicros, numBatchThreads, maxEnqueuedBatches, List.of(), false, false, 0);
  }

  /** The largest batch a session run gets: max_execution_batch_size when splitting, else max_batch_size. */
  public int executionBatchSize() {
    return enableLargeBatchSplitting && maxExecutionBatchSize > 0 ? maxExecutionBatchSize : maxBatchSize;
  }

  /** The smallest allowed batch size that holds {@code rows} ({@code rows} itself when none is set or fits). */
  public int paddedSize(int rows) {
    for (int size : allowedBatchSizes) {
      if (size >= rows) {
        return size;
      }
    }
    return rows;
  }

  /** These options with sizes padded up to {@code sizes}. */
  public BatchingOptions withAllowedBatchSizes(List<Integer> sizes) {
    return new BatchingOptions(maxBatchSize, batchTimeoutMicros, numBatchThreads, maxEnqueuedBatches, sizes,
        padVariableLengthInputs, enableLargeBatchSplitting, maxExecutionBatchSize);
  }

  /** These options with {@code pad_variable_length_inputs} set to {@code pad}. */
  public BatchingOptions withPadVariableLengthInputs(boolean pad) {
    return new BatchingOptions(maxBatchSize, batchTimeoutMicros, numBatchThreads, maxEnqueuedBatches,
        allowedBatchSizes, pad, enableLargeBatchSplitting, maxExecutionBatchSize);
  }

  /** These options splitting requests across batches of at most {@code maxExecution} rows. */
  public BatchingOptions withLargeBatchSplitting(int maxExecution) {
    return new BatchingOptions(maxBatchSize, batchTimeoutMicros, numBatchThreads, maxEnqueuedBatches,
        allowedBatchSizes, padVariableLengthInputs, true, maxExecution);
  }

  /** TF Serving's defaults when batching is on and no parameters file is given. */
  public static BatchingOptions defaults() {
    return new BatchingOptions(32, 0, Math.max(1, Runtime.getRuntime().availableProcessors()), 100);
  }
}
