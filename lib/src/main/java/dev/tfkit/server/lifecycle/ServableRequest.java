package dev.tfkit.server.lifecycle;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Which version of a model a request wants: the latest available, a specific version, or the
 * version a label points to.
 */
public record ServableRequest(String name, OptionalLong version, Optional<String> label) {
  public ServableRequest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(label, "label");
    if (version.isPresent() && label.isPresent()) {
      throw new IllegalArgumentException("a request names a version or a label, not both");
    }
  }

  public static ServableRequest latest(String name) {
    return new ServableRequest(name, OptionalLong.empty(), Optional.empty());
  }

  public static ServableRequest specific(String name, long version) {
    return new ServableRequest(name, OptionalLong.of(version), Optional.empty());
  }

  public static ServableRequest labeled(String name, String label) {
    return new ServableRequest(name, OptionalLong.empty(), Optional.of(label));
  }

  /** TF Serving's wording, used in its NOT_FOUND messages: {@code Latest(x)}, {@code Specific(x, 1)}. */
  static String describe(String name, OptionalLong version) {
    return version.isPresent()
        ? "Specific(" + name + ", " + version.getAsLong() + ")"
        : "Latest(" + name + ")";
  }
}
