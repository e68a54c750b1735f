package dev.tfkit.server.lifecycle;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One served model: its name, the base path whose integer-named subfolders are its versions, the
 * version policy and the version labels (the fields of TF Serving's {@code ModelConfig} that the
 * lifecycle uses).
 */
public record ModelConfig(
    String name, Path basePath, VersionPolicy policy, Map<String, Long> versionLabels) {

  public ModelConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(basePath, "basePath");
    Objects.requireNonNull(policy, "policy");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("model name is empty");
    }
    versionLabels = Map.copyOf(new TreeMap<>(Objects.requireNonNull(versionLabels, "labels")));
  }

  /** A model served with the default policy (latest version) and no labels. */
  public static ModelConfig of(String name, Path basePath) {
    return new ModelConfig(name, basePath, VersionPolicy.latest(), Map.of());
  }

  public ModelConfig withPolicy(VersionPolicy p) {
    return new ModelConfig(name, basePath, p, versionLabels);
  }

  public ModelConfig withLabels(Map<String, Long> labels) {
    return new ModelConfig(name, basePath, policy, labels);
  }
}
