package dev.tfkit.server.tensorflow;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A trial load of a model version in a separate JVM before the server loads it, for folders from
 * sources the server does not trust: whatever TensorFlow's C++ does with them — a fatal CHECK the
 * Java checks ({@code NativeLimits}) do not know of, in the graph, the checkpoint or a warmup
 * request — can only end the trial process, which the server reports as the version's load error.
 * Costs one JVM and TensorFlow start per version (see docs/server.md), so it is off by default.
 */
public final class LoadProbe {
  /** Exit code of a trial whose load failed with a Java exception (the message is on stderr). */
  static final int REFUSED = 3;

  private static final int KEPT_STDERR_LINES = 6;

  private final Duration timeout;
  private final String mainClass;

  /** A probe that waits at most {@code timeout} for each trial. */
  public LoadProbe(Duration timeout) {
    this(timeout, LoadProbe.class.getName());
  }

  /** As {@link #LoadProbe(Duration)}, running another main class (for tests of the mechanism). */
  LoadProbe(Duration timeout, String mainClass) {
    this.timeout = timeout;
    this.mainClass = mainClass;
  }

  /**
   * Loads {@code dir} (and replays its warmup requests when {@code warmup}) in a child JVM.
   *
   * @throws IOException naming the folder, and the signal or error that ended the trial
   */
  public void check(Path dir, boolean warmup) throws IOException {
    check(dir, warmup, false);
  }

  /** As {@link #check(Path, boolean)}, with TF's {@code allow_soft_placement} as the server has it. */
  public void check(Path dir, boolean warmup, boolean allowSoftPlacement) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("-Xss4m");
    cmd.add(mainClass);
    cmd.add(dir.toAbsolutePath().toString());
    cmd.add(Boolean.toString(warmup));
    cmd.add(Boolean.toString(allowSoftPlacement));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    Deque<String> tail = new ArrayDeque<>();
    Thread reader = new Thread(() -> keepTail(p.getErrorStream(), tail), "load-probe-stderr");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("the trial load of " + dir + " in a separate process did not finish within "
            + timeout.toSeconds() + " s");
      }
      reader.join(1000);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the trial load of " + dir + " ran", e);
    }
    int code = p.exitValue();
    if (code == 0) return;
    String stderr;
    synchronized (tail) {
      stderr = String.join(" | ", tail);
    }
    if (code == REFUSED) {
      throw new IOException(stderr.isEmpty() ? "the trial load of " + dir + " failed" : stderr);
    }
    String how = code > 128 ? "was killed by signal " + (code - 128) + signalName(code - 128) : "exited with code " + code;
    throw new IOException("the trial load of " + dir + " in a separate process " + how
        + " (TensorFlow aborted on this model; the server did not load it)" + (stderr.isEmpty() ? "" : ": " + stderr));
  }

  private static String signalName(int signal) {
    return switch (signal) {
      case 6 -> " (SIGABRT)";
      case 9 -> " (SIGKILL)";
      case 11 -> " (SIGSEGV)";
      default -> "";
    };
  }

  private static void keepTail(InputStream err, Deque<String> tail) {
    try (var r = new BufferedReader(new InputStreamReader(err, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.isBlank()) continue;
        synchronized (tail) {
          tail.addLast(line.length() > 500 ? line.substring(0, 500) + "..." : line);
          while (tail.size() > KEPT_STDERR_LINES) tail.removeFirst();
        }
      }
    } catch (IOException ignored) {
      // the process is gone; what was read is kept
    }
  }

  /** The trial: load the folder as the server would, replay its warmup, exit 0 — or 3 with the error. */
  public static void main(String[] args) {
    boolean soft = args.length > 2 && Boolean.parseBoolean(args[2]);
    try (SavedModelServable s = SavedModelServable.load(
        Path.of(args[0]), new InputValidator(), new SessionOptions(SessionThreads.AUTO, soft))) {
      if (args.length > 1 && Boolean.parseBoolean(args[1])) {
        WarmupReplay.run(s, Path.of(args[0]));
      }
    } catch (Exception | LinkageError e) {
      System.err.println(e.getMessage() == null ? e.toString() : e.getMessage());
      System.exit(REFUSED);
    }
    System.exit(0);
  }
}
