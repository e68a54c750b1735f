package dev.tfkit.server.logging;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import tensorflow.serving.Logging.LogMetadata;
import tensorflow.serving.LoggingConfigOuterClass.LoggingConfig;
import tensorflow.serving.LoggingConfigOuterClass.SamplingConfig;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

/**
 * TF Serving's request logging ({@code logging_config} of a model in {@code model_config_list}):
 * a sampled share of each model's requests, with their responses, written as {@code PredictionLog}
 * records to TFRecord files.
 *
 * <p>TF Serving's open-source build registers no log collector, so the collector type is tfkit's
 * own: {@value #COLLECTOR_TYPE}, which writes {@code <filename_prefix>.<UTC time>.<pid>.<n>.tfrecord}
 * files (see {@link RequestLogWriter}). Requests never wait for a write: a sampled record goes on a
 * bounded queue, and when that is full it is dropped and counted.
 */
public final class RequestLogs implements AutoCloseable {
  /** The one log collector type tfkit has. */
  public static final String COLLECTOR_TYPE = "tfrecord_file";

  private static final System.Logger LOG = System.getLogger("dev.tfkit.server");

  private final int queueCapacity;
  private final long maxFileBytes;
  private final Map<String, Active> byModel = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** One model's logging config and the writer it feeds. */
  private record Active(LoggingConfig config, Path prefix, RequestLogWriter writer) {}

  public RequestLogs() {
    this(RequestLogWriter.DEFAULT_QUEUE_CAPACITY, RequestLogWriter.DEFAULT_MAX_FILE_BYTES);
  }

  public RequestLogs(int queueCapacity, long maxFileBytes) {
    this.queueCapacity = queueCapacity;
    this.maxFileBytes = maxFileBytes;
  }

  /**
   * Checks a model's {@code logging_config}: the collector type must be {@value #COLLECTOR_TYPE}
   * with a {@code filename_prefix} whose folder exists, the sampling rate in [0, 1], and nothing
   * set that tfkit does not do.
   *
   * @throws IllegalArgumentException naming the model and the field
   */
  public static void check(String model, LoggingConfig c, Path baseDir) {
    String at = "model '" + model + "': logging_config";
    var collector = c.getLogCollectorConfig();
    if (!collector.getType().equals(COLLECTOR_TYPE)) {
      throw new IllegalArgumentException(
          at + ".log_collector_config.type '" + collector.getType() + "' is not a log collector tfkit has"
              + " (TF Serving's open-source build registers none; tfkit's is '" + COLLECTOR_TYPE + "')");
    }
    if (collector.getFilenamePrefix().isEmpty()) {
      throw new IllegalArgumentException(at + ".log_collector_config.filename_prefix is empty");
    }
    Path prefix = baseDir.resolve(collector.getFilenamePrefix()).toAbsolutePath().normalize();
    Path dir = prefix.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          at + ".log_collector_config.filename_prefix " + collector.getFilenamePrefix()
              + ": folder " + dir + " does not exist");
    }
    SamplingConfig s = c.getSamplingConfig();
    double rate = s.getSamplingRate();
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException(
          at + ".sampling_config.sampling_rate must be in [0, 1], got " + rate);
    }
    if (s.getPerTaskSamplingConfigsCount() > 0) {
      throw new IllegalArgumentException(
          at + ".sampling_config.per_task_sampling_configs is not supported (tfkit has no dc/task index)");
    }
    if (s.getAttributes() != 0) {
      throw new IllegalArgumentException(
          at + ".sampling_config.attributes is not supported (tfkit logs no request origin or criticality)");
    }
    if (c.hasCustomLoggingConfig()) {
      throw new IllegalArgumentException(at + ".custom_logging_config is not supported");
    }
  }

  /**
   * Makes the models' logging configs the current ones: a model whose config is unchanged keeps
   * its writer and file; a changed one gets a new file (the old one is finished and closed); a
   * model without logging_config, or no longer configured, stops logging. Call after {@link
   * #check} passed for each.
   */
  public synchronized void configure(Collection<ModelConfig> models, Path baseDir) {
    if (closed) {
      return;
    }
    Map<String, Active> next = new HashMap<>();
    for (ModelConfig m : models) {
      if (!m.hasLoggingConfig()) {
        continue;
      }
      LoggingConfig c = m.getLoggingConfig();
      Path prefix =
          baseDir.resolve(c.getLogCollectorConfig().getFilenamePrefix()).toAbsolutePath().normalize();
      Active old = byModel.get(m.getName());
      if (old != null && old.config.equals(c) && old.prefix.equals(prefix)) {
        next.put(m.getName(), old);
      } else {
        next.put(
            m.getName(),
            new Active(c, prefix, new RequestLogWriter(m.getName(), prefix, queueCapacity, maxFileBytes)));
      }
    }
    Map<String, Active> previous = new HashMap<>(byModel);
    byModel.putAll(next); // requests now reach the new writers
    for (var e : previous.entrySet()) {
      if (next.get(e.getKey()) != e.getValue()) {
        byModel.remove(e.getKey(), e.getValue());
        e.getValue().writer.close(); // finishes the old file
      }
    }
    if (!next.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, "Request logging for " + String.join(", ", next.keySet()));
    }
  }

  /** Whether {@code model} has request logging (for callers that build records only then). */
  public boolean enabled(String model) {
    return byModel.containsKey(model);
  }

  /**
   * Logs one answered request of {@code model} if it is sampled: {@code record} holds the request
   * and response; its metadata (model spec, sampling config, tags, time) is filled in here. Never
   * blocks and never throws.
   */
  public void log(String model, ModelSpec answeredSpec, PredictionLog.Builder record) {
    Active a = byModel.get(model);
    if (a == null) {
      return;
    }
    double rate = a.config.getSamplingConfig().getSamplingRate();
    if (rate <= 0 || (rate < 1 && ThreadLocalRandom.current().nextDouble() >= rate)) {
      return;
    }
    record.setLogMetadata(
        LogMetadata.newBuilder()
            .setModelSpec(answeredSpec)
            .setSamplingConfig(a.config.getSamplingConfig())
            .addSavedModelTags("serve")
            .setTimestampSecs(System.currentTimeMillis() / 1000));
    a.writer.offer(record.build());
  }

  /** Records of {@code model} dropped because its queue was full (since its config last changed). */
  public long dropped(String model) {
    Active a = byModel.get(model);
    return a == null ? 0 : a.writer.dropped();
  }

  /** Records of {@code model} written to files (since its config last changed). */
  public long written(String model) {
    Active a = byModel.get(model);
    return a == null ? 0 : a.writer.written();
  }

  /** Writes what is queued and finishes every file. */
  @Override
  public synchronized void close() {
    closed = true;
    for (Active a : byModel.values()) {
      a.writer.close();
    }
    byModel.clear();
  }
}
