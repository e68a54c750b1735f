package dev.tfkit.kernel.protocol;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * The HMAC signatures a kernel connection has accepted, so that a message sent again with the same
 * frames (a replay) is recognised. Jupyter's own Session keeps such a history for the same reason.
 *
 * <p>The history is bounded: when it holds {@code capacity} signatures, the oldest half is
 * forgotten. A replay of a message older than that is not caught, which is the price of not growing
 * without limit on a long-lived kernel; a replay soon after the original is.
 */
final class SignatureHistory {
  /** Jupyter's default history size. */
  static final int DEFAULT_CAPACITY = 1 << 16;

  private final int capacity;
  private final Set<String> seen = new HashSet<>();
  private final ArrayDeque<String> order = new ArrayDeque<>();

  SignatureHistory(int capacity) {
    if (capacity < 2) throw new IllegalArgumentException("signature history capacity must be at least 2, got " + capacity);
    this.capacity = capacity;
  }

  /**
   * Records {@code signature}; returns false when it was already recorded (the message is a
   * replay), true when it is new.
   */
  synchronized boolean add(String signature) {
    if (seen.contains(signature)) return false;
    if (seen.size() >= capacity) {
      // Forget the oldest half at once rather than one per message: the cost is paid rarely.
      for (int i = capacity / 2; i > 0; i--) seen.remove(order.removeFirst());
    }
    seen.add(signature);
    order.addLast(signature);
    return true;
  }

  synchronized int size() {
    return seen.size();
  }
}
