package dev.tfkit.savedmodel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tfkit.tensor.DataTypes;
import dev.tfkit.tensor.TensorValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * A SavedModel loaded by TensorFlow's own loader (the one TensorFlow Serving runs), to run its
 * signatures from Java like {@code saved_model_cli run}. Closeable; safe to share between threads.
 *
 * <pre>{@code
 * try (SavedModel m = SavedModel.load(dir);
 *      SavedModel.Outputs out = m.run("serving_default", Map.of("x", new float[][] {{1f}}))) {
 *   System.out.println(out.json());   // {"y":[[2.5]]}
 * }
 * }</pre>
 */
public final class SavedModel implements AutoCloseable {
  private final SavedModelInfo info;
  private final SavedModelBundle bundle;
  private final List<String> tags;

  private SavedModel(SavedModelInfo info, SavedModelBundle bundle, List<String> tags) {
    this.info = info;
    this.bundle = bundle;
    this.tags = tags;
  }

  /** Loads the MetaGraph tagged {@code serve}. */
  public static SavedModel load(Path dir) {
    return load(dir, SavedModelExport.SERVE_TAG);
  }

  /** Loads the MetaGraph with exactly these tags; the tags are checked first, with a clear message. */
  public static SavedModel load(Path dir, String... tags) {
    SavedModelInfo info = SavedModelInfo.read(dir).checkNativeLimits();
    info.metaGraph(tags); // names the tag sets that exist when these do not
    info.checkVariablesPresent(tags);
    SavedModelBundle b;
    try {
      b = SavedModelBundle.load(dir.toAbsolutePath().toString(), tags);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("TensorFlow could not load SavedModel " + dir + ": " + e.getMessage(), e);
    }
    return new SavedModel(info, b, List.of(tags));
  }

  public SavedModelInfo info() {
    return info;
  }

  /** The loaded signatures by key. */
  public Map<String, SignatureDef> signatures() {
    return bundle.metaGraphDef().getSignatureDefMap();
  }

  /** One signature; an unknown key names the keys that exist. */
  public SignatureDef signature(String key) {
    SignatureDef s = signatures().get(key);
    if (s == null) {
      throw new IllegalArgumentException(
          "signature '" + key + "' not found in " + info.dir() + " (tags " + tags + "); it has " + SavedModelInfo.keys(signatures()));
    }
    return s;
  }

  /** The TensorFlow session (for advanced use; do not close it). */
  public Session session() {
    return bundle.session();
  }

  /**
   * Runs a signature. Each input is a {@link TensorValue}, a TF {@link Tensor} (used as is, not
   * closed), a Jackson {@code JsonNode}, or any Java value {@link TensorValue#of(Object)} takes
   * (numbers, strings, arrays, lists, images), converted to the signature's dtype and reshaped to
   * its shape when the element count fits. Every input of the signature must be given, and no
   * other.
   */
  public Outputs run(String signatureKey, Map<String, ?> inputs) {
    SignatureDef sig = signature(signatureKey);
    for (String k : inputs.keySet()) {
      if (!sig.containsInputs(k)) {
        throw new IllegalArgumentException("signature '" + signatureKey + "' has no input '" + k + "'; its inputs are " + sig.getInputsMap().keySet());
      }
    }
    for (String k : sig.getInputsMap().keySet()) {
      if (!inputs.containsKey(k)) throw new IllegalArgumentException("signature '" + signatureKey + "' input '" + k + "' is missing");
    }
    List<Tensor> owned = new ArrayList<>();
    try {
      Session.Runner r = bundle.session().runner();
      for (Map.Entry<String, ?> e : inputs.entrySet()) {
        TensorInfo ti = sig.getInputsOrThrow(e.getKey());
        Tensor t = toTensor("input '" + e.getKey() + "'", e.getValue(), ti);
        if (t != e.getValue()) owned.add(t);
        if (DataTypes.base(t.dataType()) != DataTypes.base(ti.getDtype())) {
          throw new IllegalArgumentException("input '" + e.getKey() + "' is " + t.dataType() + " but the signature wants " + ti.getDtype());
        }
        r.feed(ti.getName(), t);
      }
      List<String> keys = new ArrayList<>(sig.getOutputsMap().keySet());
      keys.sort(null);
      for (String k : keys) r.fetch(sig.getOutputsOrThrow(k).getName());
      Result res;
      try {
        res = r.run();
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("signature '" + signatureKey + "' failed: " + e.getMessage(), e);
      }
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (int i = 0; i < keys.size(); i++) out.put(keys.get(i), res.get(i));
      return new Outputs(out);
    } finally {
      owned.forEach(Tensor::close);
    }
  }

  private static Tensor toTensor(String what, Object v, TensorInfo ti) {
    if (v instanceof Tensor t) return t;
    if (v instanceof JsonNode j) {
      return JsonFeeds.toTensor(what, j, ti.getDtype(), ti.getTensorShape());
    }
    TensorValue tv;
    try {
      tv = TensorValue.of(v, DataTypes.base(ti.getDtype()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
    long[] shape = JsonFeeds.fit(what, tv.shape(), tv.size(), ti.getTensorShape());
    return (Arrays.equals(shape, tv.shape()) ? tv : tv.reshape(shape)).toTensor();
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public void close() {
    bundle.close();
  }

  /** The outputs of one run, by output key (sorted); closing it frees the tensors. */
  public static final class Outputs implements AutoCloseable {
    private final Map<String, Tensor> tensors;

    Outputs(Map<String, Tensor> tensors) {
      this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** The output tensors (owned by this object). */
    public Map<String, Tensor> tensors() {
      return tensors;
    }

    public Tensor get(String key) {
      Tensor t = tensors.get(key);
      if (t == null) throw new IllegalArgumentException("no output '" + key + "'; outputs are " + tensors.keySet());
      return t;
    }

    /** The outputs as immutable values (copied out of the tensors). */
    public Map<String, TensorValue> values() {
      Map<String, TensorValue> m = new LinkedHashMap<>();
      tensors.forEach((k, t) -> m.put(k, TensorValue.fromTensor(t)));
      return m;
    }

    /** All outputs as one JSON object: {@code {"y": [[3.0]]}}, strings as strings. */
    public ObjectNode json() {
      var o = JSON.createObjectNode();
      tensors.forEach((k, t) -> o.set(k, JsonFeeds.toJson(t)));
      return o;
    }

    @Override
    public void close() {
      tensors.values().forEach(Tensor::close);
    }
  }
}
