package dev.tfkit.cli.notebooks;

import dev.tfkit.io.TempSiblings;
import dev.tfkit.kernel.JavaEvaluator;
import dev.tfkit.kernel.protocol.KernelClient;
import dev.tfkit.kernel.spec.KernelSpec;
import dev.tfkit.kernel.spec.ClassDataArchive;
import dev.tfkit.kernel.spec.KernelSpecs;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tfkit kernel bench}: the kernel's start-to-first-result time and a trivial cell's round
 * trip, beside plain {@code jshell} doing the same in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Time kernel start to first result and a trivial cell, beside plain jshell.")
final class KernelBenchCommand implements Callable<Integer> {
  @Option(names = "--starts", defaultValue = "3", description = "Cold starts of each (median reported; default ${DEFAULT-VALUE}).")
  int starts;

  @Option(names = "--cells", defaultValue = "200", description = "Trivial cells timed on a warm kernel/jshell (default ${DEFAULT-VALUE}).")
  int cells;

  @Option(names = "--class-data-archive", description = "Start tfkit's kernel with a class-data archive made"
      + " by a training start first, as `tfkit kernel install` does by default.")
  boolean classDataArchive;

  @Option(names = "--ijava", paramLabel = "PATH", description = "Also time IJava's kernel start to first result: its kernelspec folder, kernel.json, or ijava jar (a lib/ folder beside it is added).")
  Path ijava;

  private static final String CELL = "1 + 1";

  @Override
  public Integer call() throws Exception {
    if (starts < 1 || cells < 1) throw new IllegalArgumentException("--starts and --cells must be >= 1");
    List<String> kernelArgv = KernelSpecs.argv(KernelSpecs.currentJava(), KernelSpecs.currentClasspath(), List.of());
    Path cds = null;
    if (classDataArchive) {
      cds = Files.createTempDirectory("tfkit-bench-cds-");
      Path archive = cds.resolve(ClassDataArchive.FILE_NAME);
      ClassDataArchive.train(kernelArgv, archive, Duration.ofMinutes(2));
      kernelArgv = ClassDataArchive.using(kernelArgv, archive);
    }
    try {
      return run(kernelArgv);
    } finally {
      if (cds != null) TempSiblings.deleteTree(cds);
    }
  }

  private int run(List<String> kernelArgv) throws Exception {
    String jshell = Path.of(System.getProperty("java.home"), "bin", "jshell").toString();

    double[] kStart = new double[starts];
    double[] jStart = new double[starts];
    double[] iStart = new double[starts];
    IJavaKernel ij = ijava == null ? null : IJavaKernel.of(ijava);
    double[] kCell = null;
    double[] jCell = null;
    for (int i = 0; i < starts; i++) {
      // Alternate so that machine noise hits both alike.
      long t0 = System.nanoTime();
      try (KernelClient k = KernelClient.start(kernelArgv, Map.of(), Duration.ofMinutes(2))) {
        check(k.execute(CELL).iopub("execute_result").size() == 1, "kernel gave no result");
        kStart[i] = ms(System.nanoTime() - t0);
        if (i == starts - 1) kCell = kernelCells(k);
      }
      if (ij != null) {
        t0 = System.nanoTime();
        try (KernelClient k = KernelClient.start(ij.argv(), ij.env(), Duration.ofMinutes(2))) {
          check(k.execute(CELL).iopub("execute_result").size() == 1, "IJava's kernel gave no result");
          iStart[i] = ms(System.nanoTime() - t0);
        }
      }
      t0 = System.nanoTime();
      try (JShellProcess j = new JShellProcess(jshell)) {
        j.eval(CELL);
        jStart[i] = ms(System.nanoTime() - t0);
        if (i == starts - 1) jCell = jshellCells(j);
      }
    }
    double[] inProc = inProcessCells();

    double ks = median(kStart);
    double js = median(jStart);
    double kc = median(kCell);
    double jc = median(jCell);
    System.out.printf("java %s, %d cold starts (median), %d trivial cells '%s' (median)%s%n",
        System.getProperty("java.version"), starts, cells, CELL,
        classDataArchive ? "; tfkit's kernel with a class-data archive" : "");
    System.out.printf("start to first result: kernel %.0f ms, jshell %.0f ms, ratio %.2f (target <= 1.5)%n", ks, js, ks / js);
    if (ij != null) {
      double is = median(iStart);
      System.out.printf("start to first result: kernel %.0f ms, IJava %.0f ms, ratio %.2f (target <= 1.1)%n", ks, is, ks / is);
      System.out.printf("  (each start: kernel %s ms; IJava %s ms)%n", list(kStart), list(iStart));
    }
    System.out.printf("trivial cell round trip: kernel %.2f ms, jshell %.2f ms, ratio %.2f (target <= 1.3)%n", kc, jc, kc / jc);
    System.out.printf("  (in-process JavaEvaluator.eval without the protocol: %.2f ms)%n", median(inProc));

    return 0;
  }

  private double[] kernelCells(KernelClient k) throws Exception {
    for (int i = 0; i < 20; i++) k.execute(CELL);
    double[] t = new double[cells];
    for (int i = 0; i < cells; i++) {
      long t0 = System.nanoTime();
      k.execute(CELL);
      t[i] = ms(System.nanoTime() - t0);
    }
    return t;
  }

  private double[] jshellCells(JShellProcess j) throws IOException {
    for (int i = 0; i < 20; i++) j.eval(CELL);
    double[] t = new double[cells];
    for (int i = 0; i < cells; i++) {
      long t0 = System.nanoTime();
      j.eval(CELL);
      t[i] = ms(System.nanoTime() - t0);
    }
    return t;
  }

  private double[] inProcessCells() {
    try (JavaEvaluator e = JavaEvaluator.builder().guardSystemExit(false).build()) {
      for (int i = 0; i < 20; i++) e.eval(CELL);
      double[] t = new double[cells];
      for (int i = 0; i < cells; i++) {
        long t0 = System.nanoTime();
        e.eval(CELL);
        t[i] = ms(System.nanoTime() - t0);
      }
      return t;
    }
  }

  private static String list(double[] v) {
    StringBuilder b = new StringBuilder();
    for (double d : v) b.append(b.length() == 0 ? "" : " ").append(Math.round(d));
    return b.toString();
  }

  /** IJava's kernel command line and environment, from its kernelspec or its jar. */
  record IJavaKernel(List<String> argv, Map<String, String> env) {
    static IJavaKernel of(Path path) throws IOException {
      Path spec = Files.isDirectory(path) ? path.resolve("kernel.json") : path;
      if (spec.getFileName().toString().endsWith(".json")) {
        if (!Files.isRegularFile(spec)) throw new IllegalArgumentException("--ijava: no kernel.json at " + spec);
        try {
          KernelSpec k = KernelSpec.read(spec.toAbsolutePath().getParent());
          return new IJavaKernel(k.argv(), k.env());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--ijava: " + e.getMessage(), e);
        }
      }
      if (!Files.isRegularFile(path)) throw new IllegalArgumentException("--ijava: no file " + path);
      String cp = path.toAbsolutePath().toString();
      Path lib = path.toAbsolutePath().getParent().resolve("lib");
      if (Files.isDirectory(lib)) cp += File.pathSeparator + lib + "/*";
      return new IJavaKernel(List.of(KernelSpecs.currentJava(), "-cp", cp, "io.github.spencerpark.ijava.IJava", "{connection_file}"), Map.of());
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) throw new IllegalStateException(what);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Plain jshell as a user runs it, fed through stdin; a value's "==>" line marks the answer. */
  private static final class JShellProcess implements AutoCloseable {
    private final Process p;
    private final Writer in;
    private final BufferedReader out;

    JShellProcess(String jshell) throws IOException {
      List<String> cmd = new ArrayList<>(List.of(jshell, "--feedback", "normal"));
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
      out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private boolean ready;

    void eval(String code) throws IOException {
      evalAll(code, 1);
    }

    /** Waits for jshell's first prompt: input written before it is ready may be lost. */
    private void awaitPrompt() throws IOException {
      StringBuilder seen = new StringBuilder();
      int c;
      while ((c = out.read()) >= 0) {
        seen.append((char) c);
        if (seen.length() > 64) seen.delete(0, seen.length() - 64);
        if (seen.toString().endsWith("jshell> ")) {
          ready = true;
          return;
        }
      }
      throw new IOException("jshell ended before its first prompt");
    }

    /** Writes {@code code} {@code times} times at once, then reads as many answers. */
    void evalAll(String code, int times) throws IOException {
      if (!ready) awaitPrompt();
      StringBuilder lines = new StringBuilder();
      for (int i = 0; i < times; i++) lines.append(code).append('\n');
      in.write(lines.toString());
      in.flush();
      for (int i = 0; i < times; i++) awaitAnswer(code);
    }

    private void awaitAnswer(String code) throws IOException {
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = out.read()) >= 0) {
        if (c == '\n') {
          if (line.indexOf("==>") >= 0) return;
          line.setLength(0);
        } else {
          line.append((char) c);
        }
      }
      throw new IOException("jshell ended before answering '" + code + "'");
    }

    @Override
    public void close() throws IOException {
      in.write("/exit\n");
      in.flush();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
