package dev.tfkit.server.lifecycle;

import java.util.Objects;
import java.util.Optional;

/**
 * The state of one model version as status reports show it: the state and, for a failed load, the
 * error message (empty when all is well).
 */
public record VersionStatus(ServableId id, ServableState state, Optional<String> error) {
  public VersionStatus {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(error, "error");
  }

  static VersionStatus ok(ServableId id, ServableState state) {
    return new VersionStatus(id, state, Optional.empty());
  }

  static VersionStatus failed(ServableId id, String error) {
    return new VersionStatus(id, ServableState.END, Optional.of(error));
  }

  public long version() {
    return id.version();
  }
}
