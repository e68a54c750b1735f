package dev.tfkit.kernel.spec;

import dev.tfkit.kernel.protocol.KernelClient;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A class-data-sharing archive for the kernel's JVM (HotSpot's dynamic AppCDS archive): the classes
 * a kernel start and a first cell load (the kernel, JShell, javac, tfkit's startup imports), stored
 * parsed and verified, so the next start maps them instead of loading them again.
 *
 * <p>{@code tfkit kernel install} makes one by a training start ({@link #train}) and puts it beside
 * {@code kernel.json}; the kernelspec's {@code argv} then names it ({@link #using}). HotSpot checks
 * that the archive matches the JVM and every jar on the class path (path, size, time); when it does
 * not (tfkit rebuilt, another JDK), the JVM starts as without one, and the options here keep that
 * silent: a stale archive costs the saved time, never a failed start or a warning in Jupyter's log.
 */
public final class ClassDataArchive {
  /** The archive's file name in a kernelspec folder. */
  public static final String FILE_NAME = "tfkit-kernel.jsa";

  /** What the training start runs: a value, a display and a collection, like a first cell. */
  static final String TRAINING_CELL = "display(\"tfkit\"); java.util.List.of(1, 2).size()";

  private ClassDataArchive() {}

  /**
   * {@code argv} (a kernel command: java first) with the JVM options that use {@code archive}:
   * {@code -XX:SharedArchiveFile}, {@code -Xshare:auto} (a missing or stale archive is skipped) and
   * CDS logging off (HotSpot would warn about a stale archive on every start).
   */
  public static List<String> using(List<String> argv, Path archive) {
    return withJvmOptions(argv, List.of(
        "-XX:SharedArchiveFile=" + archive.toAbsolutePath().normalize(),
        "-Xshare:auto",
        "-Xlog:cds=off",
        "-Xlog:cds+dynamic=off"));
  }

  /**
   * Starts the kernel {@code argv} with {@code -XX:ArchiveClassesAtExit=archive}, runs {@link
   * #TRAINING_CELL}, shuts it down and checks that the JVM wrote the archive on exit.
   *
   * @throws IOException when the kernel did not start, the cell failed or no archive was written
   *     (e.g. a JVM without HotSpot's CDS), with the kernel's log
   */
  public static void train(List<String> argv, Path archive, Duration timeout)
      throws IOException, InterruptedException {
    Objects.requireNonNull(archive, "archive");
    int cp = KernelSpecs.classpathIndex(argv);
    if (cp >= 0) {
      for (String entry : argv.get(cp).split(File.pathSeparator)) {
        if (!entry.isEmpty() && Files.isDirectory(Path.of(entry))) {
          // HotSpot archives classes from jars only, and refuses to dump with a folder on the path.
          throw new IOException("a class-data archive needs a class path of jars; " + entry + " is a folder");
        }
      }
    }
    Files.deleteIfExists(archive);
    List<String> cmd =
        withJvmOptions(argv, List.of("-XX:ArchiveClassesAtExit=" + archive.toAbsolutePath().normalize()));
    KernelClient k;
    try {
      k = KernelClient.start(cmd, Map.of(), timeout);
    } catch (TimeoutException | IllegalStateException e) {
      throw new IOException("the training start of the kernel failed: " + e.getMessage(), e);
    }
    try {
      KernelClient.Reply r = k.execute(TRAINING_CELL, timeout);
      if (!"ok".equals(r.content().path("status").asText())) {
        throw new IOException("the training cell failed: " + r.content() + "\n" + k.kernelLog());
      }
    } catch (TimeoutException e) {
      throw new IOException("the training cell timed out after " + timeout, e);
    } finally {
      k.close(); // shutdown_request; the JVM writes the archive as it exits
    }
    String log = k.kernelLog();
    if (!Files.isRegularFile(archive) || Files.size(archive) == 0) {
      throw new IOException("the kernel's JVM wrote no class-data archive at " + archive
          + " (a JVM without HotSpot's -XX:ArchiveClassesAtExit?)" + (log.isBlank() ? "" : ":\n" + log));
    }
  }

  /**
   * Why the class-data archive the kernel command {@code argv} names cannot be used now (missing, or
   * made for other jars or another JVM: HotSpot would skip it), or empty when it can or {@code argv}
   * names none. Asks HotSpot itself: the command's java and JVM options with {@code -Xshare:on}
   * and {@code -version}, which fails unless the archive maps.
   */
  public static Optional<String> whyUnusable(List<String> argv) throws IOException, InterruptedException {
    String archive = null;
    for (String a : argv) {
      if (a.startsWith("-XX:SharedArchiveFile=")) archive = a.substring("-XX:SharedArchiveFile=".length());
    }
    if (archive == null) return Optional.empty();
    if (!Files.isRegularFile(Path.of(archive))) return Optional.of("its class-data archive " + archive + " is missing");
    int cp = KernelSpecs.classpathIndex(argv);
    if (cp < 0) return Optional.of("it names a class-data archive but no -cp");
    List<String> probe = new ArrayList<>();
    for (String a : argv.subList(0, cp + 1)) {
      if (a.startsWith("-Xshare:") || a.startsWith("-Xlog:cds")) continue;
      probe.add(a);
    }
    probe.add("-Xshare:on");
    probe.add("-version");
    Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return Optional.of("HotSpot did not answer whether its class-data archive maps within 60 s");
    }
    if (p.exitValue() == 0) return Optional.empty();
    String why = out.lines().filter(l -> l.contains("archive") || l.contains("mismatch")).findFirst()
        .orElse(out.lines().findFirst().orElse("exit code " + p.exitValue())).strip();
    return Optional.of("its class-data archive " + archive + " no longer matches its jars or Java (" + why + ")");
  }

  /** {@code argv} with {@code options} right after the java executable. */
  private static List<String> withJvmOptions(List<String> argv, List<String> options) {
    if (argv.isEmpty()) throw new IllegalArgumentException("argv is empty: no java executable");
    List<String> out = new ArrayList<>(argv.size() + options.size());
    out.add(argv.get(0));
    out.addAll(options);
    out.addAll(argv.subList(1, argv.size()));
    return out;
  }
}
