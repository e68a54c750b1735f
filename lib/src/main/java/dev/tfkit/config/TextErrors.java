package dev.tfkit.config;

import com.google.protobuf.TextFormat;

/** Turns protobuf text-format parse errors into "line L, column C: what" messages. */
public final class TextErrors {
  private TextErrors() {}

  /** "line L, column C: what" for {@code e} (protobuf's own message repeats the position as "L:C: "). */
  public static String describe(TextFormat.ParseException e) {
    String msg = e.getMessage() == null ? "parse error" : e.getMessage();
    String prefix = e.getLine() + ":" + e.getColumn() + ": ";
    if (e.getLine() > 0 && msg.startsWith(prefix)) {
      return "line " + e.getLine() + ", column " + e.getColumn() + ": " + msg.substring(prefix.length());
    }
    return msg;
  }
}
