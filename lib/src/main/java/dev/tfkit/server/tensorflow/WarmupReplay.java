package dev.tfkit.server.tensorflow;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfkit.io.TfRecords;
import dev.tfkit.savedmodel.WarmupFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tensorflow.serving.Inference.InferenceTask;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

/**
 * Replays {@code assets.extra/tf_serving_warmup_requests} (a TFRecord of {@code PredictionLog})
 * against a freshly loaded model before it serves, as TF Serving's {@code
 * --enable_model_warmup} does; any failing record fails the load.
 */
public final class WarmupReplay {
  /** TF Serving's cap on warmup records (the writer's too). */
  public static final int MAX_RECORDS = WarmupFile.MAX_RECORDS;

  private WarmupReplay() {}

  /** The warmup file of a version folder. */
  public static Path file(Path versionDir) {
    return WarmupFile.of(versionDir);
  }

  /** Replays the warmup file if there is one; returns how many records ran. */
  public static int run(SavedModelServable servable, Path versionDir) throws IOException {
    return run(servable, versionDir, 1);
  }

  /**
   * Replays the warmup file if there is one, each record {@code iterations} times in a row (TF
   * Serving's {@code ModelWarmupOptions.num_request_iterations}, {@code
   * --num_request_iterations_for_warmup}); returns how many records ran.
   */
  public static int run(SavedModelServable servable, Path versionDir, int iterations) throws IOException {
    if (iterations < 1) {
      throw new IllegalArgumentException("warmup iterations must be at least 1, got " + iterations);
    }
    Path f = file(versionDir);
    if (!Files.isRegularFile(f)) {
      return 0;
    }
    List<byte[]> records;
    try {
      records = TfRecords.read(f, MAX_RECORDS, 1L << 30);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new IOException(e.getMessage(), e);
    }
    int i = 0;
    for (byte[] r : records) {
      PredictionLog log;
      try {
        log = PredictionLog.parseFrom(r);
      } catch (InvalidProtocolBufferException e) {
        throw new IOException(f + ": record " + i + " is not a PredictionLog: " + e.getMessage());
      }
      try {
        for (int k = 0; k < iterations; k++) {
          replay(servable, log);
        }
      } catch (RuntimeException e) {
        throw new IOException(f + ": warmup record " + i + " failed: " + e.getMessage(), e);
      }
      i++;
    }
    return records.size();
  }

  private static void replay(SavedModelServable s, PredictionLog log) {
    switch (log.getLogTypeCase()) {
      case PREDICT_LOG -> {
        var req = log.getPredictLog().getRequest();
        s.predict(req.getModelSpec().getSignatureName(), req.getInputsMap(), req.getOutputFilterList());
      }
      case CLASSIFY_LOG -> {
        var req = log.getClassifyLog().getRequest();
        s.classify(req.getModelSpec().getSignatureName(), req.getInput());
      }
      case REGRESS_LOG -> {
        var req = log.getRegressLog().getRequest();
        s.regress(req.getModelSpec().getSignatureName(), req.getInput());
      }
      case MULTI_INFERENCE_LOG -> {
        var req = log.getMultiInferenceLog().getRequest();
        for (InferenceTask t : req.getTasksList()) {
          if (t.getMethodName().equals(SavedModelServable.CLASSIFY_METHOD)) {
            s.classify(t.getModelSpec().getSignatureName(), req.getInput());
          } else {
            s.regress(t.getModelSpec().getSignatureName(), req.getInput());
          }
        }
      }
      default ->
          throw new IllegalArgumentException(
              "unsupported warmup log type " + log.getLogTypeCase());
    }
  }
}
