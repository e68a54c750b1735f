package dev.tfkit.kernel;

import java.lang.reflect.Field;
import java.security.Permission;
import java.util.Map;

/**
 * Keeps {@code System.exit} in a cell from ending the kernel: a security manager that allows
 * everything except exiting from a cell's thread (or from code a cell defined), which gets a
 * {@link SecurityException} that the cell reports as its error.
 *
 * <p>Security managers are deprecated for removal but still work on Java 17. Installing one makes
 * the JDK print a deprecation warning on the process's stderr, so the guard is installed only where
 * the JVM was started with {@link JavaEvaluator#EXIT_GUARD_JVM_OPTIONS} (kernel.json, {@code ./tfkit}, the tests), which let
 * it be installed without the warning; elsewhere (an evaluator embedded in another program's JVM)
 * the guard is skipped quietly and {@code System.exit} in a cell ends that JVM.
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
    // Java 17+ prints "A terminally deprecated method ... has been called" for the first call of
    // each caller class, on the JVM's initial stderr (System.setErr cannot hide it): the user's
    // terminal or Jupyter's log. It is only silent when this class is already on the JDK's list of
    // warned callers, which needs java.lang opened to us (JavaEvaluator.EXIT_GUARD_JVM_OPTIONS); without that, no guard.
    if (!markWarned()) return false;
    try {
      System.setSecurityManager(new ExitGuard());
      installed = true;
    } catch (UnsupportedOperationException | SecurityException notAllowed) {
      // Java 18+ without -Djava.security.manager=allow, or a JDK without security managers.
      installed = false;
    }
    return installed;
  }

  /** Records this class as already warned by System.setSecurityManager; false when that is not possible. */
  @SuppressWarnings("unchecked")
  private static boolean markWarned() {
    try {
      Class<?> holder = Class.forName("java.lang.System$CallersHolder");
      if (!System.class.getModule().isOpen("java.lang", ExitGuard.class.getModule())) return false;
      Field f = holder.getDeclaredField("callers");
      f.setAccessible(true);
      ((Map<Class<?>, Boolean>) f.get(null)).put(ExitGuard.class, Boolean.TRUE);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Another JDK's internals: installing would warn, so the guard is skipped.
      return false;
    }
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
