package dev.tfkit.savedmodel;

import dev.tfkit.io.TfRecords;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.TensorValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import tensorflow.serving.Model.ModelSpec;
import tensorflow.serving.Predict.PredictRequest;
import tensorflow.serving.PredictionLogOuterClass.PredictLog;
import tensorflow.serving.PredictionLogOuterClass.PredictionLog;

/**
 * TensorFlow Serving's warmup file, {@code assets.extra/tf_serving_warmup_requests}: a TFRecord
 * file of {@code PredictionLog}s that a server replays before a new version serves. The writer
 * side (one PredictLog with a PredictRequest per example, made at export); the server's replay is
 * {@code dev.tfkit.server.tensorflow.WarmupReplay}, which shares the file name and record limit
 * defined here.
 */
public final class WarmupFile {
  /** The file's path inside a version folder. */
  public static final String RELATIVE_PATH = "assets.extra/tf_serving_warmup_requests";
  /** TensorFlow Serving reads at most this many warmup records. */
  public static final int MAX_RECORDS = 1000;

  private WarmupFile() {}

  /** The warmup file of a version folder. */
  public static Path of(Path versionDir) {
    return versionDir.resolve(RELATIVE_PATH);
  }

  static byte[] records(List<Map.Entry<String, Map<String, ?>>> examples, Map<String, SignatureDef> sigs) {
    if (examples.size() > MAX_RECORDS) {
      throw new IllegalArgumentException(examples.size() + " warmup requests; TensorFlow Serving reads at most " + MAX_RECORDS);
    }
    List<byte[]> out = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, Map<String, ?>> e : examples) {
      out.add(request(i++, e.getKey(), e.getValue(), sigs).toByteArray());
    }
    return TfRecords.toBytes(out);
  }

  static PredictionLog request(int index, String key, Map<String, ?> inputs, Map<String, SignatureDef> sigs) {
    String what = "warmup request " + index + " (signature '" + key + "')";
    SignatureDef sig = sigs.get(key);
    if (sig == null) throw new IllegalArgumentException(what + ": no such signature; signatures are " + sigs.keySet());
    if (!sig.getMethodName().equals(SignatureSpec.PREDICT_METHOD)) {
      throw new IllegalArgumentException(what + ": only predict signatures can be warmed up here, this one is " + sig.getMethodName());
    }
    for (String k : inputs.keySet()) {
      if (!sig.containsInputs(k)) throw new IllegalArgumentException(what + ": no input '" + k + "'; inputs are " + sig.getInputsMap().keySet());
    }
    PredictRequest.Builder req = PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setSignatureName(key));
    for (Map.Entry<String, TensorInfo> in : sig.getInputsMap().entrySet()) {
      Object v = inputs.get(in.getKey());
      if (v == null) throw new IllegalArgumentException(what + ": input '" + in.getKey() + "' is missing");
      String w = what + " input '" + in.getKey() + "'";
      TensorValue tv;
      try {
        tv = TensorValue.of(v, DataTypes.base(in.getValue().getDtype()));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(w + ": " + ex.getMessage(), ex);
      }
      long[] shape = JsonFeeds.fit(w, tv.shape(), tv.size(), in.getValue().getTensorShape());
      if (!Arrays.equals(shape, tv.shape())) tv = tv.reshape(shape);
      req.putInputs(in.getKey(), tv.toProto());
    }
    return PredictionLog.newBuilder().setPredictLog(PredictLog.newBuilder().setRequest(req)).build();
  }
}
