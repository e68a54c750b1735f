package dev.tfkit.kernel.magic;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A cell magic: {@code %%name args} on a cell's first line (blank lines before it are allowed, as
 * in IPython); the rest of the cell is its body. {@code body} keeps its own text unchanged and
 * {@code bodyStart} is where it begins in the cell, so errors in the body name cell lines.
 */
public record CellMagic(String name, List<String> args, String body, int bodyStart, int bodyFirstLine) {
  /** The cell magics tfkit knows. */
  public static final Set<String> NAMES =
      new TreeSet<>(List.of("html", "loadFromPOM", "markdown", "time"));

  public CellMagic {
    args = List.copyOf(args);
  }

  /**
   * The cell magic of {@code cell}, or empty when the cell's first non-blank line does not start
   * with {@code %%}.
   *
   * @throws IllegalArgumentException for {@code %%} without a name
   */
  public static Optional<CellMagic> parse(String cell) {
    int pos = 0;
    int line = 1;
    while (true) {
      int nl = cell.indexOf('\n', pos);
      int end = nl < 0 ? cell.length() : nl;
      String l = cell.substring(pos, end);
      if (!l.isBlank()) {
        String t = l.strip();
        if (!t.startsWith("%%")) return Optional.empty();
        String head = t.substring(2);
        int sp = 0;
        while (sp < head.length() && !Character.isWhitespace(head.charAt(sp))) sp++;
        String name = head.substring(0, sp);
        if (name.isEmpty()) {
          throw new IllegalArgumentException(
              "'%%' needs a cell magic name, as in %%time (known: " + known() + ")");
        }
        List<String> args = LineMagics.split(head.substring(sp).strip());
        int bodyStart = nl < 0 ? cell.length() : nl + 1;
        return Optional.of(new CellMagic(name, args, cell.substring(bodyStart), bodyStart, line + 1));
      }
      if (nl < 0) return Optional.empty();
      pos = nl + 1;
      line++;
    }
  }

  /** The known cell magics as {@code %%a %%b ...}. */
  public static String known() {
    return "%%" + String.join(" %%", NAMES);
  }
}
