package dev.tfkit.server.lifecycle;

import dev.tfkit.server.util.RequestException;
import java.util.Objects;
import java.util.Optional;

/**
 * The server's view of one model version as status reports show it: the state and, for a failed
 * load, the error message and its canonical code (empty when all is well). The client's view of
 * the same report is {@code dev.tfkit.serving.VersionStatus}.
 */
public record ServableStatus(
    ServableId id, ServableState state, Optional<String> error, Optional<RequestException.Code> code) {
  public ServableStatus {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(code, "code");
    if (error.isPresent() && code.isEmpty()) {
      code = Optional.of(RequestException.Code.UNKNOWN);
    }
  }

  /** A status whose error, if any, has no known code (UNKNOWN). */
  public ServableStatus(ServableId id, ServableState state, Optional<String> error) {
    this(id, state, error, Optional.empty());
  }

  static ServableStatus ok(ServableId id, ServableState state) {
    return new ServableStatus(id, state, Optional.empty());
  }

  static ServableStatus failed(ServableId id, String error, RequestException.Code code) {
    return new ServableStatus(id, ServableState.END, Optional.of(error), Optional.of(code));
  }

  public long version() {
    return id.version();
  }
}
