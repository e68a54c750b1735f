package dev.tfkit.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * A piece of a cell: a magic line ({@code magic}, with its {@code name} and {@code args}) or a run
 * of Java code, with its offset and first line in the cell.
 */
record CellSegment(boolean magic, String name, String args, int start, String text, int firstLine) {
  /** The segments of {@code code} from {@code from} on (offsets and lines count from the cell's start). */
  static List<CellSegment> split(String code, int from) {
    List<CellSegment> out = new ArrayList<>();
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
        if (pos > codeStart) out.add(new CellSegment(false, null, null, codeStart, code.substring(codeStart, pos), codeLine));
        String body = t.substring(1);
        int sp = body.indexOf(' ');
        String name = sp < 0 ? body : body.substring(0, sp);
        String args = sp < 0 ? "" : body.substring(sp + 1).strip();
        out.add(new CellSegment(true, name, args, pos, l, line));
        codeStart = end + 1;
        codeLine = line + 1;
      }
      if (nl < 0) break;
      pos = nl + 1;
      line++;
    }
    if (codeStart < code.length()) out.add(new CellSegment(false, null, null, codeStart, code.substring(codeStart), codeLine));
    return out;
  }
}
