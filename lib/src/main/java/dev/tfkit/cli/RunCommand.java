package dev.tfkit.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tfkit.savedmodel.SavedModel;
import dev.tfkit.tensor.TensorValue;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** {@code tfkit run}: runs a SavedModel signature on JSON or file inputs, like {@code saved_model_cli run}. */
@Command(
    name = "run",
    description = {
      "Run a SavedModel signature and print its outputs as one JSON object.",
      "Inputs: NAME=JSON (numbers, strings, nested arrays; dtype and shape from the signature),"
          + " NAME=@photo.jpg|png (uint8 [1,H,W,3]), NAME=@file.json, NAME=@tensor.pb (a TensorProto)."
    })
final class RunCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "The SavedModel folder (holding saved_model.pb).")
  Path dir;

  @Option(names = "--tag_set", defaultValue = "serve", description = "Comma-separated tags of the MetaGraph (default: ${DEFAULT-VALUE}).")
  String tagSet;

  @Option(names = "--signature_def", defaultValue = "serving_default", description = "Signature key (default: ${DEFAULT-VALUE}).")
  String signatureKey;

  @Option(names = "--input", paramLabel = "NAME=VALUE", description = "An input; repeat for each input of the signature.")
  List<String> inputs = new ArrayList<>();

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public void run() {
    // Parse every NAME=VALUE first so a typo is reported before TensorFlow loads anything.
    Map<String, String> raw = new LinkedHashMap<>();
    for (String in : inputs) {
      int eq = in.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--input '" + in + "' is not NAME=VALUE");
      String name = in.substring(0, eq);
      if (raw.put(name, in.substring(eq + 1)) != null) {
        throw new IllegalArgumentException("--input '" + name + "' is given twice");
      }
    }
    String[] tags = tagSet.split(",");
    try (SavedModel m = SavedModel.load(dir, tags)) {
      SignatureDef sig = m.signature(signatureKey);
      Map<String, Object> values = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : raw.entrySet()) {
        if (!sig.containsInputs(e.getKey())) {
          throw new IllegalArgumentException(
              "signature '" + signatureKey + "' has no input '" + e.getKey() + "'; its inputs are " + sig.getInputsMap().keySet());
        }
        values.put(e.getKey(), parse(e.getKey(), e.getValue(), sig.getInputsOrThrow(e.getKey()).getDtype()));
      }
      try (SavedModel.Outputs out = m.run(signatureKey, values)) {
        spec.commandLine().getOut().println(JSON.writeValueAsString(out.json()));
        spec.commandLine().getOut().flush();
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("cannot print the outputs as JSON: " + e.getMessage(), e);
      }
    }
  }

  private static Object parse(String name, String value, DataType dtype) {
    if (value.startsWith("@")) return readFile(name, Path.of(value.substring(1)));
    try {
      return JSON.readTree(value);
    } catch (JsonProcessingException e) {
      // A bare word is a fine string input: --input text=hello
      if (dtype == DataType.DT_STRING) return value;
      throw new IllegalArgumentException("--input " + name + ": not valid JSON: " + value);
    }
  }

  private static Object readFile(String name, Path file) {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--input " + name + ": file " + file + " not found");
    String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
    try {
      if (lower.endsWith(".jpg") || lower.endsWith(".jpeg") || lower.endsWith(".png") || lower.endsWith(".bmp") || lower.endsWith(".gif")) {
        BufferedImage img;
        try (InputStream in = Files.newInputStream(file)) {
          img = ImageIO.read(in);
        }
        if (img == null) throw new IllegalArgumentException("--input " + name + ": " + file + " is not a readable image");
        return img;
      }
      if (lower.endsWith(".json")) {
        try {
          return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException("--input " + name + ": " + file + " is not valid JSON: " + e.getOriginalMessage());
        }
      }
      if (lower.endsWith(".pb") || lower.endsWith(".tensor")) {
        try {
          return TensorValue.fromProto(TensorProto.parseFrom(Files.readAllBytes(file)));
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException("--input " + name + ": " + file + " is not a TensorProto: " + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("--input " + name + ": cannot read " + file, e);
    }
    throw new IllegalArgumentException(
        "--input " + name + ": " + file + " is neither an image (.jpg .png .bmp .gif), JSON (.json) nor a TensorProto (.pb .tensor)");
  }
}
