package dev.tfkit.kernel;

import dev.tfkit.kernel.display.MimeBundle;
import dev.tfkit.kernel.magic.CellMagic;
import dev.tfkit.kernel.magic.LineMagics;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import jdk.jshell.JShell;
import jdk.jshell.SourceCodeAnalysis;

/**
 * What the notebook asks about code it has not run: completion candidates, documentation at the
 * cursor (inspection) and whether a cell is complete, from JShell's source analysis (magic names
 * are completed too).
 */
final class CodeAnalysis {
  private final JShell shell;
  private final LineMagics magics;

  CodeAnalysis(JShell shell, LineMagics magics) {
    this.shell = shell;
    this.magics = magics;
  }

  Completion complete(String code, int cursor) {
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
  Optional<MimeBundle> inspect(String code, int cursor, boolean detail) {
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

  Completeness isComplete(String code) {
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
        int start = offset + SnippetRunner.leadingSpace(remaining);
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
}
