package dev.tfkit.config;

import com.google.protobuf.TextFormat;
import dev.tfkit.io.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfigList;
import tensorflow.serving.ModelServerConfigOuterClass.ModelServerConfig;

/**
 * TF Serving's model config file ({@code --model_config_file}): the list of served models, built in
 * Java, written in TF Serving's text format (atomically) and read back.
 *
 * <pre>{@code
 * ServingConfig config = ServingConfig.of(
 *     ServedModel.of("half_plus_two", Path.of("models/half_plus_two")),
 *     ServedModel.of("counter", Path.of("models/counter")).withAllVersions());
 * config.checkModelFolders();          // base paths exist and hold integer version folders
 * config.write(Path.of("models.config"));
 * ServingConfig same = ServingConfig.read(Path.of("models.config"));
 * }</pre>
 *
 * <p>Model names are unique; every model has a base path. {@link #checkModelFolders()} checks the
 * local file system separately, because a config written for a container names paths that only
 * exist inside it.
 */
public final class ServingConfig {

  private final List<ServedModel> models;

  private ServingConfig(List<ServedModel> models) {
    if (models.isEmpty()) {
      throw new IllegalArgumentException("a serving config needs at least one model");
    }
    Set<String> seen = new HashSet<>();
    for (ServedModel m : models) {
      if (!seen.add(m.name())) {
        throw new IllegalArgumentException(
            "model name '" + m.name() + "' appears more than once; model names must be unique");
      }
      m.checkConsistent();
    }
    this.models = Collections.unmodifiableList(new ArrayList<>(models));
  }

  /** A config serving these models (at least one; names unique). */
  public static ServingConfig of(ServedModel... models) {
    return new ServingConfig(List.of(models));
  }

  /** A config serving these models (at least one; names unique). */
  public static ServingConfig of(List<ServedModel> models) {
    return new ServingConfig(List.copyOf(models));
  }

  /** The config with one more model. */
  public ServingConfig plus(ServedModel model) {
    List<ServedModel> copy = new ArrayList<>(models);
    copy.add(model);
    return new ServingConfig(copy);
  }

  /** Reads TF Serving's {@code ModelServerConfig}; only the static model_config_list form is supported. */
  public static ServingConfig fromProto(ModelServerConfig proto) {
    if (!proto.hasModelConfigList()) {
      throw new IllegalArgumentException(
          proto.hasCustomModelConfig()
              ? "custom_model_config is not supported; use model_config_list"
              : "the config has no model_config_list");
    }
    List<ServedModel> list = new ArrayList<>();
    for (ModelConfig c : proto.getModelConfigList().getConfigList()) {
      list.add(ServedModel.fromProto(c));
    }
    return new ServingConfig(list);
  }

  /** TF Serving's {@code ModelServerConfig}. */
  public ModelServerConfig toProto() {
    ModelConfigList.Builder list = ModelConfigList.newBuilder();
    for (ServedModel m : models) {
      list.addConfig(m.toProto());
    }
    return ModelServerConfig.newBuilder().setModelConfigList(list).build();
  }

  /** The config in TF Serving's text format, as {@code --model_config_file} reads it. */
  public String toText() {
    return TextFormat.printer().printToString(toProto());
  }

  /**
   * Parses the text format.
   *
   * @param source names the text in error messages (e.g. the file name)
   * @throws IllegalArgumentException naming the source, line and column when the text is not a valid
   *     config, or naming the model when an entry breaks a rule
   */
  public static ServingConfig parse(String text, String source) {
    ModelServerConfig.Builder b = ModelServerConfig.newBuilder();
    try {
      TextFormat.getParser().merge(text, b);
    } catch (TextFormat.ParseException e) {
      throw new IllegalArgumentException(
          source + ": not a TF Serving model config: " + TextErrors.describe(e), e);
    }
    try {
      return fromProto(b.build());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
    }
  }

  /** Reads a model config file in TF Serving's text format. */
  public static ServingConfig read(Path file) {
    return parse(ConfigFiles.readString(file, "model config file"), file.toString());
  }

  /** Writes the text format to {@code file} through a temp file and a rename; returns the absolute path. */
  public Path write(Path file) {
    return AtomicFiles.writeString(file, toText());
  }

  public List<ServedModel> models() {
    return models;
  }

  /** The model of this name, if any. */
  public Optional<ServedModel> model(String name) {
    return models.stream().filter(m -> m.name().equals(name)).findFirst();
  }

  /** The model names, in config order. */
  public List<String> modelNames() {
    return models.stream().map(ServedModel::name).toList();
  }

  /** The same config with every base path replaced by {@code newBasePath.apply(model)}. */
  public ServingConfig mapBasePaths(Function<ServedModel, String> newBasePath) {
    return new ServingConfig(models.stream().map(m -> m.withBasePath(newBasePath.apply(m))).toList());
  }

  /**
   * Checks every model against the local file system: the base path is a folder that holds at least
   * one integer-named version folder (TF Serving ignores anything else), and versions named by a
   * specific policy or a label exist.
   *
   * @throws IllegalArgumentException naming the model and the path at the first problem
   */
  public ServingConfig checkModelFolders() {
    for (ServedModel m : models) {
      Path base = Paths.get(m.basePath());
      if (!Files.isDirectory(base)) {
        throw new IllegalArgumentException(
            "model '" + m.name() + "': base path " + base + " does not exist or is not a folder");
      }
      TreeSet<Long> versions = versionFolders(base);
      if (versions.isEmpty()) {
        throw new IllegalArgumentException(
            "model '"
                + m.name()
                + "': no version folders in "
                + base
                + " (TF Serving serves integer-named subfolders like 1/ or 00000123/)");
      }
      for (long v : m.specificVersions()) {
        if (!versions.contains(v)) {
          throw new IllegalArgumentException(
              "model '" + m.name() + "': version " + v + " is not in " + base + " (found " + versions + ")");
        }
      }
      m.labels().forEach((label, v) -> {
        if (!versions.contains(v)) {
          throw new IllegalArgumentException(
              "model '" + m.name() + "': label '" + label + "' names version " + v
                  + ", which is not in " + base + " (found " + versions + ")");
        }
      });
    }
    return this;
  }

  /** The integer-named subfolders of a base path, as version numbers. */
  static TreeSet<Long> versionFolders(Path base) {
    TreeSet<Long> versions = new TreeSet<>();
    try (Stream<Path> children = Files.list(base)) {
      children.filter(Files::isDirectory).forEach(p -> {
        String n = p.getFileName().toString();
        if (n.matches("[0-9]{1,18}")) {
          versions.add(Long.parseLong(n));
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + base + ": " + e.getMessage(), e);
    }
    return versions;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServingConfig && models.equals(((ServingConfig) o).models);
  }

  @Override
  public int hashCode() {
    return models.hashCode();
  }

  @Override
  public String toString() {
    return "ServingConfig" + modelNames();
  }
}
