package dev.tfkit.server.lifecycle;

/**
 * A request's hold on a loaded version: while any handle is open the version stays loaded, even
 * after a newer version replaced it. Close it when the request is done.
 *
 * @param <S> the servable type
 */
public final class ServableHandle<S> implements AutoCloseable {
  private final LoadedVersion<S> loaded;
  private boolean closed;

  ServableHandle(LoadedVersion<S> loaded) {
    this.loaded = loaded;
  }

  public S servable() {
    return loaded.servable();
  }

  public ServableId id() {
    return loaded.id();
  }

  public long version() {
    return loaded.id().version();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      loaded.release();
    }
  }
}
