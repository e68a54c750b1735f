package dev.tfkit.server.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of REST request bodies the gateway holds at once, across all connections: a body
 * reserves its bytes before they are read and gives them back once its answer is built, so many
 * large requests at once are refused (503) instead of exhausting the heap.
 */
final class BodyBudget {
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  BodyBudget(long limit) {
    this.limit = limit;
  }

  /** Reserves {@code bytes}; false (and nothing reserved) when that would go over the limit. */
  boolean tryReserve(long bytes) {
    while (true) {
      long u = used.get();
      if (bytes > limit - u) {
        return false;
      }
      if (used.compareAndSet(u, u + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  long limit() {
    return limit;
  }

  long used() {
    return used.get();
  }
}
