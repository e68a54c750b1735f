package dev.tfkit.kernel;

import dev.tfkit.kernel.magic.LineMagics;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What makes the evaluator run like IJava beyond its functions: IJava's {@code IJAVA_*} environment
 * variables, and cells that repeat the static imports of IJava's startup.
 */
final class IJavaEnvironment {
  private static final Pattern IJAVA_RUNTIME_STATIC_IMPORT = Pattern.compile(
      "(?m)^[ \\t]*import[ \\t]+static[ \\t]+io\\.github\\.spencerpark\\.ijava\\.runtime\\.(Display|Kernel|Magics)\\.\\*[ \\t]*;[ \\t]*$");

  private IJavaEnvironment() {}

  /** Applies IJava's environment variables to {@code b} (see {@link JavaEvaluator.Builder#environment}). */
  static void apply(Map<String, String> env, JavaEvaluator.Builder b) {
    String cp = env.get("IJAVA_CLASSPATH");
    if (cp != null && !cp.isBlank()) {
      for (String e : cp.split(File.pathSeparator)) if (!e.isBlank()) b.classpath(e.strip());
    }
    String opts = env.get("IJAVA_COMPILER_OPTS");
    if (opts != null && !opts.isBlank()) b.compilerOptions(LineMagics.split(opts).toArray(String[]::new));
    String t = env.get("IJAVA_TIMEOUT");
    if (t != null && !t.isBlank()) {
      long ms;
      try {
        ms = Long.parseLong(t.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("IJAVA_TIMEOUT must be milliseconds (or -1 for none), not '" + t + "'");
      }
      b.timeout(ms > 0 ? Duration.ofMillis(ms) : null);
    }
    String scripts = env.get("IJAVA_STARTUP_SCRIPTS_PATH");
    if (scripts != null && !scripts.isBlank()) {
      for (String e : scripts.split(File.pathSeparator)) {
        if (e.isBlank()) continue;
        for (Path p : LineMagics.expandGlobs(e.strip(), Path.of(""))) {
          if (Files.isRegularFile(p)) b.startupScript(p);
        }
      }
    }
    String script = env.get("IJAVA_STARTUP_SCRIPT");
    if (script != null && !script.isBlank()) b.startupScript("IJAVA_STARTUP_SCRIPT", script);
  }

  /**
   * IJava's startup imports {@code static io.github.spencerpark.ijava.runtime.Display.*} (and {@code
   * Kernel.*}, {@code Magics.*}); tfkit's {@code CellFunctions.*} has the same functions, so a cell that
   * repeats those imports would make {@code display(...)} ambiguous. Such lines are left out (kept
   * as blank lines, so line numbers stay right).
   */
  static String withoutRuntimeImports(String code) {
    if (!code.contains("io.github.spencerpark.ijava.runtime")) return code;
    return IJAVA_RUNTIME_STATIC_IMPORT.matcher(code).replaceAll("");
  }
}
