package dev.tfkit.server.lifecycle;

import java.util.Objects;

/** Names one version of one model, the unit the manager loads and unloads. */
public record ServableId(String name, long version) {
  public ServableId {
    Objects.requireNonNull(name, "name");
  }

  /** Written the way TF Serving logs it: {@code {name: half_plus_two version: 123}}. */
  @Override
  public String toString() {
    return "{name: " + name + " version: " + version + "}";
  }
}
