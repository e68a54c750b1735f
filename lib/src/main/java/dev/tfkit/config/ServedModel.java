package dev.tfkit.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import tensorflow.serving.FileSystemStoragePathSource.FileSystemStoragePathSourceConfig.ServableVersionPolicy;
import tensorflow.serving.ModelServerConfigOuterClass.ModelConfig;

/**
 * One model entry of a TF Serving model config file: name, base path, platform, version policy and
 * version labels. Immutable; {@link #toProto()} gives TF Serving's {@code ModelConfig}.
 *
 * <pre>{@code
 * ServedModel m = ServedModel.of("half_plus_two", "/models/half_plus_two")
 *     .withSpecificVersions(123, 124)
 *     .withLabel("stable", 123).withLabel("canary", 124);
 * }</pre>
 */
public final class ServedModel {

  /** Model names become URL path segments and Docker mount targets: keep them to a safe set. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  /** The platform TF Serving uses for SavedModels. */
  public static final String TENSORFLOW = "tensorflow";

  private final String name;
  private final String basePath;
  private final String platform;
  private final ServableVersionPolicy versionPolicy; // null: TF Serving's default (latest 1)
  private final Map<String, Long> labels;

  private ServedModel(
      String name,
      String basePath,
      String platform,
      ServableVersionPolicy versionPolicy,
      Map<String, Long> labels) {
    this.name = name;
    this.basePath = basePath;
    this.platform = platform;
    this.versionPolicy = versionPolicy;
    this.labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
  }

  /**
   * A model served from {@code basePath} (the folder holding numeric version folders) with platform
   * "tensorflow" and TF Serving's default policy (the latest version).
   *
   * @throws IllegalArgumentException when the name is empty or has characters other than letters,
   *     digits, '.', '_' and '-', or the base path is empty
   */
  public static ServedModel of(String name, String basePath) {
    checkName(name);
    if (basePath == null || basePath.isBlank()) {
      throw new IllegalArgumentException("model '" + name + "': base_path is missing");
    }
    return new ServedModel(name, basePath, TENSORFLOW, null, Map.of());
  }

  /** Like {@link #of(String, String)} with the absolute, normalized form of a local folder. */
  public static ServedModel of(String name, Path basePath) {
    Objects.requireNonNull(basePath, "basePath");
    return of(name, basePath.toAbsolutePath().normalize().toString());
  }

  static void checkName(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("model name is missing");
    }
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "model name '" + name + "' is not allowed: use letters, digits, '.', '_' and '-'");
    }
  }

  /**
   * Reads a model from TF Serving's {@code ModelConfig}, checking the same rules as {@link
   * #of(String, String)}.
   */
  public static ServedModel fromProto(ModelConfig config) {
    ServedModel m = of(config.getName(), config.getBasePath());
    String platform = config.getModelPlatform().isEmpty() ? TENSORFLOW : config.getModelPlatform();
    ServableVersionPolicy policy =
        config.hasModelVersionPolicy() ? config.getModelVersionPolicy() : null;
    return new ServedModel(m.name, m.basePath, platform, policy, config.getVersionLabelsMap());
  }

  /** TF Serving's {@code ModelConfig} for this model. */
  public ModelConfig toProto() {
    ModelConfig.Builder b =
        ModelConfig.newBuilder().setName(name).setBasePath(basePath).setModelPlatform(platform);
    if (versionPolicy != null) {
      b.setModelVersionPolicy(versionPolicy);
    }
    b.putAllVersionLabels(labels);
    return b.build();
  }

  public String name() {
    return name;
  }

  public String basePath() {
    return basePath;
  }

  public String platform() {
    return platform;
  }

  /** The version policy, or null when TF Serving's default (serve the latest version) applies. */
  public ServableVersionPolicy versionPolicy() {
    return versionPolicy;
  }

  /** Version labels (label → version), in insertion order. */
  public Map<String, Long> labels() {
    return labels;
  }

  /** The same model with another base path (e.g. its path inside a container). */
  public ServedModel withBasePath(String newBasePath) {
    if (newBasePath == null || newBasePath.isBlank()) {
      throw new IllegalArgumentException("model '" + name + "': base_path is missing");
    }
    return new ServedModel(name, newBasePath, platform, versionPolicy, labels);
  }

  /** The same model on another platform name (as registered in TF Serving's platform config). */
  public ServedModel withPlatform(String newPlatform) {
    if (newPlatform == null || newPlatform.isBlank()) {
      throw new IllegalArgumentException("model '" + name + "': model_platform is empty");
    }
    return new ServedModel(name, basePath, newPlatform, versionPolicy, labels);
  }

  /** Serve the {@code n} highest versions found. */
  public ServedModel withLatestVersions(int n) {
    if (n < 1) {
      throw new IllegalArgumentException(
          "model '" + name + "': latest num_versions must be at least 1, got " + n);
    }
    return withPolicy(
        ServableVersionPolicy.newBuilder()
            .setLatest(ServableVersionPolicy.Latest.newBuilder().setNumVersions(n))
            .build());
  }

  /** Serve every version found. */
  public ServedModel withAllVersions() {
    return withPolicy(
        ServableVersionPolicy.newBuilder().setAll(ServableVersionPolicy.All.getDefaultInstance()).build());
  }

  /** Serve exactly these versions. */
  public ServedModel withSpecificVersions(long... versions) {
    if (versions.length == 0) {
      throw new IllegalArgumentException("model '" + name + "': specific policy needs a version");
    }
    List<Long> list = new ArrayList<>();
    for (long v : versions) {
      if (v < 0) {
        throw new IllegalArgumentException("model '" + name + "': negative version " + v);
      }
      if (list.contains(v)) {
        throw new IllegalArgumentException("model '" + name + "': version " + v + " listed twice");
      }
      list.add(v);
    }
    return withPolicy(
        ServableVersionPolicy.newBuilder()
            .setSpecific(ServableVersionPolicy.Specific.newBuilder().addAllVersions(list))
            .build());
  }

  private ServedModel withPolicy(ServableVersionPolicy policy) {
    return new ServedModel(name, basePath, platform, policy, labels);
  }

  /**
   * The same model with {@code label} naming {@code version}. TF Serving only accepts labels for
   * versions it serves, so with a specific policy the version must be one of them.
   */
  public ServedModel withLabel(String label, long version) {
    if (label == null || !NAME.matcher(label).matches()) {
      throw new IllegalArgumentException("model '" + name + "': bad version label '" + label + "'");
    }
    Map<String, Long> copy = new LinkedHashMap<>(labels);
    copy.put(label, version);
    return new ServedModel(name, basePath, platform, versionPolicy, copy);
  }

  /** Versions named by a specific policy, or an empty list for latest/all/default. */
  public List<Long> specificVersions() {
    return versionPolicy != null && versionPolicy.hasSpecific()
        ? versionPolicy.getSpecific().getVersionsList()
        : List.of();
  }

  /** Checks rules that need the whole entry (labels against a specific policy). */
  void checkConsistent() {
    List<Long> specific = specificVersions();
    if (!specific.isEmpty()) {
      for (Map.Entry<String, Long> e : labels.entrySet()) {
        if (!specific.contains(e.getValue())) {
          throw new IllegalArgumentException(
              "model '"
                  + name
                  + "': label '"
                  + e.getKey()
                  + "' names version "
                  + e.getValue()
                  + ", which the specific policy "
                  + specific
                  + " does not serve");
        }
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServedModel && toProto().equals(((ServedModel) o).toProto());
  }

  @Override
  public int hashCode() {
    return toProto().hashCode();
  }

  @Override
  public String toString() {
    return "ServedModel" + Arrays.asList(name, basePath, platform) + labels;
  }
}
