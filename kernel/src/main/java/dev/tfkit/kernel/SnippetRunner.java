package dev.tfkit.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * Runs Java source in JShell statement by statement (IJava's code evaluator): a rejected statement,
 * an exception, a stop (interrupt or time limit) or a declaration that cannot be used yet becomes
 * the cell's error, located in the cell it came from; the last statement's value is kept.
 */
final class SnippetRunner {
  private final JShell shell;
  private final CellExecutionControl control;
  /** Where each snippet came from (cell and line), for stack traces that cross cells. */
  private final Map<String, ErrorFormat.Origin> origins = new ConcurrentHashMap<>();

  SnippetRunner(JShell shell, CellExecutionControl control) {
    this.shell = shell;
    this.control = control;
  }

  /** Evaluates Java source statement by statement; true when the last one has a value to show. */
  boolean eval(String cell, int start, String source, String origin, CellRun run, Object[] valueOut) {
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

  static int leadingSpace(String s) {
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
}
