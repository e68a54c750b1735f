package dev.tfkit.serving;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The open connections, one per (protocol, target, options), counted by their users: opening a
 * second client for another model on the same server reuses the channel, and the channel closes
 * when the last client using it closes.
 */
final class SharedTransports {
  private SharedTransports() {}

  private record Key(String protocol, String target, ConnectionOptions options) {}

  private static final class Entry {
    final Transport transport;
    int users;

    Entry(Transport transport) {
      this.transport = transport;
    }
  }

  private static final Map<Key, Entry> OPEN = new HashMap<>();

  /** One user's hold on a shared transport; closing it twice releases once. */
  static final class Lease {
    private final Key key; // null: not shared (a caller-owned channel)
    private final Transport transport;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Lease(Key key, Transport transport) {
      this.key = key;
      this.transport = transport;
    }

    Transport transport() {
      return transport;
    }

    boolean isClosed() {
      return closed.get();
    }

    void close() {
      if (closed.compareAndSet(false, true) && key != null) release(key);
    }
  }

  /** Takes a hold on the transport for this key, opening it if nobody holds it. */
  static synchronized Lease acquire(
      String protocol, String target, ConnectionOptions options, Supplier<Transport> open) {
    Key key = new Key(protocol, target, options);
    Entry e = OPEN.get(key);
    if (e == null) {
      e = new Entry(open.get());
      OPEN.put(key, e);
    }
    e.users++;
    return new Lease(key, e.transport);
  }

  /** A lease on a transport nobody shares (closing it does not shut the transport down). */
  static Lease unshared(Transport transport) {
    return new Lease(null, transport);
  }

  private static void release(Key key) {
    Transport toShutdown = null;
    synchronized (SharedTransports.class) {
      Entry e = OPEN.get(key);
      if (e != null && --e.users == 0) {
        OPEN.remove(key);
        toShutdown = e.transport;
      }
    }
    // outside the lock: shutting a channel down waits for its calls
    if (toShutdown != null) toShutdown.shutdown();
  }

  /** How many distinct connections to {@code target} are open (for tests and diagnostics). */
  static synchronized int openConnections(String target) {
    int n = 0;
    for (Key k : OPEN.keySet()) if (k.target().equals(target)) n++;
    return n;
  }
}
