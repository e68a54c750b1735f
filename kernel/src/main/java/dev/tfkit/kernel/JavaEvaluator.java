package dev.tfkit.kernel;

import dev.tfkit.kernel.display.DisplayRegistry;
import dev.tfkit.kernel.display.MimeBundle;
import dev.tfkit.kernel.magic.LineMagics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import jdk.jshell.JShell;

/**
 * Runs Java notebook cells: JShell in this JVM (so values are real objects), with IJava's magics,
 * rich display, interrupt and an optional time limit per statement. The Jupyter kernel and the
 * headless notebook runner both evaluate through this class; it needs no ZeroMQ.
 *
 * <pre>{@code
 * try (JavaEvaluator java = JavaEvaluator.builder().build()) {
 *   EvalResult r = java.eval("int x = 6;\nx * 7", out -> System.out.println(out));
 *   r.value().get().plainText();   // "42"
 * }
 * }</pre>
 *
 * <p>One cell runs at a time; {@link #interrupt()} may be called from any thread.
 *
 * <p>This class holds JShell's lifecycle and the state of the running cell; the parts are {@link
 * MagicRunner} (a cell's magics, and its Java in order), {@link SnippetRunner} (Java through JShell,
 * errors), {@link CellRun} (a cell's outputs), {@link CodeAnalysis} (completion, inspection) and
 * {@link IJavaEnvironment} ({@code IJAVA_*}).
 */
public final class JavaEvaluator implements AutoCloseable {
  /**
   * The snippets every notebook starts with: IJava's startup snippet as IJava 1.3.0 has it (its
   * seven imports and its {@code printf}), so that cells written for IJava compile unchanged, then
   * tfkit's own imports. (IJava's static imports of its runtime's {@code Display}, {@code Kernel}
   * and {@code Magics} are tfkit's {@code CellFunctions} functions here, but for {@code
   * getKernelInstance()}, which comes from IJava's runtime {@code Kernel} as in IJava: tfkit's own
   * API does not depend on IJava's.)
   */
  public static final List<String> DEFAULT_IMPORTS =
      List.of(
          "import java.util.*;",
          "import java.io.*;",
          "import java.math.*;",
          "import java.net.*;",
          "import java.util.concurrent.*;",
          "import java.util.prefs.*;",
          "import java.util.regex.*;",
          "void printf(String format, Object... args) { System.out.printf(format, args); }",
          "import java.nio.file.*;",
          "import dev.tfkit.*;",
          "import static dev.tfkit.Tfkit.*;",
          "import static dev.tfkit.kernel.CellFunctions.*;",
          "import static io.github.spencerpark.ijava.runtime.Kernel.getKernelInstance;");

  /**
   * JVM options that let the {@code System.exit} guard be installed without Java's "terminally
   * deprecated" warning on stderr (kernel.json and {@code ./tfkit} pass them); without them the
   * guard is skipped quietly and {@link #exitGuarded()} is false.
   */
  public static final List<String> EXIT_GUARD_JVM_OPTIONS =
      List.of("-Djava.security.manager=allow", "--add-opens=java.base/java.lang=ALL-UNNAMED");

  private static final InheritableThreadLocal<JavaEvaluator> CURRENT = new InheritableThreadLocal<>();
  private static volatile JavaEvaluator lastActive;

  private final JShell shell;
  private final CellExecutionControl control;
  private final CellClasspath cellClasspath;
  private final DisplayRegistry displays;
  private final OutputCapture capture;
  private final SnippetRunner snippets;
  private final MagicRunner magics;
  private final CodeAnalysis analysis;
  private final ReentrantLock lock = new ReentrantLock();
  private final int maxOutputChars;
  private final boolean exitGuarded;
  private final List<String> startupErrors = new ArrayList<>();
  private volatile CellRun currentRun;
  private volatile CellRun lastRun;
  private int cellCount;

  private JavaEvaluator(Builder b) {
    this.capture = OutputCapture.install();
    this.exitGuarded = b.guardSystemExit && ExitGuard.install();
    this.displays = b.displays != null ? b.displays : DisplayRegistry.withDefaults();
    this.maxOutputChars = b.maxOutputChars;
    ThreadGroup group = new ThreadGroup(ExitGuard.CELLS, "tfkit-cells-" + UUID.randomUUID());
    group.setDaemon(false);
    // Cells see tfkit's API and the libraries its signatures use, not the kernel's internals
    // (CellClasspath): a class loader of their own for running, a filtered view for compiling.
    this.cellClasspath = new CellClasspath(JavaEvaluator.class.getClassLoader());
    this.control = new CellExecutionControl(this, group, new CellClasspath.CellLoaderDelegate(cellClasspath.apiLoader));
    control.setTimeoutMillis(b.timeout == null ? 0 : b.timeout.toMillis());
    JShell.Builder jb =
        JShell.builder()
            .executionEngine(CellExecutionControl.provider(control), Map.of())
            .in(InputStream.nullInputStream())
            .out(capture.originalOut())
            .err(capture.originalErr())
            .fileManager(cellClasspath::compilerView);
    if (!b.compilerOptions.isEmpty()) jb.compilerOptions(b.compilerOptions.toArray(String[]::new));
    this.shell = jb.build();
    for (String cp : b.classpath) {
      for (String note : addUserEntry(cp)) capture.originalErr().println("tfkit kernel: " + note);
    }
    this.snippets = new SnippetRunner(shell, control);
    this.magics = new MagicRunner(this, snippets, b.mavenLocalRepository);
    this.analysis = new CodeAnalysis(shell, magics.lineMagics());
    for (String imp : b.imports) shell.eval(imp);
    for (Startup s : b.startup) {
      EvalResult r = evalInternal(s.code, EvalListener.NONE, s.origin);
      r.error().ifPresent(e -> startupErrors.add(s.origin + ": " + e.ename() + ": " + e.evalue()));
    }
    for (String err : startupErrors) capture.originalErr().println("tfkit kernel: startup script failed: " + err);
  }

  /** An evaluator configured like IJava from the environment ({@code IJAVA_*} variables). */
  public static JavaEvaluator create() {
    return builder().environment(System.getenv()).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The renderers used for values and {@code display(...)}; register more here. */
  public DisplayRegistry displays() {
    return displays;
  }

  /** Errors of startup scripts (they do not stop the evaluator), as one line each. */
  public List<String> startupErrors() {
    return List.copyOf(startupErrors);
  }

  /** Whether {@code System.exit} in a cell is caught (see the kernel docs). */
  public boolean exitGuarded() {
    return exitGuarded;
  }

  /** The per-statement time limit, or zero for none. */
  public Duration timeout() {
    return Duration.ofMillis(control.timeoutMillis());
  }

  public void setTimeout(Duration timeout) {
    control.setTimeoutMillis(timeout == null ? 0 : timeout.toMillis());
  }

  /** Evaluates a cell, collecting its outputs. */
  public EvalResult eval(String code) {
    return eval(code, EvalListener.NONE);
  }

  /**
   * Evaluates a cell: magic lines ({@code %maven ...}) and Java code in order, statement by
   * statement, stopping at the first error. Outputs reach {@code listener} as they happen and are
   * also returned in order.
   */
  public EvalResult eval(String code, EvalListener listener) {
    if (control.isCellThread(Thread.currentThread())) {
      throw new IllegalStateException("eval(...) from inside a cell: use CellFunctions.eval(code) instead");
    }
    lock.lock();
    try {
      control.resetStopReason();
      cellCount++;
      return evalInternal(code, listener, "cell " + cellCount);
    } finally {
      lock.unlock();
    }
  }

  /** Stops the running cell, if any; the evaluator stays usable. */
  public void interrupt() {
    // Only a running cell is interrupted; an interrupt while idle must not hit the next cell.
    if (lock.isLocked()) control.stop();
  }

  /** Adds jars or class folders for the next cells. */
  public void addToClasspath(String... entries) {
    for (String e : entries) addUserEntryNoting(e);
  }

  /**
   * Adds a user's jar or folder for the next cells; returns the notes on libraries it replaces for
   * the user's code (see {@link CellClasspath}).
   */
  private List<String> addUserEntry(String path) {
    List<String> notes = cellClasspath.addUserEntry(Path.of(path));
    shell.addToClasspath(path);
    return notes;
  }

  /** {@link #addUserEntry}, printing its notes on the running cell's stderr. */
  void addUserEntryNoting(String path) {
    List<String> notes = addUserEntry(path);
    if (notes.isEmpty()) return;
    CellRun run = currentRun;
    for (String n : notes) {
      if (run != null) run.write("stderr", n + "\n");
      else capture.originalErr().println("tfkit kernel: " + n);
    }
  }

  /** The libraries tfkit shares with cells that the user's jars replace (by name: "XChart", ...). */
  public Set<String> replacedLibraries() {
    return cellClasspath.replacedLibraries();
  }

  /** Completion candidates at {@code cursor}, magic names included. */
  public Completion complete(String code, int cursor) {
    return analysis.complete(code, cursor);
  }

  /** Documentation (signatures, and Javadoc when the JDK has sources) for what is at {@code cursor}. */
  public Optional<MimeBundle> inspect(String code, int cursor, boolean detail) {
    return analysis.inspect(code, cursor, detail);
  }

  /** Whether {@code code} is a complete cell (Jupyter's is_complete). */
  public Completeness isComplete(String code) {
    return analysis.isComplete(code);
  }

  @Override
  public void close() {
    control.stop();
    shell.close();
    if (lastActive == this) lastActive = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Evaluation

  private EvalResult evalInternal(String code, EvalListener listener, String origin) {
    CellRun run = new CellRun(listener, maxOutputChars);
    CellRun outer = currentRun;
    currentRun = run;
    lastRun = run;
    lastActive = this;
    capture.setActive(run);
    try {
      Object[] v = new Object[1];
      boolean hasValue = magics.evalCell(code, origin, run, v);
      MimeBundle bundle = null;
      if (run.error == null && hasValue && v[0] != null) {
        bundle = displays.render(v[0], w -> run.write("stderr", w + "\n"));
      }
      run.finish(bundle);
      return run.result(bundle);
    } finally {
      capture.clearActive(run);
      if (outer != null) capture.setActive(outer);
      currentRun = outer;
      control.clearValues();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Called from cells (through CellFunctions) and from cell threads

  /** The evaluator of the calling cell, or the last one that ran a cell. */
  static JavaEvaluator current() {
    JavaEvaluator e = CURRENT.get();
    if (e == null) e = lastActive;
    if (e == null) throw new IllegalStateException("no notebook cell is running in this JVM");
    return e;
  }

  void bindCellThread() {
    CURRENT.set(this);
    CellRun run = currentRun;
    capture.bindThread(run);
  }

  /** Shows {@code value} now (a new display) and returns its display id. */
  String display(Object value, String... mimeTypes) {
    CellRun run = activeRun();
    MimeBundle b = displays.render(value, w -> run.write("stderr", w + "\n"), mimeTypes);
    // A bundle that already has an id (IJava's DisplayData with setDisplayId) keeps it.
    String id = b.displayId().orElseGet(() -> UUID.randomUUID().toString());
    run.emit(new CellOutput.Display(b.withDisplayId(id), false));
    return id;
  }

  void updateDisplay(String id, Object value, String... mimeTypes) {
    CellRun run = activeRun();
    MimeBundle b = displays.render(value, w -> run.write("stderr", w + "\n"), mimeTypes);
    run.emit(new CellOutput.Display(b.withDisplayId(id), true));
  }

  /** {@code value} rendered as only {@code mimeTypes} (all it renders as when none are given). */
  MimeBundle renderAs(Object value, String... mimeTypes) {
    return displays.render(value, w -> {}, mimeTypes);
  }

  /** Runs a cell magic from inside a cell (IJava's {@code cellMagic}); see {@link MagicRunner}. */
  Object cellMagicFromCell(String name, List<String> args, String body) {
    return magics.cellMagicFromCell(name, args, body);
  }

  /** Runs a line magic from inside a cell ({@code var added = %jars ...}) and returns its value. */
  Object lineMagicFromCell(String name, List<String> args) throws IOException {
    return magics.lineMagic(name, args);
  }

  /** Evaluates code from inside a cell and returns its value (IJava's {@code eval}). */
  Object evalFromCell(String code) {
    return evalNested(code, false);
  }

  /** Runs code from inside a cell, its outputs going to that cell; with magics, line magics run too. */
  Object evalNested(String code, boolean withMagics) {
    CellRun run = activeRun();
    CellRun nested = new CellRun(o -> run.emit(o), maxOutputChars);
    CellRun saved = currentRun;
    currentRun = nested;
    try {
      Object[] v = new Object[1];
      if (withMagics) {
        magics.evalSegments(code, 0, "eval", nested, v);
      } else {
        snippets.eval(code, 0, code, "eval", nested, v);
      }
      nested.close();
      if (nested.error != null) {
        throw new IllegalStateException(nested.error.ename() + ": " + nested.error.evalue());
      }
      return v[0];
    } finally {
      nested.close();
      currentRun = saved;
      capture.bindThread(saved);
    }
  }

  CellRun activeRun() {
    CellRun r = currentRun != null ? currentRun : lastRun;
    if (r == null) {
      r = new CellRun(EvalListener.NONE, maxOutputChars);
      r.close();
    }
    return r;
  }

  private record Startup(String origin, String code) {}

  /** Configures an evaluator: classpath, imports, startup scripts, time limit, compiler options. */
  public static final class Builder {
    private final List<String> classpath = new ArrayList<>();
    private final List<String> imports = new ArrayList<>(DEFAULT_IMPORTS);
    private final List<Startup> startup = new ArrayList<>();
    private final List<String> compilerOptions = new ArrayList<>();
    private Duration timeout;
    private boolean guardSystemExit = true;
    private DisplayRegistry displays;
    private int maxOutputChars = 1_000_000;
    private Path mavenLocalRepository;

    private Builder() {}

    /** Adds classpath entries; globs like {@code lib/*.jar} are expanded. */
    public Builder classpath(String... entries) {
      for (String e : entries) {
        for (Path p : LineMagics.expandGlobs(e, Path.of(""))) classpath.add(p.toAbsolutePath().toString());
      }
      return this;
    }

    /** Replaces the default imports. */
    public Builder imports(List<String> importLines) {
      imports.clear();
      imports.addAll(importLines);
      return this;
    }

    /** Code run before the first cell (errors are reported, not thrown). */
    public Builder startupScript(String code) {
      startup.add(new Startup("startup script", code));
      return this;
    }

    public Builder startupScript(Path file) {
      try {
        startup.add(new Startup(file.toString(), Files.readString(file)));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read startup script " + file + ": " + e.getMessage(), e);
      }
      return this;
    }

    /** Stops any single statement that runs longer (null or zero: no limit). */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder compilerOptions(String... options) {
      compilerOptions.addAll(List.of(options));
      return this;
    }

    /** Whether {@code System.exit} in a cell is answered with an error (default true). */
    public Builder guardSystemExit(boolean guard) {
      this.guardSystemExit = guard;
      return this;
    }

    public Builder displays(DisplayRegistry registry) {
      this.displays = registry;
      return this;
    }

    /** A cell's stream text beyond this many characters is dropped, with a note (default 1,000,000). */
    public Builder maxOutputChars(int chars) {
      this.maxOutputChars = chars;
      return this;
    }

    /** The Maven local repository for {@code %maven} (default: Maven's own, {@code ~/.m2/repository}). */
    public Builder mavenLocalRepository(Path dir) {
      this.mavenLocalRepository = dir;
      return this;
    }

    /**
     * Applies IJava's environment variables: {@code IJAVA_CLASSPATH}, {@code
     * IJAVA_STARTUP_SCRIPTS_PATH}, {@code IJAVA_STARTUP_SCRIPT}, {@code IJAVA_TIMEOUT} (milliseconds,
     * -1 for none) and {@code IJAVA_COMPILER_OPTS}.
     */
    public Builder environment(Map<String, String> env) {
      IJavaEnvironment.apply(env, this);
      return this;
    }

    /** A startup script named {@code origin} in its errors. */
    Builder startupScript(String origin, String code) {
      startup.add(new Startup(origin, code));
      return this;
    }

    public JavaEvaluator build() {
      return new JavaEvaluator(this);
    }
  }
}
