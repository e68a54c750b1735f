package dev.tfkit.kernel;

import java.io.OutputStream;
import java.io.PrintStream;
import java.security.Permission;

/**
 * Keeps {@code System.exit} in a cell from ending the kernel: a security manager that allows
 * everything except exiting from a cell's thread (or from code a cell defined), which gets a
 * {@link SecurityException} that the cell reports as its error.
 *
 * <p>Security managers are deprecated for removal but still work on Java 17; where one cannot be
 * installed (a later JDK without {@code -Djava.security.manager=allow}) the guard is skipped.
 */
@SuppressWarnings("removal")
final class ExitGuard extends SecurityManager {
  /** Parent of every evaluator's cell thread group. */
  static final ThreadGroup CELLS = new ThreadGroup("tfkit-cells");

  private static volatile boolean installed;

  private ExitGuard() {}

  /** Installs the guard once per JVM; returns whether it is active. */
  static synchronized boolean install() {
    if (installed) return true;
    SecurityManager current = System.getSecurityManager();
    if (current instanceof ExitGuard) return installed = true;
    if (current != null) return false;
    PrintStream err = System.err;
    try {
      // Java 17 prints a deprecation warning on stderr for this call; it is expected here.
      System.setErr(new PrintStream(OutputStream.nullOutputStream()));
      System.setSecurityManager(new ExitGuard());
      installed = true;
    } catch (UnsupportedOperationException | SecurityException notAllowed) {
      installed = false;
    } finally {
      System.setErr(err);
    }
    return installed;
  }

  @Override
  public void checkExit(int status) {
    if (fromCell()) {
      throw new SecurityException(
          "System.exit(" + status + ") was called in a cell; the kernel keeps running (restart it from the notebook instead)");
    }
  }

  private boolean fromCell() {
    for (ThreadGroup g = Thread.currentThread().getThreadGroup(); g != null; g = g.getParent()) {
      if (g == CELLS) return true;
    }
    for (Class<?> c : getClassContext()) {
      // Classes a cell defines live in JShell's package REPL.
      if (c.getName().startsWith("REPL.")) return true;
    }
    return false;
  }

  @Override
  public void checkPermission(Permission perm) {
    // Everything else is allowed: the guard is about exiting, not sandboxing.
  }

  @Override
  public void checkPermission(Permission perm, Object context) {}
}
