package dev.tfkit.savedmodel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one serving signature exposes: its method (predict, classify, regress) and its inputs and
 * outputs, each a key mapped to a tensor name of the graph. The exporter fills in dtypes and shapes
 * from the graph.
 *
 * <p>Immutable: {@link #input} and {@link #output} return a new spec.
 *
 * <pre>{@code
 * SignatureSpec.predict().input("x", "x:0").output("y", "y:0")
 * SignatureSpec.classify("tf_example:0", "classes:0", "scores:0")
 * }</pre>
 */
public final class SignatureSpec {
  /** TensorFlow Serving's Predict method name. */
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";
  /** TensorFlow Serving's Classify method name. */
  public static final String CLASSIFY_METHOD = "tensorflow/serving/classify";
  /** TensorFlow Serving's Regress method name. */
  public static final String REGRESS_METHOD = "tensorflow/serving/regress";

  private final String methodName;
  private final Map<String, String> inputs;
  private final Map<String, String> outputs;

  private SignatureSpec(String methodName, Map<String, String> inputs, Map<String, String> outputs) {
    this.methodName = methodName;
    this.inputs = Collections.unmodifiableMap(inputs);
    this.outputs = Collections.unmodifiableMap(outputs);
  }

  /** An empty signature with the given method name. */
  public static SignatureSpec of(String methodName) {
    Objects.requireNonNull(methodName, "methodName");
    return new SignatureSpec(methodName, new LinkedHashMap<>(), new LinkedHashMap<>());
  }

  /** An empty Predict signature. */
  public static SignatureSpec predict() {
    return of(PREDICT_METHOD);
  }

  /**
   * A Classify signature: {@code inputs} (serialized tf.Example strings) to {@code classes} and/or
   * {@code scores} (pass null to leave one out).
   */
  public static SignatureSpec classify(String inputsTensor, String classesTensor, String scoresTensor) {
    SignatureSpec s = of(CLASSIFY_METHOD).input("inputs", inputsTensor);
    if (classesTensor != null) s = s.output("classes", classesTensor);
    if (scoresTensor != null) s = s.output("scores", scoresTensor);
    return s;
  }

  /** A Regress signature: {@code inputs} (serialized tf.Example strings) to {@code outputs}. */
  public static SignatureSpec regress(String inputsTensor, String outputsTensor) {
    return of(REGRESS_METHOD).input("inputs", inputsTensor).output("outputs", outputsTensor);
  }

  /** This spec plus an input; a key used twice is refused. */
  public SignatureSpec input(String key, String tensorName) {
    return new SignatureSpec(methodName, with(inputs, "input", key, tensorName), new LinkedHashMap<>(outputs));
  }

  /** This spec plus an output; a key used twice is refused. */
  public SignatureSpec output(String key, String tensorName) {
    return new SignatureSpec(methodName, new LinkedHashMap<>(inputs), with(outputs, "output", key, tensorName));
  }

  private static Map<String, String> with(Map<String, String> m, String what, String key, String tensor) {
    if (key == null || key.isEmpty()) throw new IllegalArgumentException(what + " key is empty");
    if (tensor == null || tensor.isEmpty()) {
      throw new IllegalArgumentException(what + " '" + key + "': tensor name is empty");
    }
    if (m.containsKey(key)) {
      throw new IllegalArgumentException("duplicate " + what + " key '" + key + "'");
    }
    Map<String, String> copy = new LinkedHashMap<>(m);
    copy.put(key, Nodes.tensorName(tensor));
    return copy;
  }

  public String methodName() {
    return methodName;
  }

  /** Input keys to tensor names ({@code op:index}), in the order added. */
  public Map<String, String> inputs() {
    return inputs;
  }

  /** Output keys to tensor names ({@code op:index}), in the order added. */
  public Map<String, String> outputs() {
    return outputs;
  }

  @Override
  public String toString() {
    return methodName + " " + inputs + " -> " + outputs;
  }
}
