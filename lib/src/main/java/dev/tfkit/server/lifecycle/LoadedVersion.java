package dev.tfkit.server.lifecycle;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A loaded servable with a reference count: the manager holds one reference while the version is
 * served, each request one more; the last release hands it to the unloader.
 */
final class LoadedVersion<S> {
  private final ServableId id;
  private final S servable;
  private final AtomicInteger refs = new AtomicInteger(1);
  private final Consumer<LoadedVersion<S>> onLastRelease;

  LoadedVersion(ServableId id, S servable, Consumer<LoadedVersion<S>> onLastRelease) {
    this.id = id;
    this.servable = servable;
    this.onLastRelease = onLastRelease;
  }

  ServableId id() {
    return id;
  }

  S servable() {
    return servable;
  }

  /** Takes a reference unless the version is already on its way out (count reached zero). */
  boolean tryAcquire() {
    while (true) {
      int r = refs.get();
      if (r <= 0) {
        return false;
      }
      if (refs.compareAndSet(r, r + 1)) {
        return true;
      }
    }
  }

  void release() {
    if (refs.decrementAndGet() == 0) {
      onLastRelease.accept(this);
    }
  }

  int references() {
    return refs.get();
  }
}
