package dev.tfkit.kernel;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * JShell's local execution engine (snippets run in this JVM) with three additions the notebook
 * needs: each snippet's value is kept as the real object (so it can be rendered as an image or a
 * table, not just its {@code toString}), a running snippet can be stopped, and an optional time
 * limit per statement.
 */
final class CellExecutionControl extends LocalExecutionControl {
  /** Marks JShell's value strings that are keys into {@link #values}. */
  static final String VALUE_KEY_PREFIX = "\u0000tfkit-value:";

  /** Why the last snippet stopped early, if it did. */
  enum StopReason {
    NONE,
    INTERRUPTED,
    TIMEOUT
  }

  private final ThreadGroup cellThreads;
  private final Map<String, Object> values = new ConcurrentHashMap<>();
  private final AtomicLong nextKey = new AtomicLong();
  private final Set<Thread> running = ConcurrentHashMap.newKeySet();
  private final JavaEvaluator owner;
  private volatile long timeoutMillis;
  private volatile StopReason stopReason = StopReason.NONE;

  private final ClassLoader cellLoader;

  CellExecutionControl(JavaEvaluator owner, ThreadGroup cellThreads, CellClasspath.CellLoaderDelegate loaders) {
    super(loaders);
    this.cellLoader = loaders.loader;
    this.owner = owner;
    this.cellThreads = cellThreads;
  }

  /** A provider handing JShell this engine. */
  static ExecutionControlProvider provider(CellExecutionControl control) {
    return new ExecutionControlProvider() {
      @Override
      public String name() {
        return "tfkit-local";
      }

      @Override
      public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
        return control;
      }
    };
  }

  void setTimeoutMillis(long millis) {
    this.timeoutMillis = millis;
  }

  long timeoutMillis() {
    return timeoutMillis;
  }

  /** The object behind a JShell value string, or the string itself when it is not a key. */
  Object takeValue(String valueString) {
    if (valueString != null && valueString.startsWith(VALUE_KEY_PREFIX)) {
      return values.remove(valueString);
    }
    return valueString;
  }

  boolean isValueKey(String valueString) {
    return valueString != null && valueString.startsWith(VALUE_KEY_PREFIX);
  }

  void clearValues() {
    values.clear();
  }

  StopReason stopReason() {
    return stopReason;
  }

  void resetStopReason() {
    stopReason = StopReason.NONE;
  }

  boolean isCellThread(Thread t) {
    for (ThreadGroup g = t.getThreadGroup(); g != null; g = g.getParent()) {
      if (g == cellThreads) return true;
    }
    return false;
  }

  @Override
  protected String invoke(Method doitMethod) throws Exception {
    // An interrupt that came while the cell was still compiling stops it before it runs.
    if (stopReason != StopReason.NONE) throw new StoppedException();
    Object[] result = new Object[1];
    Throwable[] failure = new Throwable[1];
    Thread t =
        new Thread(
            cellThreads,
            () -> {
              owner.bindCellThread();
              try {
                result[0] = doitMethod.invoke(null);
              } catch (Throwable e) {
                failure[0] = e;
              }
            },
            "tfkit-cell",
            0);
    t.setDaemon(true);
    // Libraries that look classes up through the context loader (ServiceLoader, ...) find the
    // user's jars, like the cell's own code does.
    t.setContextClassLoader(cellLoader);
    running.add(t);
    try {
      t.start();
      long limit = timeoutMillis;
      if (limit > 0) {
        t.join(limit);
        if (t.isAlive()) {
          stopReason = StopReason.TIMEOUT;
          stopThread(t);
        }
      }
      t.join();
    } finally {
      running.remove(t);
    }
    Throwable f = failure[0];
    if (f instanceof InvocationTargetException ite) {
      if (ite.getCause() instanceof ThreadDeath && stopReason != StopReason.NONE) {
        throw new StoppedException();
      }
      throw ite;
    }
    if (f instanceof ThreadDeath) throw new StoppedException();
    if (f != null) throw new InternalException(f.toString());
    String key = VALUE_KEY_PREFIX + nextKey.incrementAndGet();
    if (result[0] != null) values.put(key, result[0]);
    return key;
  }

  @Override
  public void stop() {
    stopReason = StopReason.INTERRUPTED;
    for (Thread t : running) stopThread(t);
  }

  /** Whether a snippet is running now. */
  boolean isRunning() {
    return !running.isEmpty();
  }

  @SuppressWarnings({"deprecation", "removal"})
  private static void stopThread(Thread t) {
    // Thread.stop is the only way to end a busy loop that never checks for interruption; JShell's
    // own local engine does the same. It is still supported on Java 17.
    try {
      t.stop();
    } catch (UnsupportedOperationException e) {
      t.interrupt();
    }
  }

  @Override
  protected void clientCodeEnter() {
    // LocalExecutionControl tracks its own thread for stop(); we run snippets on ours.
  }

  @Override
  protected void clientCodeLeave() {}
}
