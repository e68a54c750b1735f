package dev.tfkit.kernel;

import dev.tfkit.kernel.spec.KernelSpecs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How tests start the kernel: this JVM's java and the test classpath (which holds the kernel). */
final class TestKernels {
  private TestKernels() {}

  static String classpath() {
    // Surefire puts the full test classpath here; java.class.path may be a manifest-only jar.
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  static List<String> argv() {
    return argv(classpath());
  }

  /** The same kernel command with another class path. */
  static List<String> argv(String classpath) {
    List<String> options = new ArrayList<>(List.of("-Xmx512m", "-XX:+UseSerialGC"));
    String root = System.getProperty("tfkit.repo.root");
    if (root != null) options.add("-Dtfkit.repo.root=" + root);
    return KernelSpecs.argv(KernelSpecs.currentJava(), classpath, options);
  }

  /**
   * Jupyter's folders all under {@code root} (kernelspecs in {@code root/jupyter/kernels}), so a
   * test's Jupyter sees only the kernelspecs it installed there and writes nothing elsewhere.
   */
  static Map<String, String> isolatedJupyterEnv(Path root) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("JUPYTER_PATH", root.resolve("jupyter").toString());
    env.put("JUPYTER_DATA_DIR", root.resolve("data").toString());
    env.put("JUPYTER_RUNTIME_DIR", root.resolve("runtime").toString());
    env.put("JUPYTER_CONFIG_DIR", root.resolve("config").toString());
    return env;
  }
}
