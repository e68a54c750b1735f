package dev.tfkit.kernel;

import dev.tfkit.kernel.display.DisplayRegistry;
import dev.tfkit.kernel.magic.CellMagic;
import dev.tfkit.kernel.magic.LineMagics;
import dev.tfkit.kernel.magic.MavenResolver;
import dev.tfkit.kernel.magic.PomFragment;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

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
 */
public final class JavaEvaluator implements AutoCloseable {
  /**
   * The snippets every notebook starts with: IJava's startup snippet as IJava 1.3.0 has it (its
   * seven imports and its {@code printf}), so that cells written for IJava compile unchanged, then
   * tfkit's own imports. (IJava's static imports of its runtime's {@code Display}, {@code Kernel}
   * and {@code Magics} are tfkit's {@code Notebook} functions here.)
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
          "import static dev.tfkit.kernel.Notebook.*;");

  /**
   * JVM options that let the {@code System.exit} guard be installed without Java's "terminally
   * deprecated" warning on stderr (kernel.json and {@code ./tfkit} pass them); without them the
   * guard is skipped quietly and {@link #exitGuarded()} is false.
   */
  public static final List<String> EXIT_GUARD_JVM_OPTIONS =
      List.of("-Djava.security.manager=allow", "--add-opens=java.base/java.lang=ALL-UNNAMED");

  private static final InheritableThreadLocal<JavaEvaluator> CURRENT = new InheritableThreadLocal<>();
  private static volatile JavaEvaluator lastActive;
  private static final ScheduledExecutorService FLUSHER =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "tfkit-output-flush");
            t.setDaemon(true);
            return t;
          });

  private final JShell shell;
  private final CellExecutionControl control;
  private final CellClasspath cellClasspath;
  private final DisplayRegistry displays;
  private final OutputCapture capture;
  private final LineMagics magics;
  private final MavenResolver maven;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, ErrorFormat.Origin> origins = new ConcurrentHashMap<>();
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
    this.maven = new MavenResolver(b.mavenLocalRepository);
    maven.setWarnings(w -> activeRun().write("stderr", w + "\n"));
    this.magics = new LineMagics(new MagicHost(), maven);
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
      throw new IllegalStateException("eval(...) from inside a cell: use Notebook.eval(code) instead");
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
  private void addUserEntryNoting(String path) {
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

  // ---------------------------------------------------------------------------------------------
  // Completion, inspection, is_complete

  /** Completion candidates at {@code cursor}: the text from {@code start} to {@code end} is replaced. */
  public record Completion(List<String> matches, int start, int end) {
    public Completion {
      matches = List.copyOf(matches);
    }
  }

  public Completion complete(String code, int cursor) {
    cursor = Math.max(0, Math.min(cursor, code.length()));
    int lineStart = code.lastIndexOf('\n', cursor - 1) + 1;
    String linePrefix = code.substring(lineStart, cursor);
    if (linePrefix.stripLeading().startsWith("%") && !linePrefix.contains(" ")) {
      String typed = linePrefix.strip().replaceFirst("^%+", "");
      Set<String> known = linePrefix.strip().startsWith("%%") ? CellMagic.NAMES : magics.names();
      List<String> names = known.stream().filter(n -> n.startsWith(typed)).sorted().toList();
      return new Completion(names, cursor - typed.length(), cursor);
    }
    int[] bounds = snippetAround(code, cursor);
    String snippet = code.substring(bounds[0], bounds[1]);
    int[] anchor = new int[1];
    List<SourceCodeAnalysis.Suggestion> sugg =
        shell.sourceCodeAnalysis().completionSuggestions(snippet, cursor - bounds[0], anchor);
    Set<String> matches = new LinkedHashSet<>();
    sugg.stream().filter(SourceCodeAnalysis.Suggestion::matchesType).forEach(s -> matches.add(s.continuation()));
    sugg.forEach(s -> matches.add(s.continuation()));
    return new Completion(new ArrayList<>(matches), bounds[0] + anchor[0], cursor);
  }

  /** Documentation (signatures, and Javadoc when the JDK has sources) for what is at {@code cursor}. */
  public Optional<MimeBundle> inspect(String code, int cursor, boolean detail) {
    cursor = Math.max(0, Math.min(cursor, code.length()));
    int[] bounds = snippetAround(code, cursor);
    String snippet = code.substring(bounds[0], bounds[1]);
    int rel = cursor - bounds[0];
    // Documentation wants the cursor after the name (or inside the call's parentheses).
    while (rel < snippet.length() && Character.isJavaIdentifierPart(snippet.charAt(rel))) rel++;
    List<SourceCodeAnalysis.Documentation> docs =
        shell.sourceCodeAnalysis().documentation(snippet, rel, detail);
    if (docs.isEmpty()) {
      // A method name without "(" has no documentation yet: ask as if the call were opened.
      docs = shell.sourceCodeAnalysis().documentation(snippet.substring(0, rel) + "(", rel + 1, detail);
    }
    StringBuilder text = new StringBuilder();
    for (SourceCodeAnalysis.Documentation d : docs) {
      if (text.length() > 0) text.append("\n\n");
      text.append(d.signature());
      if (d.javadoc() != null && !d.javadoc().isBlank()) text.append("\n").append(d.javadoc().strip());
    }
    if (text.length() == 0) {
      String word = wordAt(snippet, rel);
      shell.variables()
          .filter(v -> v.name().equals(word))
          .reduce((a, b) -> b)
          .ifPresent(v -> text.append(v.typeName()).append(' ').append(v.name()).append(" = ").append(shell.varValue(v)));
    }
    if (text.length() == 0) return Optional.empty();
    return Optional.of(MimeBundle.text(text.toString()));
  }

  /** Jupyter's is_complete answer: status "complete", "incomplete" (with an indent), "invalid". */
  public record Completeness(String status, String indent) {}

  public Completeness isComplete(String code) {
    try {
      Optional<CellMagic> cm = CellMagic.parse(code);
      if (cm.isPresent()) {
        // Only %%time's body is Java; other cell magics take their text as it is.
        if (!cm.get().name().equals("time")) return new Completeness("complete", "");
        code = cm.get().body();
      }
    } catch (IllegalArgumentException e) {
      return new Completeness("invalid", "");
    }
    StringBuilder javaOnly = new StringBuilder();
    for (String line : code.split("\n", -1)) {
      if (!line.stripLeading().startsWith("%")) javaOnly.append(line).append('\n');
    }
    String remaining = LineMagics.rewriteInlineMagics(javaOnly.toString());
    SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
    while (true) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
      Completeness c = switch (info.completeness()) {
        case EMPTY -> new Completeness("complete", "");
        case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> new Completeness("incomplete", indentFor(remaining));
        case UNKNOWN -> new Completeness("invalid", "");
        default -> null;
      };
      if (c != null) return c;
      if (info.remaining().length() >= remaining.length()) return new Completeness("complete", "");
      remaining = info.remaining();
    }
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
    Object value = null;
    boolean hasValue = false;
    try {
      Optional<CellMagic> cellMagic;
      try {
        cellMagic = CellMagic.parse(code);
      } catch (IllegalArgumentException e) {
        cellMagic = Optional.empty();
        run.fail(magicError(1, e.getMessage()));
      }
      Object[] v = new Object[1];
      if (run.error == null) {
        hasValue = cellMagic.isPresent()
            ? evalCellMagic(cellMagic.get(), code, origin, run, v)
            : evalSegments(code, 0, origin, run, v);
        value = v[0];
      }
      MimeBundle bundle = null;
      if (run.error == null && hasValue && value != null) {
        bundle = displays.render(value, w -> run.write("stderr", w + "\n"));
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

  /** Magic lines and Java code of {@code code} from {@code from} on, in order; true when the last has a value. */
  private boolean evalSegments(String code, int from, String origin, CellRun run, Object[] valueOut) {
    boolean hasValue = false;
    for (Segment s : Segment.split(code, from)) {
      if (run.error != null) break;
      hasValue = false;
      valueOut[0] = null;
      if (s.magic && s.name.startsWith("%")) {
        run.fail(magicError(s.firstLine, "cell magic %" + s.name + " must be on the cell's first line"));
      } else if (s.magic) {
        try {
          // Like IJava, a magic on a line of its own shows no value (its value is for
          // `var added = %jars ...`).
          magics.apply(s.name, LineMagics.split(s.args));
        } catch (Exception e) {
          run.fail(magicError(s.firstLine, "%" + s.name + ": " + e.getMessage()));
        }
      } else {
        String java = LineMagics.rewriteInlineMagics(withoutIJavaRuntimeImports(s.text));
        String cell = java.equals(s.text) ? code : code.substring(0, s.start) + java + code.substring(s.start + s.text.length());
        hasValue = evalJava(cell, s.start, java, origin, run, valueOut);
      }
    }
    return hasValue;
  }

  private static final Pattern IJAVA_RUNTIME_STATIC_IMPORT = Pattern.compile(
      "(?m)^[ \\t]*import[ \\t]+static[ \\t]+io\\.github\\.spencerpark\\.ijava\\.runtime\\.(Display|Kernel|Magics)\\.\\*[ \\t]*;[ \\t]*$");

  /**
   * IJava's startup imports {@code static io.github.spencerpark.ijava.runtime.Display.*} (and {@code
   * Kernel.*}, {@code Magics.*}); tfkit's {@code Notebook.*} has the same functions, so a cell that
   * repeats those imports would make {@code display(...)} ambiguous. Such lines are left out (kept
   * as blank lines, so line numbers stay right).
   */
  static String withoutIJavaRuntimeImports(String code) {
    if (!code.contains("io.github.spencerpark.ijava.runtime")) return code;
    return IJAVA_RUNTIME_STATIC_IMPORT.matcher(code).replaceAll("");
  }

  /** Runs a {@code %%} cell magic; true when it leaves a value to show (%%time's body). */
  private boolean evalCellMagic(CellMagic m, String code, String origin, CellRun run, Object[] valueOut) {
    String usage = "%%" + m.name();
    try {
      switch (m.name()) {
        case "time" -> {
          if (!m.args().isEmpty()) throw new IllegalArgumentException(usage + " takes no arguments (the cell is the code)");
          long t0 = System.nanoTime();
          boolean hasValue = evalSegments(code, m.bodyStart(), origin, run, valueOut);
          run.write("stdout", "Wall time: " + wallTime(System.nanoTime() - t0) + "\n");
          return hasValue;
        }
        default -> {
          cellMagicValue(m.name(), m.args(), m.body(), run);
          return false;
        }
      }
    } catch (RuntimeException e) {
      if (run.error == null) run.fail(magicError(m.bodyFirstLine() - 1, e.getMessage()));
      return false;
    }
  }

  private static EvalError magicError(int line, String message) {
    return new EvalError("MagicException", String.valueOf(message), List.of("line " + line + ": " + message));
  }

  /** IPython's way of showing a time: three significant digits, in s, ms, µs or ns. */
  static String wallTime(long nanos) {
    double seconds = nanos / 1e9;
    String[] units = {"s", "ms", "\u00b5s", "ns"};
    int u = 0;
    double v = seconds;
    while (u < units.length - 1 && v < 1 && v > 0) {
      v *= 1000;
      u++;
    }
    String digits = new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    return digits + " " + units[u];
  }

  /** Evaluates Java source statement by statement; true when the last one has a value to show. */
  private boolean evalJava(String cell, int start, String source, String origin, CellRun run, Object[] valueOut) {
    SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
    String remaining = source;
    int offset = start;
    boolean hasValue = false;
    // Declarations JShell keeps but cannot compile yet (a type they use is missing); checked once
    // the code is through, so that a later declaration in the same code can still supply it.
    List<DeclarationSnippet> unresolved = new ArrayList<>();
    while (true) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
      if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) break;
      int consumed = remaining.length() - info.remaining().length();
      if (info.completeness() == SourceCodeAnalysis.Completeness.DEFINITELY_INCOMPLETE
          || info.completeness() == SourceCodeAnalysis.Completeness.CONSIDERED_INCOMPLETE) {
        run.fail(ErrorFormat.incomplete(cell, offset + leadingSpace(remaining)));
        return false;
      }
      String src = info.completeness() == SourceCodeAnalysis.Completeness.UNKNOWN ? remaining : info.source();
      if (info.completeness() == SourceCodeAnalysis.Completeness.UNKNOWN) consumed = remaining.length();
      int snippetStart = offset + locate(remaining, src);
      // Leading blank lines confuse JShell's line numbers in stack traces: evaluate without them.
      int lead = leadingSpace(src);
      src = src.substring(lead);
      snippetStart += lead;
      hasValue = false;
      valueOut[0] = null;
      List<SnippetEvent> events = shell.eval(src);
      for (SnippetEvent ev : events) {
        if (ev.causeSnippet() != null) continue;
        Snippet sn = ev.snippet();
        origins.put(sn.id(), new ErrorFormat.Origin(origin, ErrorFormat.lineOf(cell, snippetStart)));
        if (ev.status() == Snippet.Status.REJECTED) {
          List<Diag> diags = shell.diagnostics(sn).collect(Collectors.toList());
          run.fail(ErrorFormat.compile(cell, snippetStart, src, diags));
          return false;
        }
        if (ev.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED && sn instanceof DeclarationSnippet ds) {
          unresolved.add(ds);
        }
        if (control.stopReason() != CellExecutionControl.StopReason.NONE) {
          run.fail(stopped(control.stopReason()));
          return false;
        }
        JShellException ex = ev.exception();
        if (ex instanceof UnresolvedReferenceException ure) {
          List<String> names = shell.unresolvedDependencies(ure.getSnippet()).toList();
          String missing = String.join(", ", names);
          run.fail(new EvalError(
              "UnresolvedReferenceException",
              "'" + ure.getSnippet().source().strip() + "' cannot run until " + missing
                  + (names.size() == 1 ? " is" : " are") + " defined",
              List.of("UnresolvedReferenceException: " + ure.getSnippet().source().strip()
                  + " uses " + missing + ", which is not defined yet")));
          return false;
        }
        if (ex != null) {
          run.fail(ErrorFormat.runtime(ex, origins));
          return false;
        }
        if (showsValue(sn)) {
          String vs = ev.value();
          valueOut[0] = control.isValueKey(vs) ? control.takeValue(vs) : vs;
          hasValue = true;
        }
      }
      offset += consumed;
      remaining = info.completeness() == SourceCodeAnalysis.Completeness.UNKNOWN ? "" : info.remaining();
    }
    for (DeclarationSnippet ds : unresolved) {
      if (shell.status(ds) != Snippet.Status.RECOVERABLE_NOT_DEFINED) continue;
      List<String> missing = shell.unresolvedDependencies(ds).toList();
      if (missing.isEmpty()) continue;
      run.fail(unresolvedError(ds, missing));
      return false;
    }
    return hasValue;
  }

  private static String declarationWord(DeclarationSnippet ds) {
    return switch (ds.kind()) {
      case TYPE_DECL -> ds.subKind().name().replace("_SUBKIND", "").replace('_', ' ').toLowerCase(Locale.ROOT);
      case METHOD -> "method";
      case VAR -> "variable";
      default -> "declaration";
    };
  }

  /**
   * IJava's "Unresolved dependencies" error: a declaration that uses names nothing defines (JShell
   * keeps it, but it cannot be used until they are).
   */
  private EvalError unresolvedError(DeclarationSnippet ds, List<String> missing) {
    ErrorFormat.Origin o = origins.get(ds.id());
    String source = ds.source().strip();
    List<String> tb = new ArrayList<>();
    tb.add((o == null ? "" : "line " + o.firstLine() + ": ") + declarationWord(ds)
        + " '" + ds.name() + "' cannot be used until what it refers to is defined");
    for (String l : source.split("\n", -1)) tb.add("    " + l);
    tb.add("Unresolved dependencies:");
    for (String m : missing) tb.add("   - " + m);
    return new EvalError("CompilationException", "Unresolved dependencies: " + String.join(", ", missing), tb);
  }

  private static EvalError stopped(CellExecutionControl.StopReason reason) {
    if (reason == CellExecutionControl.StopReason.TIMEOUT) {
      return new EvalError("EvaluationTimeoutException", "the statement ran past the time limit and was stopped",
          List.of("EvaluationTimeoutException: the statement ran past the time limit (IJAVA_TIMEOUT) and was stopped"));
    }
    return new EvalError("EvaluationInterruptedException", "the cell was interrupted",
        List.of("EvaluationInterruptedException: the cell was interrupted; the kernel is still running"));
  }

  private static boolean showsValue(Snippet sn) {
    if (sn.kind() == Snippet.Kind.EXPRESSION) return true;
    return sn instanceof VarSnippet && sn.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
  }

  private static int leadingSpace(String s) {
    int i = 0;
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    return i;
  }

  /** Where JShell's snippet source starts in the raw text (diagnostic positions count from there). */
  private static int locate(String raw, String src) {
    if (raw.startsWith(src)) return 0;
    int lead = leadingSpace(src);
    String probe = src.strip();
    if (probe.endsWith(";")) probe = probe.substring(0, probe.length() - 1);
    int nl = probe.indexOf('\n');
    if (nl > 0) probe = probe.substring(0, nl);
    int at = probe.isEmpty() ? -1 : raw.indexOf(probe);
    return at >= 0 ? Math.max(0, at - lead) : 0;
  }

  /** [start, end) of the statement that contains {@code cursor}. */
  private int[] snippetAround(String code, int cursor) {
    SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
    int offset = 0;
    String remaining = code;
    while (true) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
      int consumed = remaining.length() - info.remaining().length();
      if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY
          || !info.completeness().isComplete()
          || consumed <= 0
          || offset + consumed >= cursor) {
        int start = offset + leadingSpace(remaining);
        return new int[] {Math.min(start, cursor), Math.max(cursor, Math.min(code.length(), offset + Math.max(consumed, 0)))};
      }
      offset += consumed;
      remaining = info.remaining();
    }
  }

  private static String wordAt(String s, int end) {
    int b = end;
    while (b > 0 && Character.isJavaIdentifierPart(s.charAt(b - 1))) b--;
    return s.substring(b, end);
  }

  private static String indentFor(String code) {
    int depth = 0;
    for (char ch : code.toCharArray()) {
      if (ch == '{' || ch == '(') depth++;
      else if (ch == '}' || ch == ')') depth = Math.max(0, depth - 1);
    }
    return "    ".repeat(Math.max(1, depth));
  }

  // ---------------------------------------------------------------------------------------------
  // Called from cells (through Notebook) and from cell threads

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
    MimeBundle rendered = displays.render(value, w -> run.write("stderr", w + "\n"));
    // A bundle that already has an id (IJava's DisplayData with setDisplayId) keeps it.
    String id = rendered.displayId().orElseGet(() -> UUID.randomUUID().toString());
    MimeBundle b = filter(value, rendered, mimeTypes).withDisplayId(id);
    run.emit(new CellOutput.Display(b, false));
    return id;
  }

  void updateDisplay(String id, Object value, String... mimeTypes) {
    CellRun run = activeRun();
    MimeBundle b = filter(value, displays.render(value, w -> run.write("stderr", w + "\n")), mimeTypes).withDisplayId(id);
    run.emit(new CellOutput.Display(b, true));
  }

  /** {@code value} rendered as only {@code mimeTypes} (all it renders as when none are given). */
  MimeBundle renderAs(Object value, String... mimeTypes) {
    return filter(value, displays.render(value), mimeTypes);
  }

  /**
   * Runs a cell magic from inside a cell (IJava's {@code cellMagic}): {@code loadFromPOM} returns the
   * jars it added; {@code html} and {@code markdown} show their body.
   */
  Object cellMagicFromCell(String name, List<String> args, String body) {
    if (name.equals("time")) {
      // like the cell form: the body runs as a cell (magics and Java), its value is returned
      if (!args.isEmpty()) throw new IllegalArgumentException("%%time takes no arguments (the body is the code)");
      long t0 = System.nanoTime();
      try {
        return evalNested(body, true);
      } finally {
        activeRun().write("stdout", "Wall time: " + wallTime(System.nanoTime() - t0) + "\n");
      }
    }
    return cellMagicValue(name, args, body, activeRun());
  }

  /**
   * The cell magics other than {@code %%time}, as a cell or from code ({@code cellMagic(...)}):
   * {@code %%loadFromPOM} returns the jars it added, {@code %%html} and {@code %%markdown} show the
   * body and return null.
   */
  private Object cellMagicValue(String name, List<String> args, String body, CellRun run) {
    switch (name) {
      case "loadFromPOM" -> {
        // IJava's default scopes; arguments replace them.
        List<String> scopes = args.isEmpty() ? LineMagics.POM_DEFAULT_SCOPES : args;
        List<String> added = new ArrayList<>();
        for (Path p : maven.resolve(PomFragment.parse(body), scopes)) {
          addUserEntryNoting(p.toAbsolutePath().toString());
          added.add(p.toAbsolutePath().toString());
        }
        return added;
      }
      case "html", "markdown" -> {
        if (!args.isEmpty()) throw new IllegalArgumentException("%%" + name + " takes no arguments");
        String mime = name.equals("html") ? "text/html" : "text/markdown";
        run.emit(new CellOutput.Display(MimeBundle.builder().put(mime, body).put("text/plain", body).build(), false));
        return null;
      }
      default -> throw new IllegalArgumentException(
          "unknown cell magic %%" + name + " (known: " + CellMagic.known() + ")");
    }
  }

  /** Runs a line magic from inside a cell ({@code var added = %jars ...}) and returns its value. */
  Object lineMagicFromCell(String name, List<String> args) throws IOException {
    return magics.apply(name, args);
  }

  /** Evaluates code from inside a cell and returns its value (IJava's {@code eval}). */
  Object evalFromCell(String code) {
    return evalNested(code, false);
  }

  /** Runs code from inside a cell, its outputs going to that cell; with magics, line magics run too. */
  private Object evalNested(String code, boolean magics) {
    CellRun run = activeRun();
    CellRun nested = new CellRun(o -> run.emit(o), maxOutputChars);
    CellRun saved = currentRun;
    currentRun = nested;
    try {
      Object[] v = new Object[1];
      if (magics) {
        evalSegments(code, 0, "eval", nested, v);
      } else {
        evalJava(code, 0, code, "eval", nested, v);
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

  private CellRun activeRun() {
    CellRun r = currentRun != null ? currentRun : lastRun;
    if (r == null) {
      r = new CellRun(EvalListener.NONE, maxOutputChars);
      r.close();
    }
    return r;
  }

  /**
   * Keeps only the requested MIME types. Like IJava, text asked for as a type it was not rendered
   * as is taken to be that type: {@code display("<b>x</b>", "text/html")} shows bold text.
   */
  private static MimeBundle filter(Object value, MimeBundle b, String... mimeTypes) {
    if (mimeTypes == null || mimeTypes.length == 0) return b;
    MimeBundle.Builder out = MimeBundle.builder();
    List<String> wanted = Arrays.asList(mimeTypes);
    b.data().forEach((k, v) -> {
      if (wanted.contains(k)) out.put(k, v);
    });
    if (value instanceof CharSequence text) {
      for (String m : wanted) out.putIfAbsent(m, text.toString());
      out.putIfAbsent("text/plain", text.toString());
    }
    if (out.isEmpty()) out.put("text/plain", b.plainText());
    return out.build();
  }

  /** Gives magics what they need from the evaluator. */
  private final class MagicHost implements LineMagics.Host {
    @Override
    public void addToClasspath(List<Path> entries) {
      for (Path p : entries) addUserEntryNoting(p.toAbsolutePath().toString());
    }

    @Override
    public void evalFile(Path file) throws IOException {
      String code = Files.readString(file);
      CellRun run = activeRun();
      Object[] v = new Object[1];
      evalJava(code, 0, code, file.getFileName().toString(), run, v);
      if (run.error != null) {
        EvalError e = run.error;
        run.error = null;
        throw new IOException(file + ": " + e.ename() + ": " + e.evalue() + (e.traceback().isEmpty() ? "" : " (" + e.traceback().get(0) + ")"));
      }
    }

    @Override
    public void print(String text) {
      activeRun().write("stdout", text);
    }

    @Override
    public List<String> classpath() {
      return List.of(System.getProperty("java.class.path", "").split(File.pathSeparator));
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** The outputs of one cell while it runs: ordered, stream text coalesced, size-limited. */
  private static final class CellRun implements OutputCapture.StreamSink {
    private static final long FLUSH_NANOS = TimeUnit.MILLISECONDS.toNanos(30);
    private final EvalListener listener;
    private final List<CellOutput> outputs = new ArrayList<>();
    private final int maxChars;
    private final StringBuilder buffer = new StringBuilder();
    private String bufferStream;
    private long lastFlush = System.nanoTime();
    private long written;
    private long dropped;
    private volatile boolean finished;
    EvalError error;

    CellRun(EvalListener listener, int maxChars) {
      this.listener = listener;
      this.maxChars = maxChars;
      FLUSHER.schedule(this::tick, 50, TimeUnit.MILLISECONDS);
    }

    private void tick() {
      if (finished) return;
      synchronized (this) {
        if (buffer.length() > 0 && System.nanoTime() - lastFlush >= FLUSH_NANOS) flush();
      }
      FLUSHER.schedule(this::tick, 50, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void write(String stream, String text) {
      if (text.isEmpty()) return;
      if (written >= maxChars) {
        dropped += text.length();
        return;
      }
      if (written + text.length() > maxChars) {
        int keep = (int) (maxChars - written);
        dropped += text.length() - keep;
        text = text.substring(0, keep);
      }
      written += text.length();
      if (bufferStream != null && !bufferStream.equals(stream)) flush();
      bufferStream = stream;
      buffer.append(text);
      if (buffer.length() >= 8192 || (text.indexOf('\n') >= 0 && System.nanoTime() - lastFlush >= FLUSH_NANOS)) {
        flush();
      }
    }

    synchronized void flush() {
      if (buffer.length() > 0) {
        CellOutput.Stream s = new CellOutput.Stream(bufferStream, buffer.toString());
        buffer.setLength(0);
        deliver(s);
      }
      lastFlush = System.nanoTime();
    }

    synchronized void emit(CellOutput o) {
      flush();
      deliver(o);
    }

    private void deliver(CellOutput o) {
      if (!finished) outputs.add(o);
      try {
        listener.output(o);
      } catch (RuntimeException e) {
        // A failing listener must not fail the cell; the output is still in the result.
      }
    }

    @Override
    public String readLine() {
      // What the cell printed so far (its prompt, typically) goes out before the input box.
      flush();
      try {
        return listener.requestInput("", false);
      } catch (RuntimeException e) {
        return null;
      }
    }

    /** Flushes and stops the periodic flush, without adding a result or error output. */
    synchronized void close() {
      flush();
      finished = true;
    }

    synchronized void fail(EvalError e) {
      if (error == null) error = e;
    }

    synchronized void finish(MimeBundle value) {
      flush();
      if (dropped > 0) {
        String note = "\n[output truncated: " + dropped + " more characters not shown (limit " + maxChars + ")]\n";
        deliver(new CellOutput.Stream("stderr", note));
      }
      if (error != null) deliver(new CellOutput.Error(error));
      else if (value != null) deliver(new CellOutput.Result(value));
      finished = true;
    }

    synchronized EvalResult result(MimeBundle value) {
      return new EvalResult(outputs, Optional.ofNullable(error == null ? value : null), Optional.ofNullable(error));
    }
  }

  /** A cell split into Java code and magic lines, in order. */
  private record Segment(boolean magic, String name, String args, int start, String text, int firstLine) {
    /** The segments of {@code code} from {@code from} on (offsets and lines count from the cell's start). */
    static List<Segment> split(String code, int from) {
      List<Segment> out = new ArrayList<>();
      int pos = from;
      int codeStart = from;
      int line = 1;
      for (int i = 0; i < from; i++) if (code.charAt(i) == '\n') line++;
      int codeLine = line;
      while (pos <= code.length()) {
        int nl = code.indexOf('\n', pos);
        int end = nl < 0 ? code.length() : nl;
        String l = code.substring(pos, end);
        String t = l.strip();
        if (t.startsWith("%")) { // "%%name" lands here too, named "%name", to be refused
          if (pos > codeStart) out.add(new Segment(false, null, null, codeStart, code.substring(codeStart, pos), codeLine));
          String body = t.substring(1);
          int sp = body.indexOf(' ');
          String name = sp < 0 ? body : body.substring(0, sp);
          String args = sp < 0 ? "" : body.substring(sp + 1).strip();
          out.add(new Segment(true, name, args, pos, l, line));
          codeStart = end + 1;
          codeLine = line + 1;
        }
        if (nl < 0) break;
        pos = nl + 1;
        line++;
      }
      if (codeStart < code.length()) out.add(new Segment(false, null, null, codeStart, code.substring(codeStart), codeLine));
      return out;
    }
  }

  // ---------------------------------------------------------------------------------------------

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
      String cp = env.get("IJAVA_CLASSPATH");
      if (cp != null && !cp.isBlank()) {
        for (String e : cp.split(File.pathSeparator)) if (!e.isBlank()) classpath(e.strip());
      }
      String opts = env.get("IJAVA_COMPILER_OPTS");
      if (opts != null && !opts.isBlank()) compilerOptions(LineMagics.split(opts).toArray(String[]::new));
      String t = env.get("IJAVA_TIMEOUT");
      if (t != null && !t.isBlank()) {
        long ms;
        try {
          ms = Long.parseLong(t.strip());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("IJAVA_TIMEOUT must be milliseconds (or -1 for none), not '" + t + "'");
        }
        timeout(ms > 0 ? Duration.ofMillis(ms) : null);
      }
      String scripts = env.get("IJAVA_STARTUP_SCRIPTS_PATH");
      if (scripts != null && !scripts.isBlank()) {
        for (String e : scripts.split(File.pathSeparator)) {
          if (e.isBlank()) continue;
          for (Path p : LineMagics.expandGlobs(e.strip(), Path.of(""))) {
            if (Files.isRegularFile(p)) startupScript(p);
          }
        }
      }
      String script = env.get("IJAVA_STARTUP_SCRIPT");
      if (script != null && !script.isBlank()) startup.add(new Startup("IJAVA_STARTUP_SCRIPT", script));
      return this;
    }

    public JavaEvaluator build() {
      return new JavaEvaluator(this);
    }
  }
}
