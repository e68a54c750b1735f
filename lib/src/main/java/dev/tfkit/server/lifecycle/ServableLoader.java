package dev.tfkit.server.lifecycle;

import dev.tfkit.server.util.RequestException;
import java.nio.file.Path;

/**
 * Turns a version folder into a servable and back: the one place the lifecycle meets the thing it
 * serves (a TensorFlow SavedModel in the server, a fake in tests).
 *
 * @param <S> the servable type
 */
public interface ServableLoader<S> {

  /**
   * Loads the version in {@code dir}; an exception's message becomes the version's error status.
   */
  S load(ServableId id, Path dir) throws Exception;

  /** Releases what {@link #load} acquired; called once no request uses the servable any more. */
  void unload(ServableId id, S servable) throws Exception;

  /**
   * The canonical code of a failed {@link #load}, as the version's status reports it (TF Serving's
   * status carries the load error's own code): a {@link dev.tfkit.server.util.RequestException}'s code
   * by default, else UNKNOWN.
   */
  default RequestException.Code errorCode(Throwable loadFailure) {
    for (Throwable t = loadFailure; t != null; t = t.getCause()) {
      if (t instanceof RequestException r) {
        return r.code();
      }
    }
    return RequestException.Code.UNKNOWN;
  }
}
