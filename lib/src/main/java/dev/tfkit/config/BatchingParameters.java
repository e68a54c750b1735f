package dev.tfkit.config;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Int64Value;
import com.google.protobuf.StringValue;
import com.google.protobuf.TextFormat;
import dev.tfkit.io.AtomicFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import tensorflow.serving.SessionBundleConfigOuterClass;

/**
 * TF Serving's batching parameters file ({@code --enable_batching --batching_parameters_file=...}):
 * built in Java, validated, written in TF Serving's text format (atomically) and read back.
 *
 * <pre>{@code
 * BatchingParameters batching = BatchingParameters.builder()
 *     .maxBatchSize(128).batchTimeoutMicros(2000).numBatchThreads(8).maxEnqueuedBatches(100)
 *     .build();
 * batching.write(Path.of("batching.config"));
 * }</pre>
 *
 * <p>Every parameter is optional: an unset one keeps TF Serving's default and is not written.
 */
public final class BatchingParameters {

  private final SessionBundleConfigOuterClass.BatchingParameters proto;

  private BatchingParameters(SessionBundleConfigOuterClass.BatchingParameters proto) {
    this.proto = proto;
    validate(proto);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Reads TF Serving's {@code BatchingParameters} message, checking the same rules as the builder. */
  public static BatchingParameters fromProto(SessionBundleConfigOuterClass.BatchingParameters proto) {
    return new BatchingParameters(proto);
  }

  public SessionBundleConfigOuterClass.BatchingParameters toProto() {
    return proto;
  }

  /** The text format, as {@code --batching_parameters_file} reads it. */
  public String toText() {
    return TextFormat.printer().printToString(proto);
  }

  /** Parses the text format; {@code source} names the text in error messages. */
  public static BatchingParameters parse(String text, String source) {
    var b = SessionBundleConfigOuterClass.BatchingParameters.newBuilder();
    try {
      TextFormat.getParser().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(
          source + ": not a TF Serving batching parameters file: " + TextErrors.describe(e), e);
    }
    try {
      return new BatchingParameters(b.build());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** Reads a batching parameters file. */
  public static BatchingParameters read(Path file) {
    return parse(ConfigFiles.readString(file, "batching parameters file"), file.toString());
  }

  /** Writes the text format through a temp file and a rename; returns the absolute path. */
  public Path write(Path file) {
    return AtomicFiles.writeString(file, toText());
  }

  public OptionalLong maxBatchSize() {
    return proto.hasMaxBatchSize() ? OptionalLong.of(proto.getMaxBatchSize().getValue()) : OptionalLong.empty();
  }

  public OptionalLong batchTimeoutMicros() {
    return proto.hasBatchTimeoutMicros()
        ? OptionalLong.of(proto.getBatchTimeoutMicros().getValue())
        : OptionalLong.empty();
  }

  public OptionalLong maxEnqueuedBatches() {
    return proto.hasMaxEnqueuedBatches()
        ? OptionalLong.of(proto.getMaxEnqueuedBatches().getValue())
        : OptionalLong.empty();
  }

  public OptionalLong numBatchThreads() {
    return proto.hasNumBatchThreads()
        ? OptionalLong.of(proto.getNumBatchThreads().getValue())
        : OptionalLong.empty();
  }

  public List<Long> allowedBatchSizes() {
    return proto.getAllowedBatchSizesList();
  }

  public boolean padVariableLengthInputs() {
    return proto.getPadVariableLengthInputs();
  }

  public boolean enableLargeBatchSplitting() {
    return proto.hasEnableLargeBatchSplitting() && proto.getEnableLargeBatchSplitting().getValue();
  }

  /** Rows per session run when splitting; unset: max_batch_size. */
  public OptionalLong maxExecutionBatchSize() {
    return proto.hasMaxExecutionBatchSize()
        ? OptionalLong.of(proto.getMaxExecutionBatchSize().getValue())
        : OptionalLong.empty();
  }

  private static void validate(SessionBundleConfigOuterClass.BatchingParameters p) {
    if (p.hasMaxBatchSize() && p.getMaxBatchSize().getValue() < 1) {
      throw new IllegalArgumentException(
          "batching max_batch_size must be at least 1, got " + p.getMaxBatchSize().getValue());
    }
    if (p.hasBatchTimeoutMicros() && p.getBatchTimeoutMicros().getValue() < 0) {
      throw new IllegalArgumentException(
          "batching batch_timeout_micros must not be negative, got "
              + p.getBatchTimeoutMicros().getValue());
    }
    if (p.hasMaxEnqueuedBatches() && p.getMaxEnqueuedBatches().getValue() < 1) {
      throw new IllegalArgumentException(
          "batching max_enqueued_batches must be at least 1, got "
              + p.getMaxEnqueuedBatches().getValue());
    }
    if (p.hasNumBatchThreads() && p.getNumBatchThreads().getValue() < 1) {
      throw new IllegalArgumentException(
          "batching num_batch_threads must be at least 1, got " + p.getNumBatchThreads().getValue());
    }
    List<Long> allowed = p.getAllowedBatchSizesList();
    for (int i = 0; i < allowed.size(); i++) {
      if (allowed.get(i) < 1 || (i > 0 && allowed.get(i) <= allowed.get(i - 1))) {
        throw new IllegalArgumentException(
            "batching allowed_batch_sizes must be positive and increasing, got " + allowed);
      }
    }
    boolean split = p.hasEnableLargeBatchSplitting() && p.getEnableLargeBatchSplitting().getValue();
    if (p.hasMaxExecutionBatchSize() && p.getMaxExecutionBatchSize().getValue() < 1) {
      throw new IllegalArgumentException(
          "batching max_execution_batch_size must be at least 1, got "
              + p.getMaxExecutionBatchSize().getValue());
    }
    if (split && p.hasMaxExecutionBatchSize() && p.hasMaxBatchSize()
        && p.getMaxExecutionBatchSize().getValue() > p.getMaxBatchSize().getValue()) {
      throw new IllegalArgumentException(
          "batching max_execution_batch_size (" + p.getMaxExecutionBatchSize().getValue()
              + ") must not exceed max_batch_size (" + p.getMaxBatchSize().getValue() + ")");
    }
    // TF Serving refuses a list whose last size is not max_batch_size (max_execution_batch_size
    // when splitting); say so before it does.
    if (!allowed.isEmpty()) {
      long last = allowed.get(allowed.size() - 1);
      if (split && p.hasMaxExecutionBatchSize()) {
        if (p.getMaxExecutionBatchSize().getValue() != last) {
          throw new IllegalArgumentException(
              "batching allowed_batch_sizes must end with max_execution_batch_size ("
                  + p.getMaxExecutionBatchSize().getValue() + "), got " + allowed);
        }
      } else if (!p.hasMaxBatchSize() || p.getMaxBatchSize().getValue() != last) {
        throw new IllegalArgumentException(
            "batching allowed_batch_sizes must end with max_batch_size ("
                + (p.hasMaxBatchSize() ? p.getMaxBatchSize().getValue() : "unset")
                + "), got "
                + allowed);
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatchingParameters && proto.equals(((BatchingParameters) o).proto);
  }

  @Override
  public int hashCode() {
    return proto.hashCode();
  }

  @Override
  public String toString() {
    return "BatchingParameters{" + TextFormat.shortDebugString(proto) + "}";
  }

  /** Builds {@link BatchingParameters}; unset parameters keep TF Serving's defaults. */
  public static final class Builder {
    private final SessionBundleConfigOuterClass.BatchingParameters.Builder b =
        SessionBundleConfigOuterClass.BatchingParameters.newBuilder();

    private Builder() {}

    /** Largest batch formed. */
    public Builder maxBatchSize(long v) {
      b.setMaxBatchSize(Int64Value.of(v));
      return this;
    }

    /** Longest wait, in microseconds, for a batch to fill before it runs anyway. */
    public Builder batchTimeoutMicros(long v) {
      b.setBatchTimeoutMicros(Int64Value.of(v));
      return this;
    }

    /** Longest queue, in batches. */
    public Builder maxEnqueuedBatches(long v) {
      b.setMaxEnqueuedBatches(Int64Value.of(v));
      return this;
    }

    /** Threads that run batches. */
    public Builder numBatchThreads(long v) {
      b.setNumBatchThreads(Int64Value.of(v));
      return this;
    }

    public Builder threadPoolName(String v) {
      b.setThreadPoolName(StringValue.of(v));
      return this;
    }

    /** Sizes batches are padded up to: increasing, the last equal to max batch size. */
    public Builder allowedBatchSizes(long... sizes) {
      b.clearAllowedBatchSizes();
      for (long s : sizes) {
        b.addAllowedBatchSizes(s);
      }
      return this;
    }

    public Builder padVariableLengthInputs(boolean v) {
      b.setPadVariableLengthInputs(v);
      return this;
    }

    /** Split a request larger than the room left in the open batch across batches. */
    public Builder enableLargeBatchSplitting(boolean v) {
      b.setEnableLargeBatchSplitting(BoolValue.of(v));
      return this;
    }

    /** Largest batch a session run gets when splitting (unset: max batch size). */
    public Builder maxExecutionBatchSize(long v) {
      b.setMaxExecutionBatchSize(Int64Value.of(v));
      return this;
    }

    /** @throws IllegalArgumentException naming the parameter that is out of range */
    public BatchingParameters build() {
      return new BatchingParameters(b.build());
    }
  }
}
