package dev.tfkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Static entry points for JShell and notebooks: {@code import static dev.tfkit.Tfkit.*;} gives the
 * helpers Python users know ({@code loadModel}, {@code exportSavedModel}, {@code
 * parsedPrediction} ...) as plain Java calls over the public API.
 */
public final class Tfkit {
  private Tfkit() {}

  /** The versions tfkit was built with: tfkit, tensorflow-java, protobuf-java, grpc-java. */
  public static Map<String, String> versions() {
    Properties p = new Properties();
    try (InputStream in = Tfkit.class.getResourceAsStream("versions.properties")) {
      if (in != null) p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read dev/tfkit/versions.properties", e);
    }
    Map<String, String> out = new TreeMap<>();
    for (String k : p.stringPropertyNames()) out.put(k, p.getProperty(k));
    return out;
  }

  // Each capability adds its helpers below, in its own section.

  // ---------------------------------------------------------------- serving client (helper: client)

  /**
   * One output of a prediction as a typed tensor ({@code floats()}, {@code shape()} ...), like
   * the Python client's {@code parsed_prediction}; the error names the outputs there are.
   */
  public static dev.tfkit.tensor.TensorValue parsedPrediction(
      dev.tfkit.serving.Prediction prediction, String outputKey) {
    return prediction.output(outputKey);
  }

  /** A gRPC client for {@code model} at {@code target} ({@code host:port}); close it when done. */
  public static dev.tfkit.serving.ServingModel servingModel(String target, String model) {
    return dev.tfkit.serving.ServingModel.grpc(target, model);
  }

  /** A REST client for {@code model} at {@code target} ({@code host:port} or a URL). */
  public static dev.tfkit.serving.ServingModel restServingModel(String target, String model) {
    return dev.tfkit.serving.ServingModel.rest(target, model);
  }
}
