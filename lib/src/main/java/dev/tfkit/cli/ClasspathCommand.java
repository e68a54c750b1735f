package dev.tfkit.cli;

import java.io.File;
import picocli.CommandLine.Command;

/**
 * {@code tfkit classpath}: prints the runtime classpath on its last line, for {@code jshell
 * --class-path "$(./tfkit classpath)"}.
 */
@Command(name = "classpath", description = "Print tfkit's runtime classpath (for jshell --class-path).")
final class ClasspathCommand implements Runnable {
  @Override
  public void run() {
    System.out.println(absoluteClasspath());
  }

  /** tfkit's runtime classpath (the launcher's {@code tfkit.classpath}, else this JVM's), as absolute paths. */
  static String absoluteClasspath() {
    String cp = System.getProperty("tfkit.classpath", System.getProperty("java.class.path"));
    // Absolute paths, so the line works from any directory.
    StringBuilder out = new StringBuilder();
    for (String p : cp.split(File.pathSeparator)) {
      if (p.isEmpty()) continue;
      if (out.length() > 0) out.append(File.pathSeparator);
      out.append(new File(p).getAbsolutePath());
    }
    return out.toString();
  }
}
