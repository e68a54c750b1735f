package dev.tfkit.kernel.display;

import java.lang.reflect.Array;

/**
 * The {@code text/plain} form of a cell's value: like IJava, a string shows as itself and other
 * objects as {@code toString()}; arrays show their elements the way JShell prints them.
 */
public final class ValueText {
  private ValueText() {}

  public static String of(Object value) {
    if (value == null) return "null";
    if (value.getClass().isArray()) return array(value);
    return String.valueOf(value);
  }

  private static String array(Object array) {
    int n = Array.getLength(array);
    StringBuilder sb = new StringBuilder();
    String type = array.getClass().getComponentType().getSimpleName();
    sb.append(type).append('[').append(n).append("] { ");
    int shown = Math.min(n, 1000);
    for (int i = 0; i < shown; i++) {
      if (i > 0) sb.append(", ");
      Object e = Array.get(array, i);
      if (e instanceof String s) sb.append('"').append(s).append('"');
      else if (e instanceof Character c) sb.append('\'').append(c).append('\'');
      else sb.append(e != null && e.getClass().isArray() ? array(e) : String.valueOf(e));
    }
    if (shown < n) sb.append(", ... (").append(n - shown).append(" more)");
    return sb.append(" }").toString();
  }
}
