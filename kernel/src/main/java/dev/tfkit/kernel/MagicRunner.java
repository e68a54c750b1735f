package dev.tfkit.kernel;

import dev.tfkit.kernel.display.MimeBundle;
import dev.tfkit.kernel.magic.CellMagic;
import dev.tfkit.kernel.magic.LineMagics;
import dev.tfkit.kernel.magic.MavenResolver;
import dev.tfkit.kernel.magic.PomFragment;
import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs a cell's magics: a {@code %%} cell magic on its first line, or else its magic lines and its
 * Java code in order; and the magics a cell calls as functions ({@code lineMagic}, {@code
 * cellMagic}). The magics themselves are in {@code kernel.magic}; Java goes to the {@link
 * SnippetRunner}.
 */
final class MagicRunner {
  private final JavaEvaluator owner;
  private final SnippetRunner snippets;
  private final MavenResolver maven;
  private final LineMagics magics;

  MagicRunner(JavaEvaluator owner, SnippetRunner snippets, Path mavenLocalRepository) {
    this.owner = owner;
    this.snippets = snippets;
    this.maven = new MavenResolver(mavenLocalRepository);
    maven.setWarnings(w -> owner.activeRun().write("stderr", w + "\n"));
    this.magics = new LineMagics(new MagicHost(), maven);
  }

  LineMagics lineMagics() {
    return magics;
  }

  /** Runs a whole cell; true when it leaves a value to show in {@code valueOut[0]}. */
  boolean evalCell(String code, String origin, CellRun run, Object[] valueOut) {
    Optional<CellMagic> cellMagic;
    try {
      cellMagic = CellMagic.parse(code);
    } catch (IllegalArgumentException e) {
      run.fail(magicError(1, e.getMessage()));
      return false;
    }
    return cellMagic.isPresent()
        ? evalCellMagic(cellMagic.get(), code, origin, run, valueOut)
        : evalSegments(code, 0, origin, run, valueOut);
  }

  /** Magic lines and Java code of {@code code} from {@code from} on, in order; true when the last has a value. */
  boolean evalSegments(String code, int from, String origin, CellRun run, Object[] valueOut) {
    boolean hasValue = false;
    for (CellSegment s : CellSegment.split(code, from)) {
      if (run.error != null) break;
      hasValue = false;
      valueOut[0] = null;
      if (s.magic() && s.name().startsWith("%")) {
        run.fail(magicError(s.firstLine(), "cell magic %" + s.name() + " must be on the cell's first line"));
      } else if (s.magic()) {
        try {
          // Like IJava, a magic on a line of its own shows no value (its value is for
          // `var added = %jars ...`).
          magics.apply(s.name(), LineMagics.split(s.args()));
        } catch (Exception e) {
          run.fail(magicError(s.firstLine(), "%" + s.name() + ": " + e.getMessage()));
        }
      } else {
        String java = LineMagics.rewriteInlineMagics(IJavaEnvironment.withoutRuntimeImports(s.text()));
        String cell = java.equals(s.text()) ? code : code.substring(0, s.start()) + java + code.substring(s.start() + s.text().length());
        hasValue = snippets.eval(cell, s.start(), java, origin, run, valueOut);
      }
    }
    return hasValue;
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
        return owner.evalNested(body, true);
      } finally {
        owner.activeRun().write("stdout", "Wall time: " + wallTime(System.nanoTime() - t0) + "\n");
      }
    }
    return cellMagicValue(name, args, body, owner.activeRun());
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
          owner.addUserEntryNoting(p.toAbsolutePath().toString());
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
  Object lineMagic(String name, List<String> args) throws IOException {
    return magics.apply(name, args);
  }

  /** Gives magics what they need from the evaluator. */
  private final class MagicHost implements LineMagics.Host {
    @Override
    public void addToClasspath(List<Path> entries) {
      for (Path p : entries) owner.addUserEntryNoting(p.toAbsolutePath().toString());
    }

    @Override
    public void evalFile(Path file) throws IOException {
      String code = Files.readString(file);
      CellRun run = owner.activeRun();
      Object[] v = new Object[1];
      snippets.eval(code, 0, code, file.getFileName().toString(), run, v);
      if (run.error != null) {
        EvalError e = run.error;
        run.error = null;
        throw new IOException(file + ": " + e.ename() + ": " + e.evalue() + (e.traceback().isEmpty() ? "" : " (" + e.traceback().get(0) + ")"));
      }
    }

    @Override
    public void print(String text) {
      owner.activeRun().write("stdout", text);
    }

    @Override
    public List<String> classpath() {
      return List.of(System.getProperty("java.class.path", "").split(File.pathSeparator));
    }
  }
}
