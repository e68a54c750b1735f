package dev.tfkit.kernel;

import dev.tfkit.kernel.spec.KernelSpecs;
import java.util.ArrayList;
import java.util.List;

/** How tests start the kernel: this JVM's java and the test classpath (which holds the kernel). */
final class TestKernels {
  private TestKernels() {}

  static String classpath() {
    // Surefire puts the full test classpath here; java.class.path may be a manifest-only jar.
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  static List<String> argv() {
    List<String> options = new ArrayList<>(List.of("-Xmx512m", "-XX:+UseSerialGC"));
    String root = System.getProperty("tfkit.repo.root");
    if (root != null) options.add("-Dtfkit.repo.root=" + root);
    return KernelSpecs.argv(KernelSpecs.currentJava(), classpath(), options);
  }
}
