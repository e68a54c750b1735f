package dev.tfkit.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShellException;

/**
 * Friendly errors: compile errors with the cell line, column and the offending code underlined;
 * runtime errors with the exception, its message and a stack trimmed to the cell's own frames,
 * whose {@code #id:line} positions are translated to cell lines.
 */
final class ErrorFormat {
  private ErrorFormat() {}

  /** Where a snippet came from: its cell's label and the cell line its first line is on. */
  record Origin(String cell, int firstLine) {}

  static EvalError compile(String cellSource, int snippetStart, String snippetSource, List<Diag> diags) {
    List<String> lines = new ArrayList<>();
    String first = null;
    for (Diag d : diags) {
      if (!d.isError()) continue;
      String msg = d.getMessage(Locale.ROOT);
      if (first == null) first = firstLine(msg);
      long start = Math.max(0, d.getStartPosition());
      long end = Math.max(start + 1, d.getEndPosition());
      int absStart = snippetStart + (int) Math.min(start, snippetSource.length());
      int absEnd = snippetStart + (int) Math.min(end, snippetSource.length());
      absStart = Math.min(absStart, cellSource.length());
      int lineNo = lineOf(cellSource, absStart);
      int lineStart = cellSource.lastIndexOf('\n', absStart - 1) + 1;
      int lineEnd = cellSource.indexOf('\n', absStart);
      if (lineEnd < 0) lineEnd = cellSource.length();
      int col = absStart - lineStart + 1;
      lines.add("line " + lineNo + ", column " + col + ": " + msg.replace("\n", " "));
      String code = cellSource.substring(lineStart, lineEnd);
      lines.add("    " + code);
      int width = Math.max(1, Math.min(absEnd, lineEnd) - absStart);
      lines.add("    " + " ".repeat(Math.max(0, col - 1)) + "^".repeat(width));
    }
    if (first == null) first = "the code does not compile";
    return new EvalError("CompilationException", first, lines);
  }

  static EvalError incomplete(String cellSource, int start) {
    int line = lineOf(cellSource, Math.min(start, cellSource.length()));
    String rest = cellSource.substring(Math.min(start, cellSource.length())).strip();
    List<String> tb = new ArrayList<>();
    tb.add("line " + line + ": the code is incomplete (a missing ';', ')' or '}'?)");
    for (String l : rest.split("\n", -1)) tb.add("    " + l);
    return new EvalError("IncompleteSourceException", "the code is incomplete: " + firstLine(rest), tb);
  }

  static EvalError runtime(JShellException e, Map<String, Origin> origins) {
    List<String> tb = new ArrayList<>();
    String ename = e instanceof EvalException ee ? ee.getExceptionClassName() : e.getClass().getName();
    String msg = e.getMessage() == null ? "" : e.getMessage();
    appendThrowable(tb, ename, msg, e.getStackTrace(), origins, "");
    Throwable cause = e.getCause();
    int depth = 0;
    while (cause != null && depth++ < 10) {
      String cname = cause instanceof EvalException ce ? ce.getExceptionClassName() : cause.getClass().getName();
      appendThrowable(
          tb, cname, cause.getMessage() == null ? "" : cause.getMessage(), cause.getStackTrace(), origins, "Caused by: ");
      cause = cause.getCause();
    }
    return new EvalError(ename, msg, tb);
  }

  private static void appendThrowable(
      List<String> tb, String name, String msg, StackTraceElement[] trace, Map<String, Origin> origins, String prefix) {
    tb.add(prefix + name + (msg.isEmpty() ? "" : ": " + msg));
    // Keep frames up to the last one from a cell: what follows is JShell's and reflection's machinery.
    int last = -1;
    for (int i = 0; i < trace.length; i++) {
      if (isCellFrame(trace[i])) last = i;
    }
    int keep = last >= 0 ? last + 1 : Math.min(trace.length, 8);
    for (int i = 0; i < keep; i++) {
      tb.add("    at " + frame(trace[i], origins));
    }
    if (keep < trace.length && last < 0) tb.add("    ... " + (trace.length - keep) + " more");
  }

  private static boolean isCellFrame(StackTraceElement f) {
    return f.getClassName().startsWith("REPL.") || (f.getFileName() != null && f.getFileName().startsWith("#"));
  }

  private static String frame(StackTraceElement f, Map<String, Origin> origins) {
    String file = f.getFileName();
    if (file != null && file.startsWith("#")) {
      // JShell names snippet sources "#<id>"; line numbers count from the snippet's first line.
      Origin o = origins.get(file.substring(1));
      String method = f.getMethodName();
      String cls = f.getClassName();
      // JShell blanks its wrapper class names; what is left is the user's class, if any.
      String where = cls.isEmpty() || cls.startsWith("REPL.$JShell$") ? method : cls + "." + method;
      if (method.isEmpty() || method.equals("do_it$")) where = "<cell>";
      if (o != null) {
        return where + "(" + o.cell() + ", line " + (o.firstLine() + f.getLineNumber() - 1) + ")";
      }
      return where + "(snippet " + file + ":" + f.getLineNumber() + ")";
    }
    return f.toString();
  }

  static int lineOf(String s, int pos) {
    int line = 1;
    for (int i = 0; i < pos && i < s.length(); i++) if (s.charAt(i) == '\n') line++;
    return line;
  }

  static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
